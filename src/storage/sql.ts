/**
 * One way for repositories to speak SQL to either database: SQLite on this machine (the default)
 * or Postgres shared by many (`ANIMA_DATABASE_URL`). Statements are written once with `?`
 * placeholders, in SQL both understand; calls are asynchronous because Postgres's are.
 */
import { statement, type Db } from './database.js';
import { inTransaction, queryPrepared, type PgClient, type PgPool } from './postgres.js';

export interface SqlDb {
  readonly dialect: 'sqlite' | 'postgres';
  /** The column that orders a table's rows by insertion, where their times tie. */
  readonly insertOrder: 'rowid' | 'seq';
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement; how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * `work` in one transaction, through the handle it is given (never through this one, which
   * waits for the transaction to end). With `lock`, transactions naming the same lock run one
   * after another across every instance sharing the database.
   */
  transaction<T>(work: (tx: SqlDb) => Promise<T>, lock?: string): Promise<T>;
}

/**
 * SQLite through better-sqlite3, whose calls are synchronous: a transaction holds the
 * connection, and calls from outside it wait until it ends rather than landing inside it.
 */
export class SqliteSql implements SqlDb {
  readonly dialect = 'sqlite';
  readonly insertOrder = 'rowid';
  private idle: Promise<void> = Promise.resolve();

  constructor(
    readonly db: Db,
    private readonly inside = false,
  ) {}

  private async ready(): Promise<void> {
    if (!this.inside) await this.idle;
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    await this.ready();
    return statement(this.db, sql).all(...params) as T[];
  }

  async get<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    await this.ready();
    return statement(this.db, sql).get(...params) as T | undefined;
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    await this.ready();
    return statement(this.db, sql).run(...params).changes;
  }

  transaction<T>(work: (tx: SqlDb) => Promise<T>): Promise<T> {
    if (this.inside) return work(this);
    const run = async (): Promise<T> => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(new SqliteSql(this.db, true));
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    };
    const result = this.idle.then(run);
    this.idle = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** `?` placeholders as Postgres numbers them ($1, $2, ...); our SQL has no `?` in literals. */
const numbered = new Map<string, string>();
function toPostgres(sql: string): string {
  let text = numbered.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, text);
  }
  return text;
}

/** Postgres through a pool; a transaction on one connection of it. */
export class PostgresSql implements SqlDb {
  readonly dialect = 'postgres';
  readonly insertOrder = 'seq';

  constructor(
    private readonly target: PgPool | PgClient,
    private readonly inside = false,
  ) {}

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const { rows } = await queryPrepared(this.target, toPostgres(sql), params);
    return rows as T[];
  }

  async get<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const { rowCount } = await queryPrepared(this.target, toPostgres(sql), params);
    return rowCount ?? 0;
  }

  transaction<T>(work: (tx: SqlDb) => Promise<T>, lock?: string): Promise<T> {
    if (this.inside) return work(this);
    return inTransaction(this.target as PgPool, async (client) => {
      if (lock !== undefined)
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock]);
      return work(new PostgresSql(client, true));
    });
  }
}
