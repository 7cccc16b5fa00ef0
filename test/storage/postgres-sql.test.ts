import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openPostgres, type PgPool } from '../../src/storage/postgres.js';
import { PostgresSql } from '../../src/storage/sql.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

// Statements are prepared by name on each connection of the pool (a real Postgres here).

let postgres: TestPostgres;
let url: string;
let pool: PgPool;
before(async () => {
  postgres = await startPostgres();
  url = await postgres.database();
  pool = await openPostgres(url, { max: 1 });
});
after(async () => {
  await pool?.end();
  postgres?.stop();
});

test('a statement prepared before another instance changed the table still answers, with the new column', async () => {
  const sql = new PostgresSql(pool);
  await sql.run('CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT)');
  await sql.run('INSERT INTO probe (id, name) VALUES (?, ?)', [1, 'first']);
  const read = () => sql.get<Record<string, unknown>>('SELECT * FROM probe WHERE id = ?', [1]);
  assert.deepEqual(await read(), { id: 1, name: 'first' });
  // What a migration run by a newer instance does while this one is running.
  const other = await openPostgres(url, { max: 1 });
  try {
    await other.query("ALTER TABLE probe ADD COLUMN extra TEXT NOT NULL DEFAULT 'added'");
  } finally {
    await other.end();
  }
  assert.deepEqual(await read(), { id: 1, name: 'first', extra: 'added' });
  assert.deepEqual(await read(), { id: 1, name: 'first', extra: 'added' });
  // Inside a transaction too.
  const inside = await sql.transaction((tx) =>
    tx.get<Record<string, unknown>>('SELECT * FROM probe WHERE id = ?', [1]),
  );
  assert.deepEqual(inside, { id: 1, name: 'first', extra: 'added' });
});
