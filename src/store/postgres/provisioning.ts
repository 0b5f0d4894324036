import type { PoolClient } from 'pg';
import { AppError } from '../../domain/errors.js';
import type { AccountPageQuery, CustomerPageQuery, TenantPageQuery } from '../../domain/ports.js';
import type { Account, AuditEvent, Customer, CursorPage, Partner, ResetRecord } from '../../domain/types.js';
import type { Db } from './db.js';
import { RESET_COLUMNS, resetFromRow, type ResetRow } from './rows.js';

type Data<T> = { data: T };

const conflict = (message: string) => new AppError('CONFLICT', 409, message);

// 23505: an external id another row of the partner holds; 23503: a company or partner that does not exist.
function constraintConflict(e: unknown, what: string): unknown {
  const code = (e as { code?: string }).code;
  if (code === '23505') return conflict(`Another ${what} already has one of these external ids.`);
  if (code === '23503') return conflict(`The ${what} names a company or partner that does not exist.`);
  return e;
}

/** Later rows with the same id win, as in the embedded store; one statement may not touch a row twice. */
function lastById<T extends { id: string }>(rows: T[]): T[] {
  return [...new Map(rows.map((r) => [r.id, r])).values()];
}

/**
 * Filters shared by the page queries, as SQL over parameters `$first`… (four of them). Cursor and
 * order use C collation, which the `*_page` indexes are built with. Partners have no external id.
 */
function pageFilters(query: TenantPageQuery, first: number, externalIds = true): { sql: string; params: unknown[] } {
  const n = (i: number) => `$${first + i}`;
  return {
    sql: `(${n(0)}::boolean OR deleted_at IS NULL)
      AND (${n(1)}::text IS NULL OR id COLLATE "C" > ${n(1)})
      AND (${n(2)}::text[] IS NULL OR id = ANY(${n(2)}))
      AND (${n(3)}::text[] IS NULL OR ${externalIds ? `external_id = ANY(${n(3)})` : 'false'})`,
    params: [!!query.includeDeleted, query.after ?? null, query.ids ?? null, query.externalIds ?? null],
  };
}

function toPage<T extends { id: string }>(rows: Array<Data<T>>, limit: number): CursorPage<T> {
  const items = rows.slice(0, limit).map((r) => r.data);
  return rows.length > limit ? { items, next: items[items.length - 1]!.id } : { items };
}

/** The PostgreSQL store's provisioning and reset-status methods (see the Store port). */
export class Provisioning {
  constructor(private readonly db: Db) {}

  async pagePartners(query: TenantPageQuery): Promise<CursorPage<Partner>> {
    const f = pageFilters(query, 1, false);
    const rows = await this.db.query<Data<Partner>>(
      `SELECT data FROM partners WHERE ${f.sql} ORDER BY id COLLATE "C" LIMIT $5`, [...f.params, query.limit + 1]);
    return toPage(rows, query.limit);
  }

  async pageCustomers(partnerId: string, query: CustomerPageQuery): Promise<CursorPage<Customer>> {
    const f = pageFilters(query, 2);
    const rows = await this.db.query<Data<Customer>>(`SELECT data FROM customers
      WHERE partner_id = $1 AND ${f.sql} AND ($6::text IS NULL OR strpos(lower(name), $6) > 0)
      ORDER BY id COLLATE "C" LIMIT $7`,
    [partnerId, ...f.params, query.q?.trim().toLowerCase() || null, query.limit + 1]);
    return toPage(rows, query.limit);
  }

  async pageAccounts(partnerId: string, query: AccountPageQuery): Promise<CursorPage<Account>> {
    const f = pageFilters(query, 2);
    const rows = await this.db.query<Data<Account>>(`SELECT data FROM accounts
      WHERE partner_id = $1 AND ${f.sql} AND ($6::text IS NULL OR customer_id = $6)
        AND ($7::text IS NULL OR lower(email) = $7) AND ($8::text IS NULL OR lower(login) = $8)
      ORDER BY id COLLATE "C" LIMIT $9`,
    [partnerId, ...f.params, query.customerId ?? null, query.email?.trim().toLowerCase() || null,
      query.login?.trim().toLowerCase() || null, query.limit + 1]);
    return toPage(rows, query.limit);
  }

