// PostgreSQL for tests: the server in DATABASE_URL (.ci/run starts one), and a schema of its own
// for every test so files running in parallel never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PostgresSettings } from '../../src/store/postgres/index.js';

export const databaseUrl = process.env.DATABASE_URL || undefined;

export const SKIP_NOTICE = 'PostgreSQL tests skipped (store contract, multi-instance, restart, import): '
  + 'set DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/DB to a database the user owns, as .ci/run does.';

export const silentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Settings for a test: a small pool, and no waiting at start for a server that is not there. */
export function testSettings(url: string, overrides: Partial<PostgresSettings> = {}): PostgresSettings {
  return { url, poolSize: 4, statementTimeoutMs: 5000, connectTimeoutMs: 2000, connectRetries: 0, connectRetryDelayMs: 100, ...overrides };
}

/** `base` with `search_path` set to `schema`, passed to the server as a libpq `options` parameter. */
export function withSchema(base: string, schema: string): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.href;
}

export interface TestSchema {
  /** DATABASE_URL pointing into the new schema. */
  url: string;
  schema: string;
  drop(): Promise<void>;
}

export async function freshSchema(base = databaseUrl): Promise<TestSchema> {
  if (!base) throw new Error('DATABASE_URL is not set');
  const schema = `rbt_${randomBytes(6).toString('hex')}`;
  await admin(base, `CREATE SCHEMA ${schema}`);
  return { url: withSchema(base, schema), schema, drop: () => admin(base, `DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
