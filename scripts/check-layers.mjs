#!/usr/bin/env node
// The layering check (part of npm run lint): a module of src/ imports only from its own layer or
// lower ones, type-only imports included, so nothing climbs back up. Imports within a layer are
// allowed; the circular-import check (dpdm, type imports included) catches cycles among them.
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'src');

/** Bottom to top. A file at the top of src/ (platform.ts) is the wiring, under the server. */
const layers = [
  ['util', 'errors', 'config', 'storage'],
  ['media', 'net', 'engines'],
  ['tasks', 'files', 'auth'],
  ['avatar', 'video', 'voice', 'live'],
  ['(root)'],
  ['server', 'cli', 'docs'],
];

/**
 * Imports that climb, each with why: 'importer → imported' (relative to src/) → reason. None are
 * left; one that has to be added says here why it cannot be moved down instead.
 */
const allowed = new Map();

// Static imports and re-exports (type-only ones too), bare imports, and dynamic import().
const importPattern =
  /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*['"](\.[^'"]+)['"]|(?:^|\n)\s*import\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The files of src/ a file imports, relative to src/ (sdk/ and packages are not layered here). */
function importsOf(relative) {
  const file = path.join(root, relative);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  return [...text.matchAll(importPattern)]
    .map((match) => (match[1] ?? match[2] ?? match[3]).replace(/\.js$/, '.ts'))
    .map((specifier) => path.resolve(path.dirname(file), specifier))
    .filter((target) => target.startsWith(root + path.sep))
    .map((target) => path.relative(root, target));
}

function layerOf(relative) {
  const parts = relative.split(path.sep);
  const area = parts.length === 1 ? '(root)' : parts[0];
  return { area, rank: layers.findIndex((names) => names.includes(area)) };
}

const problems = [];
for (const file of sources(root).map((full) => path.relative(root, full))) {
  const from = layerOf(file);
  if (from.rank < 0) problems.push(`${file}: src/${from.area}/ is in no layer: add it above`);
  for (const target of importsOf(file)) {
    const to = layerOf(target);
    const key = `${file} → ${target}`;
    if (to.rank > from.rank && !allowed.has(key)) {
      problems.push(
        `${key}: ${from.area} (layer ${from.rank}) imports ${to.area} (layer ${to.rank})`,
      );
    }
  }
}
for (const key of allowed.keys()) {
  const [file, target] = key.split(' → ');
  if (!importsOf(file).includes(target))
    problems.push(`${key}: no longer imported: drop it from the allowed list`);
}
if (problems.length > 0) {
  process.stderr.write(
    `check-layers: ${problems.length} problem(s):\n  ${problems.join('\n  ')}\n`,
  );
  process.exit(1);
}
const listed = allowed.size > 0 ? ` (${allowed.size} allowed, listed with why)` : '';
process.stdout.write(`check-layers: no module imports a layer above its own${listed}\n`);
