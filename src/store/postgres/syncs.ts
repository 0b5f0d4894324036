import type { PoolClient } from 'pg';
import type { SyncQuery } from '../../domain/ports.js';
import type { SyncRecord } from '../../domain/types.js';
import type { Db } from './db.js';

interface SyncRow {
  sealed: string | null;
  data: Omit<SyncRecord, 'sealed'>;
}

const fromRow = (r: SyncRow): SyncRecord => ({ ...r.data, ...(r.sealed !== null ? { sealed: r.sealed } : {}) });

export const SYNC_COLUMNS = 'id, partner_id, customer_id, account_id, created_at, state, due_at, sealed, data';

/** The columns of one record, in `SYNC_COLUMNS` order; `sealed` never goes into `data`, so clearing the column wipes it. */
export function syncParams(s: SyncRecord): unknown[] {
  const { sealed, ...data } = s;
  return [s.id, s.partnerId, s.customerId, s.accountId, s.createdAt, s.state, s.dueAt ?? null, sealed ?? null, JSON.stringify(data)];
}

async function save(client: PoolClient, next: SyncRecord): Promise<void> {
  const [id, , , , , state, dueAt, sealed, data] = syncParams(next);
  await client.query('UPDATE syncs SET state = $2, due_at = $3, sealed = $4, data = $5 WHERE id = $1', [id, state, dueAt, sealed, data]);
}

/** Sync records on PostgreSQL: every change is a locked read-modify-write, claims skip locked rows. */
export class PgSyncs {
  constructor(private readonly db: Db) {}

  async createSync(sync: SyncRecord): Promise<SyncRecord> {
    await this.db.query(`INSERT INTO syncs (${SYNC_COLUMNS})
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`, syncParams(sync));
    return (await this.getSync(sync.partnerId, sync.id)) ?? sync;
  }

  async getSync(partnerId: string, syncId: string): Promise<SyncRecord | undefined> {
    const row = (await this.db.query<SyncRow>('SELECT sealed, data FROM syncs WHERE id = $1 AND partner_id = $2', [syncId, partnerId]))[0];
    return row && fromRow(row);
  }

  updateSync(partnerId: string, syncId: string, change: (sync: SyncRecord) => SyncRecord | undefined): Promise<SyncRecord | undefined> {
    return this.db.tx(async (client) => {
      const row = (await client.query<SyncRow>('SELECT sealed, data FROM syncs WHERE id = $1 AND partner_id = $2 FOR UPDATE', [syncId, partnerId])).rows[0];
      if (!row) return undefined;
      const current = fromRow(row);
      const next = change(structuredClone(current));
      if (!next) return current;
      const saved = { ...next, id: syncId, partnerId };
      await save(client, saved);
      return saved;
    });
  }

  claimDueSyncs(now: string, limit: number, claim: (sync: SyncRecord) => SyncRecord): Promise<SyncRecord[]> {
    return this.db.tx(async (client) => {
      // SKIP LOCKED: another instance's worker passes over the rows this one holds instead of
      // waiting for them, so no target is ever tried by two workers at once.
      const rows = (await client.query<SyncRow>(`SELECT sealed, data FROM syncs WHERE due_at <= $1
        ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [now, limit])).rows;
      const claimed: SyncRecord[] = [];
      for (const row of rows) {
        const current = fromRow(row);
        const next = { ...claim(structuredClone(current)), id: current.id, partnerId: current.partnerId };
        await save(client, next);
        claimed.push(next);
      }
      return claimed;
    });
  }

  async deleteSettledSyncs(before: string): Promise<number> {
    const rows = await this.db.query('DELETE FROM syncs WHERE created_at < $1 AND sealed IS NULL AND due_at IS NULL RETURNING id', [before]);
    return rows.length;
  }

  async listSyncs(query: SyncQuery): Promise<SyncRecord[]> {
    const rows = await this.db.query<SyncRow>(`SELECT sealed, data FROM syncs
      WHERE ($1::text IS NULL OR partner_id = $1) AND ($2::text IS NULL OR customer_id = $2)
        AND ($3::text IS NULL OR account_id = $3) AND ($4::text IS NULL OR state = $4)
      ORDER BY created_at DESC, id DESC LIMIT $5`,
    [query.partnerId ?? null, query.customerId ?? null, query.accountId ?? null, query.state ?? null, query.limit]);
    return rows.map(fromRow);
  }
}
