import { AppError, notFound } from '../domain/errors.js';
import type { DirectoryCatalog, DirectoryStatus, RequestContext, Store } from '../domain/ports.js';
import type { AdminUser, AuditEvent, Customer, DirectoryBinding, DirectoryTarget } from '../domain/types.js';
import type { Message } from '../i18n/index.js';
import type { AuditLog } from './audit.js';

export interface DirectoryOverview extends DirectoryStatus {
  customers: number;
  /** Configuration failures seen on real resets since the last successful test. */
  recentProblems: number;
}

const MAPPING = /^(login|email|externalId|[^\s{}]*(\{(login|email|localpart|externalId)\}[^\s{}]*)+)$/;

const refused = (key: string, params?: Message['params']): Message => ({ key: `admin:idp.binding.errors.${key}`, ...(params ? { params } : {}) });

function requireIdpAdmin(admin: AdminUser): void {
  if (!admin.roles.includes('idp-admin')) throw new AppError('FORBIDDEN', 403, 'This page is for IdP administrators.');
}

/**
 * The IdP admin's view of directories: which adapter instances exist, whether they work, which
 * companies use them. IdP admins operate the add-on for every partner, so this is not partner-scoped.
 */
export class DirectoryAdminService {
  constructor(private readonly deps: { store: Store; catalog: DirectoryCatalog; audit: AuditLog }) {}

  private async allCustomers(): Promise<Customer[]> {
    const out: Customer[] = [];
    for (const p of await this.deps.store.listPartners()) {
      out.push(...(await this.deps.store.listCustomers(p.id, { page: 1, pageSize: 1_000_000 })).items);
    }
    return out;
  }

  /** Every sync failure, read once per page. */
  private async failures(): Promise<AuditEvent[]> {
    return this.deps.store.queryAudit({ type: 'sync.failed' });
  }

  /** A directory's configuration failures, after `since` when given. */
  private problems(failures: AuditEvent[], instance: string, since?: string): AuditEvent[] {
    return failures
      .filter((e) => e.detail?.instance === instance && e.detail?.class === 'config' && (!since || e.at > since));
  }

  async list(admin: AdminUser): Promise<DirectoryOverview[]> {
    requireIdpAdmin(admin);
    const customers = await this.allCustomers();
    const failures = await this.failures();
    return Promise.all(this.deps.catalog.list().map(async (d) => ({
      ...d,
      customers: customers.filter((c) => c.directory?.instance === d.id).length,
      recentProblems: this.problems(failures, d.id, d.lastTest?.ok ? d.lastTest.at : undefined).length,
    })));
  }

  async get(admin: AdminUser, id: string) {
    requireIdpAdmin(admin);
    const status = this.deps.catalog.get(id);
    if (!status) throw notFound('Directory');
    const partners = new Map((await this.deps.store.listPartners()).map((p) => [p.id, p.name]));
    const bound = (await this.allCustomers()).filter((c) => c.directory?.instance === id)
      .map((c) => ({ ...c, partnerName: partners.get(c.partnerId) ?? c.partnerId }));
    const problems = this.problems(await this.failures(), id).slice(-10).reverse();
    return { status, bound, problems };
  }

  async test(admin: AdminUser, id: string, ctx: RequestContext) {
    requireIdpAdmin(admin);
    if (!this.deps.catalog.get(id)) throw notFound('Directory');
    const result = await this.deps.catalog.test(id);
    await this.deps.audit.record({
      type: 'directory.tested', outcome: result.ok ? 'success' : 'failure', actor: `admin:${admin.email}`,
      target: `directory:${id}`, detail: { ok: result.ok },
    }, ctx);
    return result;
  }

  async binding(admin: AdminUser, partnerId: string, customerId: string) {
    requireIdpAdmin(admin);
    const customer = await this.deps.store.getCustomer(partnerId, customerId);
    if (!customer) throw notFound('Company');
    const partner = await this.deps.store.getPartner(partnerId);
    return { customer, partnerName: partner?.name ?? partnerId, instances: this.deps.catalog.list().map((d) => d.id) };
  }

  /** Returns a message (by key, for the page's language) when the input is not usable; nothing is changed then. */
  async setBinding(
    admin: AdminUser, partnerId: string, customerId: string,
    input: { instance: string; mapping: string; secondaries?: DirectoryTarget[]; revokeSessions?: boolean }, ctx: RequestContext,
  ): Promise<Message | undefined> {
    const { customer } = await this.binding(admin, partnerId, customerId);
    const instance = input.instance.trim();
    const mapping = input.mapping.trim();
    if (instance && !this.deps.catalog.get(instance)) return refused('unknownDirectory');
    if (instance && !MAPPING.test(mapping)) return refused('mapping');
    // Rows left on "None" are dropped: that is how a secondary is removed.
    const secondaries = (input.secondaries ?? []).map((t) => ({ instance: t.instance.trim(), mapping: t.mapping.trim() })).filter((t) => t.instance);
    const used = new Set([instance]);
    for (const t of secondaries) {
      if (!this.deps.catalog.get(t.instance)) return refused('unknownFurther');
      if (used.has(t.instance)) return refused('namedTwice', { instance: t.instance });
      used.add(t.instance);
      if (!MAPPING.test(t.mapping)) return refused('furtherMapping', { instance: t.instance });
    }
    if (!instance && secondaries.length) return refused('primaryFirst');
    const binding: DirectoryBinding | undefined = instance
      ? { instance, mapping, ...(secondaries.length ? { secondaries } : {}), ...(input.revokeSessions ? { revokeSessions: true } : {}) }
      : undefined;
    await this.deps.store.setCustomerDirectory(partnerId, customer.id, binding);
    await this.deps.audit.record({
      type: 'admin.binding-changed', outcome: 'success', actor: `admin:${admin.email}`, partnerId, target: `customer:${customer.id}`,
      detail: { from: describeBinding(customer.directory), to: describeBinding(binding) },
    }, ctx);
    return undefined;
  }
}

function describeBinding(b: DirectoryBinding | undefined): string {
  if (!b) return '(none)';
  const more = (b.secondaries ?? []).map((t) => ` + ${t.instance} ${t.mapping}`).join('');
  return `${b.instance} ${b.mapping}${more}${b.revokeSessions ? ' (end sessions)' : ''}`;
}
