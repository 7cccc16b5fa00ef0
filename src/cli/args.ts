import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { optionDefs, type OptionKey } from '../config/options.js';

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

/** The command-line flags of every setting that has one, from the one option list. */
export function configFlagOptions(keys: readonly OptionKey[]): ParseOptions {
  const options: ParseOptions = {};
  for (const key of keys) {
    const def = optionDefs[key];
    if ('flag' in def) options[def.flag] = { type: 'string' };
  }
  return options;
}

export interface ParsedCommand {
  readonly config: Config;
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** Parses a command's arguments: its own flags plus the config flags named, then the config. */
export function parseCommand(
  argv: readonly string[],
  configKeys: readonly OptionKey[],
  own: ParseOptions = {},
): ParsedCommand {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { ...configFlagOptions(configKeys), ...own },
    allowPositionals: true,
    strict: true,
  });
  const flags: Partial<Record<OptionKey, string>> = {};
  for (const key of configKeys) {
    const def = optionDefs[key];
    const value = 'flag' in def ? values[def.flag] : undefined;
    if (typeof value === 'string') flags[key] = value;
  }
  return { config: loadConfig({ flags }), values: values as ParsedCommand['values'], positionals };
}

export function describeError(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `${(error as Error).message}: another program uses that port; pick another with --port or ANIMA_PORT`;
  }
  if (code === 'EACCES' || code === 'EROFS') {
    return `${(error as Error).message}: choose a data directory you can write with --data or ANIMA_DATA`;
  }
  return error instanceof Error ? error.message : String(error);
}
