/**
 * The operator's voice alias table (ANIMA_VOICE_ALIASES): a JSON file of names to local voice
 * ids, so clients written for the hosted service keep their voice ids,
 *
 *   { "8wfZav:AEA_Z10M...": "en-US-kal", "narrator": "en-GB-slt" }
 *
 * Read and checked once at start-up: a file that cannot be read, is not such an object, or maps
 * to a voice that does not exist stops the server with a message naming it.
 */
import fs from 'node:fs';
import { ConfigError } from '../config/config.js';
import type { VoiceDef } from './voices.js';

export function loadVoiceAliases(
  file: string,
  voices: readonly VoiceDef[],
): ReadonlyMap<string, string> {
  const aliases = new Map<string, string>();
  if (file === '') return aliases;
  const where = `ANIMA_VOICE_ALIASES (${file})`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
    throw new ConfigError([`${where}: the file ${reason}: ${(error as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([
      `${where}: expected one JSON object of names to voice ids, like {"hosted-id": "en-US-slt"}`,
    ]);
  }
  const known = new Set(voices.filter((voice) => !voice.ownerAppId).map((voice) => voice.id));
  const problems: string[] = [];
  for (const [name, target] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof target !== 'string' || !known.has(target)) {
      problems.push(
        `${where}: "${name}" maps to ${JSON.stringify(target)}, which is not a voice here (voices: ${[...known].join(', ')})`,
      );
    } else if (name.trim() !== '') {
      aliases.set(name.trim(), target);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return aliases;
}
