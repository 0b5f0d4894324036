import { randomBytes } from 'node:crypto';
import { notFound } from '../domain/errors.js';
import type { Account, Customer } from '../domain/types.js';
import type { BulkResult } from './provisioning-customers.js';
import {
  applyPatch, conflict, decodeCursor, pageOut, recordChange, validation, visiblePartner,
  type ApiCaller, type PageRequest, type Patch, type ProvisioningDeps, type UpsertOutcome,
} from './provisioning.js';

export interface AccountInput {
  customerId: string;
  name: string;
  login: string;
  email: string;
  externalId?: string;
  locale?: string;
  timeZone?: string;
}

/** An upsert names the account by external id, its company by our id or the platform's. */
export interface AccountUpsert {
  customerId?: string;
  customerExternalId?: string;
  name: string;
  login: string;
  email: string;
  /** Left out: kept as stored; null: removed. */
  locale?: string | null;
  timeZone?: string | null;
}

export interface AccountQuery extends PageRequest {
  customerId?: string;
  externalId?: string;
  email?: string;
  login?: string;
}

const newId = () => `acc_${randomBytes(8).toString('hex')}`;

/** Accounts of a partner's companies, as the licensing platform provisions them. */
export class AccountProvisioning {
  constructor(private readonly deps: ProvisioningDeps) {}

  async list(caller: ApiCaller, partnerId: string, req: AccountQuery) {
    await visiblePartner(this.deps.store, caller, partnerId);
    const after = decodeCursor(req.cursor);
    const { customerId, email, login, externalId } = req;
    return pageOut(await this.deps.store.pageAccounts(partnerId, {
      limit: req.limit, ...(after !== undefined ? { after } : {}), ...(req.includeDeleted ? { includeDeleted: true } : {}),
      ...(customerId ? { customerId } : {}), ...(email ? { email } : {}), ...(login ? { login } : {}),
      ...(externalId !== undefined ? { externalIds: [externalId] } : {}),
    }));
  }

  async get(caller: ApiCaller, partnerId: string, accountId: string): Promise<Account> {
    await visiblePartner(this.deps.store, caller, partnerId);
    const account = await this.deps.store.getAccount(partnerId, accountId);
    if (!account) throw notFound('Account');
    return account;
  }

  async create(caller: ApiCaller, partnerId: string, input: AccountInput): Promise<Account> {
    await visiblePartner(this.deps.store, caller, partnerId);
    await this.company(partnerId, input.customerId, '/body/customerId');
    if (input.externalId !== undefined && (await this.byExternalId(partnerId, [input.externalId])).size) {
      throw conflict(`An account with the external id ${input.externalId} exists; PUT …/accounts/by-external-id/${input.externalId} updates it.`);
    }
    const account: Account = { id: newId(), partnerId, ...input };
    await this.deps.store.saveAccounts(partnerId, [account]);
    await recordChange(this.deps, caller, 'api.account.created', partnerId, `account:${account.id}`, { customerId: account.customerId });
    return account;
  }

  async patch(caller: ApiCaller, partnerId: string, accountId: string, patch: Patch<AccountInput>): Promise<Account> {
    const current = await this.get(caller, partnerId, accountId);
    if (patch.customerId) await this.company(partnerId, patch.customerId, '/body/customerId');
    const account = applyPatch(current, patch);
    await this.deps.store.saveAccounts(partnerId, [account]);
    await recordChange(this.deps, caller, 'api.account.updated', partnerId, `account:${accountId}`, { fields: Object.keys(patch).join(' ') });
    return account;
  }

  async upsert(caller: ApiCaller, partnerId: string, externalId: string, input: AccountUpsert): Promise<{ account: Account; outcome: UpsertOutcome }> {
    await visiblePartner(this.deps.store, caller, partnerId);
    const companies = await this.companies(partnerId, [input]);
    const customer = companies.resolve(input);
    if (!customer) throw validation(companies.problem(input), input.customerId ? '/body/customerId' : '/body/customerExternalId');
    const [done] = await this.upsertMany(partnerId, [{ externalId, input, customer }]);
    await recordChange(this.deps, caller, `api.account.${done!.outcome}`, partnerId, `account:${done!.account.id}`, { customerId: customer.id });
    return done!;
  }

