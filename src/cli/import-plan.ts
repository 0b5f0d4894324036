import type { Store } from '../domain/ports.js';
import type { Account, Customer } from '../domain/types.js';
import type { BadRow, ImportRow } from './import-read.js';

/** What one partner's part of the file asks for, each record with the line that first named it. */
export interface PartnerWork {
  customers: Map<string, { name: string; line: number }>;
  accounts: Map<string, { customerExternalId: string; name: string; login: string; email: string; line: number }>;
}

export type Change = 'created' | 'updated' | 'unchanged';

/**
 * Checks the rows against each other and against the partners that exist; a bad row contributes
 * nothing, so a company that only a bad row names is not imported either.
 */
export async function planRows(store: Store, rows: ImportRow[], bad: BadRow[]): Promise<Map<string, PartnerWork>> {
  const partners = new Set((await store.listPartners()).map((p) => p.id));
  const work = new Map<string, PartnerWork>();
  for (const row of rows) {
    if (!partners.has(row.partner)) {
      bad.push({ line: row.line, reason: `there is no partner "${row.partner}"` });
      continue;
    }
    let w = work.get(row.partner);
    if (!w) work.set(row.partner, w = { customers: new Map(), accounts: new Map() });
    const company = w.customers.get(row.customer.externalId);
    if (company && company.name !== row.customer.name) {
      bad.push({ line: row.line, reason: `company ${row.customer.externalId} is named "${company.name}" on line ${company.line}` });
      continue;
    }
    const earlier = row.account && w.accounts.get(row.account.externalId);
    if (earlier) {
      bad.push({ line: row.line, reason: `account ${row.account!.externalId} is already on line ${earlier.line}` });
      continue;
    }
    if (!company) w.customers.set(row.customer.externalId, { name: row.customer.name, line: row.line });
    if (row.account) w.accounts.set(row.account.externalId, { ...row.account, customerExternalId: row.customer.externalId, line: row.line });
  }
  return work;
}

async function byExternalId<T extends { externalId?: string }>(
  externalIds: string[], pageOf: (q: { externalIds: string[]; includeDeleted: true; limit: number }) => Promise<{ items: T[] }>,
): Promise<Map<string, T>> {
  if (!externalIds.length) return new Map();
  const { items } = await pageOf({ externalIds, includeDeleted: true, limit: externalIds.length });
  return new Map(items.map((x) => [x.externalId!, x]));
}

/** How each company of a chunk compares with what is stored (the import only sets the name). */
export async function compareCustomers(store: Store, partnerId: string, chunk: Array<[string, { name: string }]>): Promise<Change[]> {
  const stored = await byExternalId<Customer>(chunk.map(([id]) => id), (q) => store.pageCustomers(partnerId, q));
  return chunk.map(([id, c]) => {
    const current = stored.get(id);
    if (!current) return 'created';
    return current.deletedAt || current.name !== c.name ? 'updated' : 'unchanged';
  });
}

/** How each account of a chunk compares with what is stored, including which company it is in. */
export async function compareAccounts(
  store: Store, partnerId: string, chunk: Array<[string, { customerExternalId: string; name: string; login: string; email: string }]>,
): Promise<Change[]> {
  const stored = await byExternalId<Account>(chunk.map(([id]) => id), (q) => store.pageAccounts(partnerId, q));
  const companies = await byExternalId<Customer>([...new Set(chunk.map(([, a]) => a.customerExternalId))], (q) => store.pageCustomers(partnerId, q));
  return chunk.map(([id, a]) => {
    const current = stored.get(id);
    if (!current) return 'created';
    const same = !current.deletedAt && current.customerId === companies.get(a.customerExternalId)?.id
      && current.name === a.name && current.login === a.login && current.email === a.email;
    return same ? 'unchanged' : 'updated';
  });
}
