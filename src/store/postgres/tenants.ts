import type { PoolClient } from 'pg';
import type { CustomerQuery } from '../../domain/ports.js';
import type { Account, Customer, DirectoryBinding, Page, Partner } from '../../domain/types.js';
import type { Db } from './db.js';

export interface TenantImport { partners?: Partner[]; customers?: Customer[]; accounts?: Account[] }

type Data<T> = { data: T };

/** Partner → customer → account reads; every one but the partner look-ups is scoped by partner id. */
export class Tenants {
  constructor(private readonly db: Db) {}

  async isEmpty(): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM partners LIMIT 1')).length === 0;
  }

  /** Adds or replaces partners, customers and accounts by id, in one transaction. */
  importTenants(data: TenantImport): Promise<void> {
    return this.db.tx((client) => importInto(client, data));
  }

  async listPartners(): Promise<Partner[]> {
    return (await this.db.query<Data<Partner>>('SELECT data FROM partners WHERE deleted_at IS NULL ORDER BY id')).map((r) => r.data);
  }

  async getPartner(partnerId: string): Promise<Partner | undefined> {
    return (await this.db.query<Data<Partner>>('SELECT data FROM partners WHERE id = $1 AND deleted_at IS NULL', [partnerId]))[0]?.data;
  }

  async listCustomers(partnerId: string, query: CustomerQuery): Promise<Page<Customer>> {
    const q = query.q?.trim().toLowerCase() || null;
    // strpos, not LIKE: a search for "50%" or "a_b" means those characters.
    const where = 'partner_id = $1 AND deleted_at IS NULL AND ($2::text IS NULL OR strpos(lower(name), $2) > 0)';
    const [rows, count] = await Promise.all([
      this.db.query<Data<Customer>>(`SELECT data FROM customers WHERE ${where} ORDER BY name, id LIMIT $3 OFFSET $4`,
        [partnerId, q, query.pageSize, (query.page - 1) * query.pageSize]),
      this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers WHERE ${where}`, [partnerId, q]),
    ]);
    return { items: rows.map((r) => r.data), total: count[0]?.n ?? 0, page: query.page, pageSize: query.pageSize };
  }

  async getCustomer(partnerId: string, customerId: string): Promise<Customer | undefined> {
    return (await this.db.query<Data<Customer>>('SELECT data FROM customers WHERE partner_id = $1 AND id = $2 AND deleted_at IS NULL', [partnerId, customerId]))[0]?.data;
  }

  async setCustomerDirectory(partnerId: string, customerId: string, binding: DirectoryBinding | undefined): Promise<void> {
    await this.db.query(`UPDATE customers
      SET data = CASE WHEN $3::jsonb IS NULL THEN data - 'directory' ELSE jsonb_set(data, '{directory}', $3::jsonb) END
      WHERE partner_id = $1 AND id = $2`, [partnerId, customerId, binding ? JSON.stringify(binding) : null]);
  }

  async listAccounts(partnerId: string, customerId: string): Promise<Account[]> {
    const rows = await this.db.query<Data<Account>>(
      'SELECT data FROM accounts WHERE partner_id = $1 AND customer_id = $2 AND deleted_at IS NULL ORDER BY name, id', [partnerId, customerId]);
    return rows.map((r) => r.data);
  }

  async getAccount(partnerId: string, accountId: string): Promise<Account | undefined> {
    return (await this.db.query<Data<Account>>('SELECT data FROM accounts WHERE partner_id = $1 AND id = $2 AND deleted_at IS NULL', [partnerId, accountId]))[0]?.data;
  }

  async findAccountsByIdentifier(partnerId: string, identifier: string): Promise<Account[]> {
    const id = identifier.trim().toLowerCase();
    if (!id) return [];
    const rows = await this.db.query<Data<Account>>(
      'SELECT data FROM accounts WHERE partner_id = $1 AND deleted_at IS NULL AND (lower(login) = $2 OR lower(email) = $2) ORDER BY name, id', [partnerId, id]);
    return rows.map((r) => r.data);
  }

  async setAccountLastReset(partnerId: string, accountId: string, at: string): Promise<void> {
    await this.db.query(`UPDATE accounts SET data = jsonb_set(data, '{lastResetAt}', to_jsonb($3::text))
      WHERE partner_id = $1 AND id = $2`, [partnerId, accountId, at]);
  }
}

/** One statement per table, the rows passed as one jsonb array: a thousand accounts in one round trip. */
export async function importInto(client: PoolClient, data: TenantImport): Promise<void> {
  const json = (rows: unknown[] | undefined) => JSON.stringify(rows ?? []);
  await client.query(`INSERT INTO partners (id, data)
    SELECT x->>'id', x FROM jsonb_array_elements($1::jsonb) x
    ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data`, [json(data.partners)]);
  await client.query(`INSERT INTO customers (id, partner_id, name, data)
    SELECT x->>'id', x->>'partnerId', x->>'name', x FROM jsonb_array_elements($1::jsonb) x
    ON CONFLICT (id) DO UPDATE SET partner_id = EXCLUDED.partner_id, name = EXCLUDED.name, data = EXCLUDED.data`, [json(data.customers)]);
  await client.query(`INSERT INTO accounts (id, partner_id, customer_id, name, login, email, data)
    SELECT x->>'id', x->>'partnerId', x->>'customerId', x->>'name', x->>'login', x->>'email', x FROM jsonb_array_elements($1::jsonb) x
    ON CONFLICT (id) DO UPDATE SET partner_id = EXCLUDED.partner_id, customer_id = EXCLUDED.customer_id, name = EXCLUDED.name,
      login = EXCLUDED.login, email = EXCLUDED.email, data = EXCLUDED.data`, [json(data.accounts)]);
}
