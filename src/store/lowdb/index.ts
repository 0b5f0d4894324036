import path from 'node:path';
import type { AdminRecord, AuditQuery, CustomerQuery, SessionRecord, Store } from '../../domain/ports.js';
import type { AccountPageQuery, CustomerPageQuery, TenantPageQuery } from '../../domain/ports.js';
import type {
  Account, AuditEvent, AuditInput, Customer, DirectoryBinding, OutboxMail, Page, Partner, ResetRecord,
} from '../../domain/types.js';
import type { ApiClient, CursorPage, IdempotencyRecord } from '../../domain/types.js';
import { LowdbApi } from './api.js';
import { LowdbBranding } from './branding.js';
import type { BrandLogo, Branding } from '../../domain/types.js';
import { closeCollection } from './collection.js';
import { Journal, type Change } from './journal.js';
import { LowdbProvisioning } from './provisioning.js';
import { LowdbAudit } from './audit.js';
import { LowdbResets } from './resets.js';
import { LowdbMailOutbox } from './mail-outbox.js';
import type { SyncQuery } from '../../domain/ports.js';
import type { PendingAttempt, SyncRecord } from '../../domain/types.js';
import { LowdbSyncs } from './syncs.js';
import type { WebhookNext } from '../../domain/ports.js';
import type { ExpiryCursor, WebhookAttempt, WebhookDelivery, WebhookSubscription } from '../../domain/types.js';
import { LowdbWebhooks, lapsedResets } from './webhooks.js';
import { LowdbConnections } from './connections.js';
import type { StoredConnection } from '../../domain/types.js';

export interface Tenants { partners: Partner[]; customers: Customer[]; accounts: Account[] }
interface Sessions { sessions: Record<string, SessionRecord> }
interface Sso {
  requests: Record<string, { connectionId: string; expiresAt: string }>;
  seen: Record<string, string>;
  admins: AdminRecord[];
}

export interface TenantImport { partners?: Partner[]; customers?: Customer[]; accounts?: Account[] }

const rows = (part: string, items: Array<{ id: string }>): Change[] => items.map((value) => ({ part, key: value.id, value }));

/**
 * Embedded store under `<dataDir>/store`: per collection a lowdb JSON snapshot plus a journal of
 * record changes (see journal.ts), so a write costs the records it changes, not the whole file.
 * Everything is held in memory with indexes by id, token hash and account.
 */
export class LowdbStore implements Store {
  private readonly accountsById = new Map<string, Account>();
  private readonly customersById = new Map<string, Customer>();
  private readonly provisioning = new LowdbProvisioning(() => this.tenants.data);
  private readonly api = new LowdbApi();
  private readonly syncs = new LowdbSyncs();
  private readonly branding = new LowdbBranding();
  private readonly webhooks = new LowdbWebhooks();
  private readonly connections = new LowdbConnections();

  private constructor(
    private readonly tenants: Journal<Tenants>,
    private readonly resets: LowdbResets,
    private readonly audit: LowdbAudit,
    private readonly outbox: LowdbMailOutbox,
    private readonly sessions: Journal<Sessions>,
    private readonly sso: Journal<Sso>,
  ) {
    this.reindex();
  }

  static async open(dataDir: string): Promise<LowdbStore> {
    const dir = path.join(dataDir, 'store');
    const store = new LowdbStore(
      await Journal.open<Tenants>(dir, 'tenants', { partners: [], customers: [], accounts: [] }),
      await LowdbResets.open(dir),
      await LowdbAudit.open(dir),
      await LowdbMailOutbox.open(dir),
      await Journal.open<Sessions>(dir, 'sessions', { sessions: {} }),
      await Journal.open<Sso>(dir, 'sso', { requests: {}, seen: {}, admins: [] }),
    );
    await store.api.open(dir);
    await store.syncs.open(dir);
    await store.branding.open(dir);
    await store.webhooks.open(dir);
    await store.connections.open(dir);
    return store;
  }

