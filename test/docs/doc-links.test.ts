/**
 * The project stands alone: its documents link only to files and headings it has, and nothing in
 * it points at the workspace it was written in (a user's clone has none of that).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/util/paths.js';

/** Folders that are built, installed or written at run time, not part of the project's text. */
const skippedDirs = new Set(['.git', 'node_modules', 'dist', 'data', '.bench', '__pycache__']);
const textExtensions = new Set(['.ts', '.js', '.mjs', '.md', '.sh', '.json', '.py', '.toml']);
const textNames = new Set(['.npmrc', '.gitignore', '.prettierignore', 'run']);

/**
 * Pointers out of the project, spelled in pieces so that this file does not match itself: the
 * shared workspace beside the checkout, its spec and seed documents, and the checkout's own path.
 */
const outsidePointers = [
  ['..', 'shared'].join('/'),
  ['', 'work', 'shared'].join('/'),
  ['', 'work', 'main'].join('/'),
  ['spec', 'api.md'].join('/'),
  ['platform', 'faq'].join('-'),
];

function projectFiles(dir = packageRoot): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skippedDirs.has(entry.name)) files.push(...projectFiles(full));
    } else if (textExtensions.has(path.extname(entry.name)) || textNames.has(entry.name)) {
      files.push(full);
    }
  }
  return files;
}

const relative = (file: string) => path.relative(packageRoot, file);

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const match of stripCode(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = headingSlug(match[1] ?? '');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Markdown without fenced blocks and code spans, whose brackets are not links. */
function stripCode(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Every relative link target of a Markdown text (web addresses are not checked here). */
function relativeLinks(markdown: string): string[] {
  const targets = [...stripCode(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** What is wrong with one link of `file`, or undefined when it resolves. */
function brokenLink(file: string, target: string): string | undefined {
  const [pathPart = '', fragment] = target.split('#', 2);
  const resolved = pathPart === '' ? file : path.resolve(path.dirname(file), pathPart);
  if (!resolved.startsWith(packageRoot + path.sep)) return 'points outside the project';
  if (!fs.existsSync(resolved)) return 'no such file';
  if (fragment === undefined || !resolved.endsWith('.md')) return undefined;
  return anchors(fs.readFileSync(resolved, 'utf8')).has(fragment) ? undefined : 'no such heading';
}

test('heading anchors and links are read the way GitHub renders them', () => {
  assert.equal(headingSlug('Neural voices (operator-supplied)'), 'neural-voices-operator-supplied');
  assert.equal(headingSlug('2026-12-01 — issue 12'), '2026-12-01--issue-12');
  assert.equal(headingSlug('API (`npm run bench:api`, 10 s)'), 'api-npm-run-benchapi-10-s');
  assert.deepEqual(
    relativeLinks('[a](docs/api.md#tokens) [b](https://x.org) `[c](no.md)` <http://y> [d](#e)'),
    ['docs/api.md#tokens', '#e'],
  );
  assert.deepEqual([...anchors('# A\n## A\n```\n# not a heading\n```\n')], ['a', 'a-1']);
});

test('every relative link in the Markdown documents reaches a file and heading that exist', () => {
  const documents = projectFiles().filter((file) => file.endsWith('.md'));
  for (const name of ['README.md', 'NOTES.md', 'docs/api.md', 'docs/contract.md']) {
    assert.ok(documents.includes(path.join(packageRoot, name)), `${name} is missing`);
  }
  const broken: string[] = [];
  for (const file of documents) {
    for (const target of relativeLinks(fs.readFileSync(file, 'utf8'))) {
      const problem = brokenLink(file, target);
      if (problem) broken.push(`${relative(file)}: ${target} (${problem})`);
    }
  }
  assert.deepEqual(broken, []);
});

test('nothing in the project points outside it', () => {
  const found: string[] = [];
  for (const file of projectFiles()) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      const pointer = outsidePointers.find((p) => line.includes(p));
      if (pointer) found.push(`${relative(file)}:${index + 1}: ${pointer}`);
    });
  }
  assert.deepEqual(found, []);
});

test("the README's first screen says what Anima is and gives the two commands", () => {
  const firstScreen = fs
    .readFileSync(path.join(packageRoot, 'README.md'), 'utf8')
    .split('\n')
    .slice(0, 30)
    .join('\n');
  assert.match(firstScreen, /^# Anima\n\n\S/);
  assert.match(firstScreen, /^npm run demo\b/m);
  assert.match(firstScreen, /^npm test\b/m);
  assert.match(firstScreen, /\]\(docs\/contract\.md\)/, 'the first screen links the contract');
});