  async savePartner(partner: Partner): Promise<void> {
    await this.db.query('INSERT INTO partners (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data',
      [partner.id, JSON.stringify(partner)]);
  }

  saveCustomers(partnerId: string, customers: Customer[]): Promise<void> {
    return this.save(partnerId, lastById(customers), 'company', (client, json) => client.query(`
      INSERT INTO customers (id, partner_id, name, data)
      SELECT x->>'id', x->>'partnerId', x->>'name', x FROM jsonb_array_elements($1::jsonb) x
      ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, data = EXCLUDED.data
      WHERE customers.partner_id = EXCLUDED.partner_id
      RETURNING id`, [json]));
  }

  saveAccounts(partnerId: string, accounts: Account[]): Promise<void> {
    return this.save(partnerId, lastById(accounts), 'account', (client, json) => client.query(`
      INSERT INTO accounts (id, partner_id, customer_id, name, login, email, data)
      SELECT x->>'id', x->>'partnerId', x->>'customerId', x->>'name', x->>'login', x->>'email', x
      FROM jsonb_array_elements($1::jsonb) x
      ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, name = EXCLUDED.name,
        login = EXCLUDED.login, email = EXCLUDED.email, data = EXCLUDED.data
      WHERE accounts.partner_id = EXCLUDED.partner_id
      RETURNING id`, [json]));
  }

  /** One statement for the whole batch; a row it could not write (another partner's id) undoes all of it. */
  private async save<T extends { id: string; partnerId: string }>(
    partnerId: string, rows: T[], what: string,
    write: (client: PoolClient, json: string) => Promise<{ rowCount: number | null }>,
  ): Promise<void> {
    const stray = rows.find((r) => r.partnerId !== partnerId);
    if (stray) throw conflict(`The ${what} ${stray.id} belongs to another partner.`);
    if (!rows.length) return;
    try {
      await this.db.tx(async (client) => {
        const { rowCount } = await write(client, JSON.stringify(rows));
        if (rowCount !== rows.length) throw conflict(`A ${what} id in this batch is taken by another partner.`);
      });
    } catch (e) {
      throw constraintConflict(e, what);
    }
  }

  async revokeOpenResets(partnerId: string, scope: { customerId?: string; accountId?: string }, at: string): Promise<number> {
    const rows = await this.db.query(`UPDATE resets SET revoked_at = $4
      WHERE partner_id = $1 AND consumed_at IS NULL AND revoked_at IS NULL
        AND ($2::text IS NULL OR customer_id = $2) AND ($3::text IS NULL OR account_id = $3)
      RETURNING id`, [partnerId, scope.customerId ?? null, scope.accountId ?? null, at]);
    return rows.length;
  }

  async getReset(resetId: string, partnerId?: string): Promise<ResetRecord | undefined> {
    const row = (await this.db.query<ResetRow>(
      `SELECT ${RESET_COLUMNS} FROM resets WHERE id = $1 AND ($2::text IS NULL OR partner_id = $2)`, [resetId, partnerId ?? null]))[0];
    return row && resetFromRow(row);
  }

  async listResets(partnerId: string, accountId: string): Promise<ResetRecord[]> {
    const rows = await this.db.query<ResetRow>(
      `SELECT ${RESET_COLUMNS} FROM resets WHERE partner_id = $1 AND account_id = $2 ORDER BY created_at DESC, id`, [partnerId, accountId]);
    return rows.map(resetFromRow);
  }

  async listResetEvents(partnerId: string, resetId: string): Promise<AuditEvent[]> {
    // The `?` condition repeats the predicate of the audit_by_reset index, so the index is used.
    const rows = await this.db.query<{ event: AuditEvent }>(`SELECT event FROM audit_events
      WHERE partner_id = $1 AND event->'detail' ? 'resetId' AND (event->'detail'->>'resetId') = $2 ORDER BY seq`, [partnerId, resetId]);
    return rows.map((r) => r.event);
  }
}