  private reindex(): void {
    this.accountsById.clear();
    this.customersById.clear();
    for (const a of this.tenants.data.accounts) this.accountsById.set(a.id, a);
    for (const c of this.tenants.data.customers) this.customersById.set(c.id, c);
  }

  async isEmpty(): Promise<boolean> {
    return this.tenants.data.partners.length === 0;
  }

  async importTenants(data: TenantImport): Promise<void> {
    const t = this.tenants.data;
    const upsert = <T extends { id: string }>(list: T[], items: T[] = []) => {
      const at = new Map(list.map((x, i) => [x.id, i]));
      for (const item of items) {
        const i = at.get(item.id);
        if (i === undefined) list.push(item);
        else list[i] = item;
      }
    };
    upsert(t.partners, data.partners);
    upsert(t.customers, data.customers);
    upsert(t.accounts, data.accounts);
    this.reindex();
    const changes = [...rows('partners', data.partners ?? []), ...rows('customers', data.customers ?? []), ...rows('accounts', data.accounts ?? [])];
    await this.tenants.write(changes);
    // A bulk import is read back at every start: one snapshot parses faster than its journal lines.
    if (changes.length > 1000) await this.tenants.compact();
  }

  async listPartners(): Promise<Partner[]> {
    return this.tenants.data.partners.filter((p) => !p.deletedAt);
  }

  async getPartner(partnerId: string): Promise<Partner | undefined> {
    return this.tenants.data.partners.find((p) => p.id === partnerId && !p.deletedAt);
  }

  async listCustomers(partnerId: string, query: CustomerQuery): Promise<Page<Customer>> {
    const q = query.q?.trim().toLowerCase();
    const all = this.tenants.data.customers
      .filter((c) => c.partnerId === partnerId && !c.deletedAt && (!q || c.name.toLowerCase().includes(q)))
      .sort((a, b) => a.name.localeCompare(b.name));
    const start = (query.page - 1) * query.pageSize;
    return { items: all.slice(start, start + query.pageSize), total: all.length, page: query.page, pageSize: query.pageSize };
  }

  async getCustomer(partnerId: string, customerId: string): Promise<Customer | undefined> {
    const c = this.customersById.get(customerId);
    return c?.partnerId === partnerId && !c.deletedAt ? c : undefined;
  }

  async setCustomerDirectory(partnerId: string, customerId: string, binding: DirectoryBinding | undefined): Promise<void> {
    const c = await this.getCustomer(partnerId, customerId);
    if (!c) return;
    if (binding) c.directory = { ...binding };
    else delete c.directory;
    await this.tenants.write(rows('customers', [c]));
  }

  async listAccounts(partnerId: string, customerId: string): Promise<Account[]> {
    return this.tenants.data.accounts
      .filter((a) => a.partnerId === partnerId && a.customerId === customerId && !a.deletedAt)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async getAccount(partnerId: string, accountId: string): Promise<Account | undefined> {
    const a = this.accountsById.get(accountId);
    return a?.partnerId === partnerId && !a.deletedAt ? a : undefined;
  }

  async findAccountsByIdentifier(partnerId: string, identifier: string): Promise<Account[]> {
    const id = identifier.trim().toLowerCase();
    if (!id) return [];
    return this.tenants.data.accounts.filter((a) => a.partnerId === partnerId && !a.deletedAt && (a.login.toLowerCase() === id || a.email.toLowerCase() === id));
  }

  async setAccountLastReset(partnerId: string, accountId: string, at: string): Promise<void> {
    const a = await this.getAccount(partnerId, accountId);
    if (!a) return;
    a.lastResetAt = at;
    await this.tenants.write(rows('accounts', [a]));
  }

  createReset(reset: ResetRecord): Promise<void> {
    return this.resets.create(reset);
  }

  async findResetByHash(tokenHash: string): Promise<ResetRecord | undefined> {
    return this.resets.byTokenHash(tokenHash);
  }

  async findOpenResetsByEmail(email: string): Promise<ResetRecord[]> {
    const e = email.trim().toLowerCase();
    const ids = this.tenants.data.accounts.filter((a) => !a.deletedAt && a.email.toLowerCase() === e).map((a) => a.id);
    return this.resets.openOf(ids).map((r) => ({ ...r }));
  }

  recordCodeFailure(resetId: string): Promise<number> {
    return this.resets.recordCodeFailure(resetId);
  }

  setAltTokenHash(resetId: string, altTokenHash: string): Promise<void> {
    return this.resets.setAltTokenHash(resetId, altTokenHash);
  }

  claimReset(tokenHash: string, now: string, until: string, attempt?: PendingAttempt): Promise<ResetRecord | undefined> {
    return this.resets.claim(tokenHash, now, until, attempt);
  }

  releaseReset(resetId: string, opts: { clearAttempt?: boolean } = {}): Promise<void> {
    return this.resets.release(resetId, opts);
  }

  consumeReset(resetId: string, now: string): Promise<boolean> {
    return this.resets.consume(resetId, now);
  }

  appendAudit(input: AuditInput, at: string): Promise<AuditEvent> {
    return this.audit.append(input, at);
  }

  async listAudit(partnerId?: string): Promise<AuditEvent[]> {
    return this.audit.list(partnerId);
  }

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    return this.audit.query(query);
  }

