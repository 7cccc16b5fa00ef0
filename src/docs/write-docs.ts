/**
 * Regenerates the generated documents: docs/errors.md, docs/openapi.json and the configuration
 * table between the markers in README.md. Run with `npm run docs`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../util/paths.js';
import { renderOpenApi } from './openapi.js';
import { renderConfigTable, renderErrorDocs } from './render.js';

export const configMarkers = ['<!-- config:start -->', '<!-- config:end -->'] as const;

export function replaceBetweenMarkers(text: string, table: string): string {
  const [start, end] = configMarkers;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} ... ${end} markers`);
  return `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`;
}

async function main(): Promise<void> {
  fs.mkdirSync(path.join(packageRoot, 'docs'), { recursive: true });
  fs.writeFileSync(path.join(packageRoot, 'docs/errors.md'), renderErrorDocs());
  fs.writeFileSync(path.join(packageRoot, 'docs/openapi.json'), await renderOpenApi());
  const readme = path.join(packageRoot, 'README.md');
  fs.writeFileSync(readme, replaceBetweenMarkers(fs.readFileSync(readme, 'utf8'), renderConfigTable()));
}

// Only when run as a script: the docs test imports this module, and must compare, not rewrite.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
