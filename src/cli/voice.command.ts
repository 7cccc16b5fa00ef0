import path from 'node:path';
import { parseCommand } from './args.js';
import { failureText, progressBar, signedInClient, voiceArea } from './client-tasks.js';

export const voiceUsage = `  anima voice create <audio...> [--name N] [--language en-US] [--url URL --app-id ID --app-key KEY]
  anima voice list [--url URL --app-id ID --app-key KEY]`;

interface VoiceResult {
  voiceId: string;
  baseVoice: string;
  speechSeconds: number;
  measured: { pitchHz: number; phonesPerSecond?: number; syllabicRhythmHz: number };
}

/**
 * `anima voice create|list`: a client of a running server: upload the recordings, train a personal
 * voice from them with a progress bar, and print its voice id (usable as tts_config.id and qid).
 */
export async function runVoiceCommand(
  argv: readonly string[],
  print: (text: string) => void,
  progressOut: (text: string) => void = (text) => void process.stderr.write(text),
  interactive = process.stderr.isTTY,
): Promise<number> {
  const [action, ...rest] = argv;
  const { config, values, positionals } = parseCommand(
    rest,
    ['serverUrl', 'clientAppId', 'clientAppKey'],
    { name: { type: 'string' }, language: { type: 'string' } },
  );
  const client = await signedInClient(config);
  switch (action) {
    case 'create': {
      if (positionals.length === 0) throw new Error(`which recordings? usage:\n${voiceUsage}`);
      const name =
        typeof values.name === 'string' ? values.name : path.parse(positionals[0] ?? 'voice').name;
      const fileIds: string[] = [];
      for (const file of positionals) fileIds.push((await client.upload(file)).fileId);
      const { taskId } = await client.call<{ taskId: string }>('POST', `${voiceArea}/create`, {
        name,
        language: typeof values.language === 'string' ? values.language : 'en-US',
        fileIds,
        humanLabel: false,
      });
      const done = await client.waitForTask(
        voiceArea,
        taskId,
        progressBar(progressOut, interactive),
      );
      if (interactive) progressOut('\n');
      if (done.status !== 'succeeded') {
        print(failureText(`voice ${name}`, done));
        return 1;
      }
      const result = done.result as unknown as VoiceResult;
      print(
        `voice ${name}: ${result.voiceId} (from ${result.baseVoice}; ${result.speechSeconds} s of speech, ` +
          `pitch ${result.measured.pitchHz} Hz, ` +
          (result.measured.phonesPerSecond !== undefined
            ? `${result.measured.phonesPerSecond} phones/s)`
            : `syllabic rhythm ${result.measured.syllabicRhythmHz} Hz)`),
      );
      return 0;
    }
    case 'list': {
      const { voices } = await client.call<{
        voices: { voiceId: string; name: string; language: string; baseVoice: string }[];
      }>('GET', `${voiceArea}/voices`);
      for (const voice of voices) {
        print(`${voice.voiceId}  ${voice.language}  ${voice.name} (from ${voice.baseVoice})`);
      }
      if (voices.length === 0) print('no personal voices yet');
      return 0;
    }
    default:
      throw new Error(`usage:\n${voiceUsage}`);
  }
}