  enqueueMail(mail: OutboxMail): Promise<void> {
    return this.outbox.enqueue(mail);
  }

  claimMail(now: string, limit: number): Promise<OutboxMail[]> {
    return this.outbox.claim(now, limit);
  }

  async mailOutboxStats(): Promise<{ waiting: number; failed: number; oldestWaitingAt?: string }> {
    return this.outbox.stats();
  }

  finishMail(id: string, result: { ok: true; at: string } | { ok: false; error: string; retryAt?: string }): Promise<void> {
    return this.outbox.finish(id, result);
  }

  /** Mails that were being sent when the process stopped go back to the queue. */
  requeueInterruptedMail(): Promise<void> {
    return this.outbox.requeueInterrupted();
  }

  async putSsoRequest(id: string, connectionId: string, expiresAt: string): Promise<void> {
    this.sso.data.requests[id] = { connectionId, expiresAt };
    await this.sso.write([{ part: 'requests', key: id, value: { connectionId, expiresAt } }]);
  }

  async takeSsoRequest(id: string, now: string): Promise<{ connectionId: string } | undefined> {
    const r = this.sso.data.requests[id];
    if (!r) return undefined;
    delete this.sso.data.requests[id];
    const gone: Change[] = [{ part: 'requests', key: id }];
    for (const [k, v] of Object.entries(this.sso.data.requests)) {
      if (v.expiresAt > now) continue;
      delete this.sso.data.requests[k];
      gone.push({ part: 'requests', key: k });
    }
    await this.sso.write(gone);
    return r.expiresAt > now ? { connectionId: r.connectionId } : undefined;
  }

  async markAssertionSeen(id: string, expiresAt: string, now: string): Promise<boolean> {
    const seen = this.sso.data.seen;
    const changes: Change[] = [];
    for (const [k, until] of Object.entries(seen)) {
      if (until > now) continue;
      delete seen[k];
      changes.push({ part: 'seen', key: k });
    }
    if (seen[id]) {
      await this.sso.write(changes);
      return false;
    }
    seen[id] = expiresAt;
    changes.push({ part: 'seen', key: id, value: expiresAt });
    await this.sso.write(changes);
    return true;
  }

  async upsertAdmin(admin: AdminRecord): Promise<void> {
    const list = this.sso.data.admins;
    const i = list.findIndex((a) => a.connectionId === admin.connectionId && a.sub === admin.sub);
    if (i === -1) list.push(admin);
    else list[i] = admin;
    // Admins have no single id: the list is small and journalled whole.
    await this.sso.write([{ part: 'admins', value: list }]);
  }

  async listAdmins(partnerId: string): Promise<AdminRecord[]> {
    return this.sso.data.admins.filter((a) => a.partnerId === partnerId);
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    return this.sessions.data.sessions[sid];
  }

  async setSession(sid: string, record: SessionRecord): Promise<void> {
    this.sessions.data.sessions[sid] = record;
    await this.sessions.write([{ part: 'sessions', key: sid, value: record }]);
  }

