import { AppError } from '../../domain/errors.js';
import type { AccountPageQuery, CustomerPageQuery, TenantPageQuery } from '../../domain/ports.js';
import type { Account, Customer, CursorPage, Partner, ResetRecord } from '../../domain/types.js';
import type { Tenants } from './index.js';

type Row = { id: string; partnerId?: string; externalId?: string; deletedAt?: string };

const conflict = (message: string) => new AppError('CONFLICT', 409, message);

/** Ids compare as code units here and in C collation in PostgreSQL: the same order for the ASCII ids the API hands out. */
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function page<T extends Row>(rows: T[], query: TenantPageQuery, match: (row: T) => boolean): CursorPage<T> {
  const ids = query.ids && new Set(query.ids);
  const external = query.externalIds && new Set(query.externalIds);
  const hits = rows.filter((r) => (query.includeDeleted || !r.deletedAt)
    && (query.after === undefined || r.id > query.after)
    && (!ids || ids.has(r.id))
    && (!external || (r.externalId !== undefined && external.has(r.externalId)))
    && match(r)).sort(byId);
  const items = hits.slice(0, query.limit);
  return hits.length > query.limit ? { items, next: items[items.length - 1]!.id } : { items };
}

/**
 * Checks a batch of one partner's rows against what is stored: every row is the partner's, no id
 * is another partner's, and no external id ends up on two rows. Throws before anything changes.
 */
function checkBatch<T extends Row>(stored: T[], partnerId: string, rows: T[], what: string): void {
  const owner = new Map(stored.map((r) => [r.id, r.partnerId]));
  const replaced = new Set(rows.map((r) => r.id));
  const holders = new Map<string, string>();
  for (const r of stored) {
    if (r.partnerId === partnerId && r.externalId !== undefined && !replaced.has(r.id)) holders.set(r.externalId, r.id);
  }
  for (const r of rows) {
    if (r.partnerId !== partnerId) throw conflict(`The ${what} ${r.id} belongs to another partner.`);
    const current = owner.get(r.id);
    if (current !== undefined && current !== partnerId) throw conflict(`The ${what} id ${r.id} is taken.`);
    if (r.externalId === undefined) continue;
    const holder = holders.get(r.externalId);
    if (holder !== undefined && holder !== r.id) throw conflict(`Another ${what} already has the external id ${r.externalId}.`);
    holders.set(r.externalId, r.id);
  }
}

function replaceById<T extends { id: string }>(list: T[], rows: T[]): void {
  const at = new Map(list.map((x, i) => [x.id, i]));
  for (const row of rows) {
    const i = at.get(row.id);
    if (i === undefined) {
      at.set(row.id, list.length);
      list.push(row);
    } else list[i] = row;
  }
}

/** The embedded store's provisioning methods; the caller writes the file and rebuilds its indexes. */
export class LowdbProvisioning {
  constructor(private readonly data: () => Tenants) {}

  pagePartners(query: TenantPageQuery): CursorPage<Partner> {
    return page(this.data().partners, query, () => true);
  }

  pageCustomers(partnerId: string, query: CustomerPageQuery): CursorPage<Customer> {
    const q = query.q?.trim().toLowerCase();
    return page(this.data().customers, query, (c) => c.partnerId === partnerId && (!q || c.name.toLowerCase().includes(q)));
  }

  pageAccounts(partnerId: string, query: AccountPageQuery): CursorPage<Account> {
    const email = query.email?.trim().toLowerCase();
    const login = query.login?.trim().toLowerCase();
    return page(this.data().accounts, query, (a) => a.partnerId === partnerId
      && (query.customerId === undefined || a.customerId === query.customerId)
      && (!email || a.email.toLowerCase() === email)
      && (!login || a.login.toLowerCase() === login));
  }

  savePartner(partner: Partner): void {
    replaceById(this.data().partners, [partner]);
  }

  saveCustomers(partnerId: string, rows: Customer[]): void {
    const t = this.data();
    if (!t.partners.some((p) => p.id === partnerId)) throw conflict(`There is no partner ${partnerId}.`);
    checkBatch(t.customers, partnerId, rows, 'company');
    replaceById(t.customers, rows);
  }

  saveAccounts(partnerId: string, rows: Account[]): void {
    const t = this.data();
    const companies = new Set(t.customers.filter((c) => c.partnerId === partnerId).map((c) => c.id));
    const stray = rows.find((a) => !companies.has(a.customerId));
    if (stray) throw conflict(`The company ${stray.customerId} of account ${stray.id} is not the partner's.`);
    checkBatch(t.accounts, partnerId, rows, 'account');
    replaceById(t.accounts, rows);
  }
}

export function revokeOpen(resets: ResetRecord[], partnerId: string, scope: { customerId?: string; accountId?: string }, at: string): number {
  let revoked = 0;
  for (const r of resets) {
    if (r.partnerId !== partnerId || r.consumedAt || r.revokedAt) continue;
    if (scope.customerId !== undefined && r.customerId !== scope.customerId) continue;
    if (scope.accountId !== undefined && r.accountId !== scope.accountId) continue;
    r.revokedAt = at;
    revoked++;
  }
  return revoked;
}

export function resetsOf(resets: ResetRecord[], partnerId: string, accountId: string): ResetRecord[] {
  return resets.filter((r) => r.partnerId === partnerId && r.accountId === accountId)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((r) => ({ ...r }));
}
