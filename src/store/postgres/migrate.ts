import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, StoreLogger } from './db.js';

export const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

// Any fixed number: every instance asks for the same lock, so only one migrates at a time.
const MIGRATION_LOCK = 7_236_110_406;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** `NNN_name.sql` files, in version order. */
export function readMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_[\w-]+\.sql$/.test(f))
    .map((f) => {
      const sql = readFileSync(path.join(dir, f), 'utf8');
      return { version: Number(f.split('_')[0]), name: f, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/**
 * Brings the schema up to date in one transaction under an advisory lock, so instances that start
 * together do not race: the second waits, then finds nothing left to do. Returns what it applied.
 */
export async function migrate(db: Db, logger: StoreLogger, migrations = readMigrations()): Promise<string[]> {
  return db.tx(async (client) => {
    // Building an index on a large table may take longer than a request is allowed to.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations');
    const applied = new Map(rows.map((r) => [r.version, r]));
    for (const m of migrations) {
      const done = applied.get(m.version);
      // An applied migration is history: editing it would leave databases that differ silently.
      if (done && done.checksum !== m.checksum) {
        throw new MigrationError(`Migration ${m.name} was changed after it was applied (as ${done.name}); add a new migration instead.`);
      }
    }
    const known = new Set(migrations.map((m) => m.version));
    const newer = rows.filter((r) => !known.has(r.version)).map((r) => r.name);
    if (newer.length) logger.warn({ migrations: newer }, 'the database has migrations this version does not know (a newer version ran here)');

    const ran: string[] = [];
    for (const m of migrations.filter((x) => !applied.has(x.version))) {
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      ran.push(m.name);
    }
    if (ran.length) logger.info({ migrations: ran }, 'database migrated');
    return ran;
  });
}