  async destroySession(sid: string): Promise<void> {
    delete this.sessions.data.sessions[sid];
    await this.sessions.write([{ part: 'sessions', key: sid }]);
  }

  async pagePartners(query: TenantPageQuery): Promise<CursorPage<Partner>> {
    return this.provisioning.pagePartners(query);
  }

  async pageCustomers(partnerId: string, query: CustomerPageQuery): Promise<CursorPage<Customer>> {
    return this.provisioning.pageCustomers(partnerId, query);
  }

  async pageAccounts(partnerId: string, query: AccountPageQuery): Promise<CursorPage<Account>> {
    return this.provisioning.pageAccounts(partnerId, query);
  }

  async savePartner(partner: Partner): Promise<void> {
    this.provisioning.savePartner(partner);
    await this.tenants.write(rows('partners', [partner]));
  }

  async saveCustomers(partnerId: string, customers: Customer[]): Promise<void> {
    this.provisioning.saveCustomers(partnerId, customers);
    this.reindex();
    await this.tenants.write(rows('customers', customers));
  }

  async saveAccounts(partnerId: string, accounts: Account[]): Promise<void> {
    this.provisioning.saveAccounts(partnerId, accounts);
    this.reindex();
    await this.tenants.write(rows('accounts', accounts));
  }

  revokeOpenResets(partnerId: string, scope: { customerId?: string; accountId?: string }, at: string): Promise<number> {
    return this.resets.revokeOpen(partnerId, scope, at);
  }

  deleteExpiredResets(before: string): Promise<number> {
    return this.resets.deleteExpired(before);
  }

  async getReset(resetId: string, partnerId?: string): Promise<ResetRecord | undefined> {
    const r = this.resets.get(resetId);
    return r && (partnerId === undefined || r.partnerId === partnerId) ? { ...r } : undefined;
  }

  async listResets(partnerId: string, accountId: string): Promise<ResetRecord[]> {
    return this.resets.list(partnerId, accountId);
  }

  async listResetEvents(partnerId: string, resetId: string): Promise<AuditEvent[]> {
    return this.audit.ofReset(partnerId, resetId);
  }

  saveApiClient(client: ApiClient): Promise<void> {
    return this.api.saveApiClient(client);
  }

  getApiClient(id: string): Promise<ApiClient | undefined> {
    return this.api.getApiClient(id);
  }

  listApiClients(): Promise<ApiClient[]> {
    return this.api.listApiClients();
  }

  touchApiClient(id: string, at: string): Promise<void> {
    return this.api.touchApiClient(id, at);
  }

  reserveIdempotencyKey(record: IdempotencyRecord, now: string): Promise<IdempotencyRecord | undefined> {
    return this.api.reserveIdempotencyKey(record, now);
  }

  finishIdempotencyKey(scope: string, key: string, response: { status: number; body: string }): Promise<void> {
    return this.api.finishIdempotencyKey(scope, key, response);
  }

  releaseIdempotencyKey(scope: string, key: string): Promise<void> {
    return this.api.releaseIdempotencyKey(scope, key);
  }

  createSync(sync: SyncRecord): Promise<SyncRecord> {
    return this.syncs.createSync(sync);
  }

  getSync(partnerId: string, syncId: string): Promise<SyncRecord | undefined> {
    return this.syncs.getSync(partnerId, syncId);
  }

  updateSync(partnerId: string, syncId: string, change: (sync: SyncRecord) => SyncRecord | undefined): Promise<SyncRecord | undefined> {
    return this.syncs.updateSync(partnerId, syncId, change);
  }

  claimDueSyncs(now: string, limit: number, claim: (sync: SyncRecord) => SyncRecord): Promise<SyncRecord[]> {
    return this.syncs.claimDueSyncs(now, limit, claim);
  }

  listSyncs(query: SyncQuery): Promise<SyncRecord[]> {
    return this.syncs.listSyncs(query);
  }

  deleteSettledSyncs(before: string): Promise<number> {
    return this.syncs.deleteSettledSyncs(before);
  }

