// What only the PostgreSQL store has: versioned migrations run by every instance at start and by
// `resetbridge db migrate`, waiting for the database at start, and leases on mails being sent.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Db } from '../../src/store/postgres/db.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { MigrationError, migrate, readMigrations } from '../../src/store/postgres/migrate.js';
import { databaseUrl, freshSchema, silentLogger, testSettings, type TestSchema } from '../contract/store-postgres-fixture.js';
import { freePort } from '../support/product.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function cli(args: string[], env: Record<string, string> = {}) {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'bin', 'resetbridge.js'), ...args], {
    cwd: root, env: { ...process.env, ...env }, timeout: 60_000,
  });
  return stdout;
}

async function appliedVersions(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
  } finally {
    await client.end();
  }
}

describe.skipIf(!databaseUrl)('PostgreSQL store', () => {
  let schema: TestSchema;
  beforeEach(async () => {
    schema = await freshSchema();
  });
  afterEach(async () => {
    await schema.drop();
  });

  it('migrates once when four instances start at the same moment', async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(testSettings(schema.url), silentLogger)));
    await Promise.all(stores.map((s) => s.close()));
    expect(await appliedVersions(schema.url)).toEqual(readMigrations().map((m) => m.version));
  });

  it('applies only the migrations a database lacks, and refuses one that was edited after it was applied', async () => {
    const db = Db.create(testSettings(schema.url), silentLogger);
    try {
      const [first] = readMigrations();
      expect(await migrate(db, silentLogger, [first!])).toEqual([first!.name]);
      const second = { version: 999, name: '999_extra.sql', sql: 'CREATE TABLE extra (id int)', checksum: 'x' };
      expect(await migrate(db, silentLogger, [first!, second])).toEqual(['999_extra.sql']);
      expect(await migrate(db, silentLogger, [first!, second])).toEqual([]);
      const edited = { ...first!, sql: `${first!.sql}\n-- edited`, checksum: 'edited' };
      await expect(migrate(db, silentLogger, [edited, second])).rejects.toThrow(MigrationError);
      await expect(migrate(db, silentLogger, [edited, second])).rejects.toThrow(/001_init\.sql was changed after it was applied/);
    } finally {
      await db.end();
    }
  });

  it('migrates from the command line, and says so when there is nothing to do', async () => {
    const names = readMigrations().map((m) => m.name).join(', ');
    expect(await cli(['db', 'migrate'], { DATABASE_URL: schema.url })).toContain(`applied ${names} to ${new URL(schema.url).hostname}:`);
    expect(await cli(['db', 'migrate'], { DATABASE_URL: schema.url })).toMatch(/is up to date/);
    expect(await cli(['db', 'migrate', '--help'])).toMatch(/Example:\n\s+DATABASE_URL=\S+ npx resetbridge db migrate/);
  });

  it('tries again at start while the database cannot be reached, then gives up naming where, not how', async () => {
    const url = `postgres://resetbridge:hunter2-secret@127.0.0.1:${await freePort()}/nowhere`;
    const warnings: unknown[] = [];
    const started = Date.now();
    const failure = await PostgresStore.open(testSettings(url, { connectRetries: 2, connectRetryDelayMs: 200 }), { ...silentLogger, warn: (o) => void warnings.push(o) })
      .then(() => undefined, (e: Error) => e);
    expect(failure?.message).toMatch(/^Cannot use PostgreSQL at 127\.0\.0\.1:\d+\/nowhere/);
    expect(failure?.message).not.toContain('hunter2');
    expect(JSON.stringify(warnings)).not.toContain('hunter2');
    expect(warnings).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('hands a mail out again when the worker that took it stopped before finishing', async () => {
    const store = await PostgresStore.open(testSettings(schema.url), silentLogger);
    try {
      const id = randomUUID();
      await store.enqueueMail({ id, kind: 'reset-link', sealed: 'v1.x', status: 'queued', attempts: 0, nextAttemptAt: '2030-01-01T00:00:00.000Z', createdAt: '2030-01-01T00:00:00.000Z' });
      expect((await store.claimMail('2030-01-01T00:00:00.000Z', 5)).map((m) => m.id)).toEqual([id]);
      expect(await store.claimMail('2030-01-01T00:09:00.000Z', 5)).toEqual([]);
      expect(await store.claimMail('2030-01-01T00:10:00.000Z', 5)).toMatchObject([{ id, attempts: 2, status: 'sending' }]);
    } finally {
      await store.close();
    }
  });
});
