import { optionDefs } from '../config/options.js';
import { errorCatalog } from '../errors/catalog.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** docs/errors.md, generated from the one error catalog. */
export function renderErrorDocs(): string {
  const rows = Object.entries(errorCatalog)
    .sort(([, a], [, b]) => a.code - b.code)
    .map(([key, e]) => `| ${e.code} | ${e.http} | \`${key}\` | ${e.message ? `\`${cell(e.message)}\`` : '(empty body)'} | ${cell(e.fix)} |`);
  return [
    '# Error catalog',
    '',
    'Generated from `src/errors/catalog.ts` by `npm run docs`; a test fails when this file is stale.',
    'Every JSON error answer is `{code, message, data: null, fix}`; 3333 adds `detail`, naming each bad',
    'field. A task that fails carries the same `errorCode`, `errorMsg` and `fix`. `{name}` stands for',
    'a value filled in at the time.',
    '',
    '| code | HTTP | key | message | fix |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** The configuration table of the README, generated from the one option list. */
export function renderConfigTable(): string {
  const rows = Object.entries(optionDefs).map(([, def]) => {
    const flag = 'flag' in def ? `\`--${def.flag}\`` : '';
    return `| \`${def.env}\` | ${flag} | \`${def.default === '' ? '(none)' : def.default}\` | ${cell(def.doc)} |`;
  });
  return ['| environment | flag | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