  saveConnection(connection: StoredConnection): Promise<void> {
    return this.connections.saveConnection(connection);
  }

  getConnection(id: string): Promise<StoredConnection | undefined> {
    return this.connections.getConnection(id);
  }

  listConnections(partnerId?: string): Promise<StoredConnection[]> {
    return this.connections.listConnections(partnerId);
  }

  deleteConnection(id: string): Promise<boolean> {
    return this.connections.deleteConnection(id);
  }

  saveWebhook(subscription: WebhookSubscription): Promise<void> {
    return this.webhooks.saveWebhook(subscription);
  }

  getWebhook(id: string): Promise<WebhookSubscription | undefined> {
    return this.webhooks.getWebhook(id);
  }

  listWebhooks(): Promise<WebhookSubscription[]> {
    return this.webhooks.listWebhooks();
  }

  deleteWebhook(id: string): Promise<boolean> {
    return this.webhooks.deleteWebhook(id);
  }

  enqueueWebhookDeliveries(deliveries: WebhookDelivery[]): Promise<void> {
    return this.webhooks.enqueueWebhookDeliveries(deliveries);
  }

  claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDelivery[]> {
    return this.webhooks.claimWebhookDeliveries(now, leaseUntil, limit);
  }

  finishWebhookDelivery(id: string, attempt: WebhookAttempt, next: WebhookNext): Promise<void> {
    return this.webhooks.finishWebhookDelivery(id, attempt, next);
  }

  getWebhookDelivery(subscriptionId: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
    return this.webhooks.getWebhookDelivery(subscriptionId, deliveryId);
  }

  listWebhookDeliveries(subscriptionId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.webhooks.listWebhookDeliveries(subscriptionId, limit);
  }

  deleteSettledWebhookDeliveries(before: string): Promise<number> {
    return this.webhooks.deleteSettledWebhookDeliveries(before);
  }

  async listLapsedResets(after: ExpiryCursor | undefined, until: string, limit: number): Promise<ResetRecord[]> {
    return lapsedResets(this.resets.all, after, until, limit);
  }

  getExpiryCursor(): Promise<ExpiryCursor | undefined> {
    return this.webhooks.getExpiryCursor();
  }

  moveExpiryCursor(from: ExpiryCursor | undefined, to: ExpiryCursor): Promise<boolean> {
    return this.webhooks.moveExpiryCursor(from, to);
  }

  getBranding(partnerId: string, customerId?: string): Promise<Branding | undefined> {
    return this.branding.getBranding(partnerId, customerId);
  }

  listBrandings(partnerId: string): Promise<Branding[]> {
    return this.branding.listBrandings(partnerId);
  }

  saveBranding(branding: Branding): Promise<void> {
    return this.branding.saveBranding(branding);
  }

  deleteBranding(partnerId: string, customerId?: string): Promise<void> {
    return this.branding.deleteBranding(partnerId, customerId);
  }

  saveBrandLogo(logo: BrandLogo): Promise<void> {
    return this.branding.saveBrandLogo(logo);
  }

  getBrandLogo(partnerId: string, hash: string): Promise<BrandLogo | undefined> {
    return this.branding.getBrandLogo(partnerId, hash);
  }

  /** False once the audit trail could not be written: every audited action fails, and /readyz says so. */
  writable(): boolean {
    return this.audit.writable;
  }

  /** Folds the journals of the hot collections into their snapshots now (they also fold on their own as they grow). */
  async compact(): Promise<void> {
    await Promise.all([this.tenants.compact(), this.resets.compact(), this.outbox.compact(), this.sessions.compact(), this.sso.compact()]);
  }

  /** Waits for the last writes and any compaction under way, then closes the files. */
  async close(): Promise<void> {
    await Promise.all([
      this.audit.close(), this.tenants.close(), this.resets.close(), this.outbox.close(), this.sessions.close(), this.sso.close(),
      this.api.close(), this.syncs.close(), this.branding.close(),
      this.webhooks.close(), this.connections.close(),
    ]);
  }
}
