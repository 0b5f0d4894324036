import { randomBytes } from 'node:crypto';
import { notFound } from '../domain/errors.js';
import type { Customer, DirectoryBinding } from '../domain/types.js';
import {
  applyPatch, conflict, decodeCursor, pageOut, recordChange, validation, visiblePartner,
  type ApiCaller, type PageRequest, type Patch, type ProvisioningDeps, type UpsertOutcome,
} from './provisioning.js';

export interface CustomerInput {
  name: string;
  country?: string;
  selfService?: boolean;
  directory?: DirectoryBinding;
  externalId?: string;
  defaultLocale?: string;
}

/** An upsert names the company by external id and carries at least its name. */
export type CustomerUpsert = Patch<Omit<CustomerInput, 'externalId' | 'name'>> & { name: string };

/** One record's outcome in a bulk call; `problem` says what was wrong with a refused one. */
export type BulkResult =
  | { index: number; externalId: string; status: UpsertOutcome; id: string }
  | { index: number; externalId: string; status: 'failed'; problem: { path: string; message: string } };

// The same rule as the IdP admin's binding form: login, email, externalId, or a template of them.
const MAPPING = /^(login|email|externalId|[^\s{}]*(\{(login|email|localpart|externalId)\}[^\s{}]*)+)$/;

const newId = () => `cus_${randomBytes(8).toString('hex')}`;

/** Only the fields given, without the nulls that mean "remove" on an update. */
const given = <T extends object>(input: T) => Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined));

/** Customer companies of a partner, as the licensing platform provisions them. */
export class CustomerProvisioning {
  constructor(private readonly deps: ProvisioningDeps) {}

  async list(caller: ApiCaller, partnerId: string, req: PageRequest & { q?: string; externalId?: string }) {
    await visiblePartner(this.deps.store, caller, partnerId);
    const after = decodeCursor(req.cursor);
    return pageOut(await this.deps.store.pageCustomers(partnerId, {
      limit: req.limit, ...(after !== undefined ? { after } : {}), ...(req.includeDeleted ? { includeDeleted: true } : {}),
      ...(req.q ? { q: req.q } : {}), ...(req.externalId !== undefined ? { externalIds: [req.externalId] } : {}),
    }));
  }

  async get(caller: ApiCaller, partnerId: string, customerId: string): Promise<Customer> {
    await visiblePartner(this.deps.store, caller, partnerId);
    const customer = await this.deps.store.getCustomer(partnerId, customerId);
    if (!customer) throw notFound('Company');
    return customer;
  }

  async create(caller: ApiCaller, partnerId: string, input: CustomerInput): Promise<Customer> {
    await visiblePartner(this.deps.store, caller, partnerId);
    this.checkBinding(input.directory);
    if (input.externalId !== undefined && (await this.byExternalId(partnerId, [input.externalId])).size) {
      throw conflict(`A company with the external id ${input.externalId} exists; PUT …/customers/by-external-id/${input.externalId} updates it.`);
    }
    const customer = { id: newId(), partnerId, ...given(input) } as Customer;
    await this.deps.store.saveCustomers(partnerId, [customer]);
    await recordChange(this.deps, caller, 'api.customer.created', partnerId, `customer:${customer.id}`);
    return customer;
  }

  async patch(caller: ApiCaller, partnerId: string, customerId: string, patch: Patch<CustomerInput>): Promise<Customer> {
    const current = await this.get(caller, partnerId, customerId);
    if (patch.directory) this.checkBinding(patch.directory);
    const customer = applyPatch(current, patch);
    await this.deps.store.saveCustomers(partnerId, [customer]);
    await recordChange(this.deps, caller, 'api.customer.updated', partnerId, `customer:${customerId}`, { fields: Object.keys(patch).join(' ') });
    return customer;
  }

  async upsert(caller: ApiCaller, partnerId: string, externalId: string, input: CustomerUpsert): Promise<{ customer: Customer; outcome: UpsertOutcome }> {
    await visiblePartner(this.deps.store, caller, partnerId);
    this.checkBinding(input.directory ?? undefined);
    const [done] = await this.upsertMany(partnerId, [{ externalId, input }]);
    await recordChange(this.deps, caller, `api.customer.${done!.outcome}`, partnerId, `customer:${done!.customer.id}`);
    return done!;
  }

