import { runAppCommand } from './app.command.js';
import { avatarUsage, runAvatarCommand } from './avatar.command.js';
import { describeError } from './args.js';
import { runDemoCommand } from './demo.command.js';
import { runServeCommand } from './serve.command.js';
import { runVideoCommand, videoUsage } from './video.command.js';
import { runVoiceCommand, voiceUsage } from './voice.command.js';

const usage = `anima: self-hosted digital humans

usage:
  anima serve [--port 8080] [--host 127.0.0.1] [--data ./data] [--public-url URL] [--log-level info]
  anima app create [--data DIR] [--name N] [--app-id ID --app-key KEY] [--callback-url URL]
  anima app list [--data DIR]
  anima app revoke <appId> [--data DIR]
  anima demo [--data DIR] [--port P] [--once]
${avatarUsage}
${videoUsage}
${voiceUsage}

Every flag can also be set by environment variable; see the README's configuration table.`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const print = (text: string): void => void process.stdout.write(`${text}\n`);
  switch (command) {
    case 'serve':
      await runServeCommand(rest);
      return -1; // keeps running
    case 'app':
      return runAppCommand(rest, print);
    case 'demo':
      return runDemoCommand(rest, print);
    case 'avatar':
      return runAvatarCommand(rest, print);
    case 'video':
      return runVideoCommand(rest, print);
    case 'voice':
      return runVoiceCommand(rest, print);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      print(usage);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`anima: unknown command "${command}"\n\n${usage}\n`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`anima: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
