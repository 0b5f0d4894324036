import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import { AppError } from '../../domain/errors.js';

export interface PostgresSettings {
  /** Connection URL. It may carry libpq parameters, e.g. `?options=-c%20search_path%3Dresetbridge`. */
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  connectRetries: number;
  connectRetryDelayMs: number;
}

/** What the store logs through; structurally the app's logger. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable. Please try again in a minute.';

// Node socket errors, and SQLSTATEs meaning "the server went away or is not accepting work now":
// class 08 (connection exception), shutdown/starting up (57P01-03), too many connections, and a
// statement cancelled by statement_timeout (57014): an overloaded database, not a bug.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const DRIVER_MESSAGES = /connection terminated|timeout exceeded when trying to connect|not queryable|connection error|connection ended/i;

export function isUnavailable(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown; errors?: unknown } | undefined;
  if (!err) return false;
  const code = typeof err.code === 'string' ? err.code : '';
  if (SOCKET_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08')) return true;
  // Node reports "connection refused" on every address of a host as an AggregateError.
  if (Array.isArray(err.errors) && err.errors.some(isUnavailable)) return true;
  return typeof err.message === 'string' && DRIVER_MESSAGES.test(err.message);
}

/** A database that cannot be reached becomes one exposed 503; anything else passes through unchanged. */
export function translate(e: unknown): unknown {
  if (e instanceof AppError || !isUnavailable(e)) return e;
  const err = e as { code?: string; message?: string };
  return new AppError('STORE_UNAVAILABLE', 503, UNAVAILABLE_MESSAGE, { expose: true, detail: `${err.code ?? ''} ${err.message ?? ''}`.trim() });
}

/** Where the database is, for logs: never the URL, which may hold a password. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pg pool whose failures to reach the server surface as AppError 503. */
export class Db {
  private constructor(readonly pool: pg.Pool) {}

  static create(settings: PostgresSettings, logger: StoreLogger): Db {
    const pool = new pg.Pool({
      connectionString: settings.url,
      max: settings.poolSize,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      statement_timeout: settings.statementTimeoutMs,
      application_name: 'resetbridge',
    });
    // An idle connection dropped by the server (restart, failover) emits here; without a listener
    // the process would crash. The pool has already discarded it; the next query opens a new one.
    pool.on('error', (err) => logger.warn({ code: (err as { code?: string }).code, error: err.message }, 'database connection lost; it will be reopened'));
    return new Db(pool);
  }

  /** Waits for the database at start: it may still be starting next to the app. */
  static async connect(settings: PostgresSettings, logger: StoreLogger): Promise<Db> {
    const db = Db.create(settings, logger);
    const target = describeTarget(settings.url);
    for (let attempt = 0; ; attempt++) {
      try {
        await db.pool.query('SELECT 1');
        return db;
      } catch (e) {
        const err = e as Error & { code?: string };
        if (!isUnavailable(e) || attempt >= settings.connectRetries) {
          await db.pool.end().catch(() => undefined);
          throw new Error(`Cannot use PostgreSQL at ${target}: ${err.message || err.code}`);
        }
        logger.warn({ target, attempt: attempt + 1, of: settings.connectRetries, code: err.code }, 'database not reachable yet; retrying');
        await sleep(settings.connectRetryDelayMs);
      }
    }
  }

  async query<R extends QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (e) {
      throw translate(e);
    }
  }

  /** Runs `work` in one transaction; rolls back on any error. */
  async tx<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw translate(e);
    }
    // A checked-out client is not watched by the pool: a server going away mid-transaction would
    // otherwise be an unhandled 'error' event. The failing query reports it to the caller.
    const onError = () => undefined;
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.off('error', onError);
      client.release();
      return result;
    } catch (e) {
      // A connection that failed mid-transaction is not given back to the pool.
      const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
      client.off('error', onError);
      client.release(rolledBack ? undefined : true);
      throw translate(e);
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