  /**
   * Applies the good records in one write and reports each record; a bad one does not stop the rest.
   * `rejected`: records the caller already refused as malformed, counted in the audit event.
   */
  async bulk(caller: ApiCaller, partnerId: string, records: Array<{ index: number; externalId: string; input: CustomerUpsert }>, rejected = 0): Promise<BulkResult[]> {
    await visiblePartner(this.deps.store, caller, partnerId);
    const failed: BulkResult[] = [];
    const good: typeof records = [];
    const seen = new Map<string, number>();
    for (const r of records) {
      const first = seen.get(r.externalId);
      const problem = first !== undefined
        ? { path: `/body/records/${r.index}/externalId`, message: `The same external id as record ${first}; send each company once.` }
        : this.bindingProblem(r.input.directory ?? undefined, `/body/records/${r.index}/directory`);
      seen.set(r.externalId, first ?? r.index);
      if (problem) failed.push({ index: r.index, externalId: r.externalId, status: 'failed', problem });
      else good.push(r);
    }
    const done = await this.upsertMany(partnerId, good);
    const applied: BulkResult[] = done.map((d, i) => ({ index: good[i]!.index, externalId: good[i]!.externalId, status: d.outcome, id: d.customer.id }));
    const results = [...applied, ...failed].sort((a, b) => a.index - b.index);
    const count = (s: string) => results.filter((r) => r.status === s).length;
    await recordChange(this.deps, caller, 'api.customers.bulk', partnerId, `partner:${partnerId}`,
      { created: count('created'), updated: count('updated'), restored: count('restored'), failed: count('failed') + rejected });
    return results;
  }

  /** Soft delete: the company leaves the console and gets no more resets; its open links stop working. */
  async remove(caller: ApiCaller, partnerId: string, customerId: string): Promise<void> {
    const current = await this.get(caller, partnerId, customerId);
    const at = this.deps.clock.now().toISOString();
    await this.deps.store.saveCustomers(partnerId, [{ ...current, deletedAt: at }]);
    const revoked = await this.deps.store.revokeOpenResets(partnerId, { customerId }, at);
    await recordChange(this.deps, caller, 'api.customer.deleted', partnerId, `customer:${customerId}`, { revokedResets: revoked });
  }

  private async upsertMany(partnerId: string, items: Array<{ externalId: string; input: CustomerUpsert }>) {
    const existing = await this.byExternalId(partnerId, items.map((i) => i.externalId));
    const done = items.map(({ externalId, input }) => {
      const current = existing.get(externalId);
      if (!current) return { outcome: 'created' as UpsertOutcome, customer: { id: newId(), partnerId, externalId, ...given(input) } as Customer };
      const { deletedAt, ...live } = current;
      return { outcome: (deletedAt ? 'restored' : 'updated') as UpsertOutcome, customer: applyPatch(live as Customer, input) };
    });
    await this.deps.store.saveCustomers(partnerId, done.map((d) => d.customer));
    return done;
  }

  private async byExternalId(partnerId: string, externalIds: string[]): Promise<Map<string, Customer>> {
    if (!externalIds.length) return new Map();
    const page = await this.deps.store.pageCustomers(partnerId, { externalIds, includeDeleted: true, limit: externalIds.length });
    return new Map(page.items.map((c) => [c.externalId!, c]));
  }

  private checkBinding(binding: DirectoryBinding | undefined): void {
    const problem = this.bindingProblem(binding, '/body/directory');
    if (problem) throw validation(problem.message, problem.path);
  }

  private bindingProblem(binding: DirectoryBinding | undefined, path: string): { path: string; message: string } | undefined {
    if (!binding) return undefined;
    if (!this.deps.knownDirectory(binding.instance)) return { path: `${path}/instance`, message: `There is no directory ${binding.instance}; ask the IdP admin which ones are configured.` };
    if (!MAPPING.test(binding.mapping)) return { path: `${path}/mapping`, message: 'The mapping must be login, email, externalId, or a template such as {login}@corp.example.' };
    return undefined;
  }
}