  /**
   * Applies the good records in one write and reports each record; a bad one does not stop the rest.
   * `rejected`: records the caller already refused as malformed, counted in the audit event.
   */
  async bulk(caller: ApiCaller, partnerId: string, records: Array<{ index: number; externalId: string; input: AccountUpsert }>, rejected = 0): Promise<BulkResult[]> {
    await visiblePartner(this.deps.store, caller, partnerId);
    const companies = await this.companies(partnerId, records.map((r) => r.input));
    const failed: BulkResult[] = [];
    const good: Array<{ index: number; externalId: string; input: AccountUpsert; customer: Customer }> = [];
    const seen = new Map<string, number>();
    for (const r of records) {
      const first = seen.get(r.externalId);
      seen.set(r.externalId, first ?? r.index);
      const customer = companies.resolve(r.input);
      const problem = first !== undefined
        ? { path: `/body/records/${r.index}/externalId`, message: `The same external id as record ${first}; send each account once.` }
        : !customer ? { path: `/body/records/${r.index}/${r.input.customerId ? 'customerId' : 'customerExternalId'}`, message: companies.problem(r.input) } : undefined;
      if (problem || !customer) failed.push({ index: r.index, externalId: r.externalId, status: 'failed', problem: problem! });
      else good.push({ ...r, customer });
    }
    const done = await this.upsertMany(partnerId, good);
    const applied: BulkResult[] = done.map((d, i) => ({ index: good[i]!.index, externalId: good[i]!.externalId, status: d.outcome, id: d.account.id }));
    const results = [...applied, ...failed].sort((a, b) => a.index - b.index);
    const count = (s: string) => results.filter((r) => r.status === s).length;
    await recordChange(this.deps, caller, 'api.accounts.bulk', partnerId, `partner:${partnerId}`,
      { created: count('created'), updated: count('updated'), restored: count('restored'), failed: count('failed') + rejected });
    return results;
  }

  /** Soft delete: the account leaves the console and gets no more resets; its open link stops working. */
  async remove(caller: ApiCaller, partnerId: string, accountId: string): Promise<void> {
    const current = await this.get(caller, partnerId, accountId);
    const at = this.deps.clock.now().toISOString();
    await this.deps.store.saveAccounts(partnerId, [{ ...current, deletedAt: at }]);
    const revoked = await this.deps.store.revokeOpenResets(partnerId, { accountId }, at);
    await recordChange(this.deps, caller, 'api.account.deleted', partnerId, `account:${accountId}`, { revokedResets: revoked });
  }

  private async upsertMany(partnerId: string, items: Array<{ externalId: string; input: AccountUpsert; customer: Customer }>) {
    const existing = await this.byExternalId(partnerId, items.map((i) => i.externalId));
    const done = items.map(({ externalId, input, customer }) => {
      const fields = { customerId: customer.id, name: input.name, login: input.login, email: input.email };
      const language = { locale: input.locale, timeZone: input.timeZone };
      const current = existing.get(externalId);
      if (!current) return { outcome: 'created' as UpsertOutcome, account: applyPatch({ id: newId(), partnerId, externalId, ...fields } as Account, language) };
      const { deletedAt, ...live } = current;
      return { outcome: (deletedAt ? 'restored' : 'updated') as UpsertOutcome, account: applyPatch({ ...live, ...fields } as Account, language) };
    });
    await this.deps.store.saveAccounts(partnerId, done.map((d) => d.account));
    return done;
  }

  private async byExternalId(partnerId: string, externalIds: string[]): Promise<Map<string, Account>> {
    if (!externalIds.length) return new Map();
    const page = await this.deps.store.pageAccounts(partnerId, { externalIds, includeDeleted: true, limit: externalIds.length });
    return new Map(page.items.map((a) => [a.externalId!, a]));
  }

  private async company(partnerId: string, customerId: string, path: string): Promise<Customer> {
    const customer = await this.deps.store.getCustomer(partnerId, customerId);
    if (!customer) throw validation(`There is no company ${customerId} at this partner.`, path);
    return customer;
  }

  /** Looks up every company the records name, by id and by external id, in two queries. */
  private async companies(partnerId: string, inputs: AccountUpsert[]) {
    const ids = [...new Set(inputs.flatMap((i) => (i.customerId ? [i.customerId] : [])))];
    const externalIds = [...new Set(inputs.flatMap((i) => (i.customerExternalId ? [i.customerExternalId] : [])))];
    const store = this.deps.store;
    const [byId, byExternal] = await Promise.all([
      ids.length ? store.pageCustomers(partnerId, { ids, limit: ids.length }) : { items: [] },
      externalIds.length ? store.pageCustomers(partnerId, { externalIds, limit: externalIds.length }) : { items: [] },
    ]);
    const id = new Map(byId.items.map((c) => [c.id, c]));
    const ext = new Map(byExternal.items.map((c) => [c.externalId!, c]));
    return {
      resolve: (i: AccountUpsert) => (i.customerId ? id.get(i.customerId) : i.customerExternalId ? ext.get(i.customerExternalId) : undefined),
      problem: (i: AccountUpsert) => (i.customerId
        ? `There is no company ${i.customerId} at this partner.`
        : `There is no company with the external id ${i.customerExternalId ?? ''} at this partner.`),
    };
  }
}
