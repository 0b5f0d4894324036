import type { ApiClient, IdempotencyRecord } from '../../domain/types.js';
import type { Db } from './db.js';
import { iso } from './rows.js';

interface KeyRow {
  scope: string;
  key: string;
  request_hash: string;
  created_at: Date;
  expires_at: Date;
  status: number | null;
  body: string | null;
}

const fromRow = (r: KeyRow): IdempotencyRecord => ({
  scope: r.scope, key: r.key, requestHash: r.request_hash, createdAt: iso(r.created_at), expiresAt: iso(r.expires_at),
  ...(r.status !== null && r.body !== null ? { response: { status: r.status, body: r.body } } : {}),
});

/** API clients and idempotency keys in PostgreSQL, shared by every instance. */
export class ApiData {
  constructor(private readonly db: Db) {}

  async saveApiClient(client: ApiClient): Promise<void> {
    await this.db.query('INSERT INTO api_clients (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data',
      [client.id, JSON.stringify(client)]);
  }

  async getApiClient(id: string): Promise<ApiClient | undefined> {
    return (await this.db.query<{ data: ApiClient }>('SELECT data FROM api_clients WHERE id = $1', [id]))[0]?.data;
  }

  async listApiClients(): Promise<ApiClient[]> {
    return (await this.db.query<{ data: ApiClient }>("SELECT data FROM api_clients ORDER BY data->>'createdAt', id")).map((r) => r.data);
  }

  async touchApiClient(id: string, at: string): Promise<void> {
    await this.db.query("UPDATE api_clients SET data = jsonb_set(data, '{lastUsedAt}', to_jsonb($2::text)) WHERE id = $1", [id, at]);
  }

  async reserveIdempotencyKey(record: IdempotencyRecord, now: string): Promise<IdempotencyRecord | undefined> {
    // Two tries: the holder we failed against may expire and be swept between the two statements.
    for (let attempt = 0; attempt < 2; attempt++) {
      // Inserted, or taking over an expired key: ours. A live key: the holder's record answers.
      const taken = await this.db.query(`INSERT INTO idempotency_keys (scope, key, request_hash, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = EXCLUDED.created_at,
          expires_at = EXCLUDED.expires_at, status = NULL, body = NULL
        WHERE idempotency_keys.expires_at <= $6
        RETURNING scope`, [record.scope, record.key, record.requestHash, record.createdAt, record.expiresAt, now]);
      if (taken.length) return undefined;
      const row = (await this.db.query<KeyRow>('SELECT * FROM idempotency_keys WHERE scope = $1 AND key = $2', [record.scope, record.key]))[0];
      if (row) return fromRow(row);
    }
    throw new Error('idempotency key could not be reserved');
  }

  async finishIdempotencyKey(scope: string, key: string, response: { status: number; body: string }): Promise<void> {
    await this.db.query('UPDATE idempotency_keys SET status = $3, body = $4 WHERE scope = $1 AND key = $2', [scope, key, response.status, response.body]);
  }

  async releaseIdempotencyKey(scope: string, key: string): Promise<void> {
    await this.db.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
  }
}
