import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { AppendLog } from './append-log.js';
import type { Low } from 'lowdb';
import { chainEvent } from '../../domain/audit.js';
import type { AdminRecord, CustomerQuery, SessionRecord, Store } from '../../domain/ports.js';
import type { AccountPageQuery, CustomerPageQuery, TenantPageQuery } from '../../domain/ports.js';
import type {
  Account, AuditEvent, AuditInput, Customer, DirectoryBinding, OutboxMail, Page, Partner, ResetRecord,
} from '../../domain/types.js';
import type { ApiClient, CursorPage, IdempotencyRecord } from '../../domain/types.js';
import { LowdbApi } from './api.js';
import { openCollection } from './collection.js';
import { LowdbProvisioning, eventsOfReset, resetsOf, revokeOpen } from './provisioning.js';
import type { SyncQuery } from '../../domain/ports.js';
import type { PendingAttempt, SyncRecord } from '../../domain/types.js';
import { LowdbSyncs } from './syncs.js';

export interface Tenants { partners: Partner[]; customers: Customer[]; accounts: Account[] }
interface Resets { resets: ResetRecord[] }
interface Audit { events: AuditEvent[] }
interface Outbox { mails: OutboxMail[] }
interface Sessions { sessions: Record<string, SessionRecord> }
interface Sso {
  requests: Record<string, { connectionId: string; expiresAt: string }>;
  seen: Record<string, string>;
  admins: AdminRecord[];
}

export interface TenantImport { partners?: Partner[]; customers?: Customer[]; accounts?: Account[] }

/** Embedded store: lowdb JSON files under `<dataDir>/store`, with in-memory indexes. */
export class LowdbStore implements Store {
  private readonly accountsById = new Map<string, Account>();
  private readonly resetsByHash = new Map<string, ResetRecord>();
  private readonly customersById = new Map<string, Customer>();
  private readonly provisioning = new LowdbProvisioning(() => this.tenants.data);
  private readonly api = new LowdbApi();
  private readonly syncs = new LowdbSyncs();

  private constructor(
    private readonly tenants: Low<Tenants>,
    private readonly resets: Low<Resets>,
    private readonly audit: { log: AppendLog<AuditEvent>; events: AuditEvent[] },
    private readonly outbox: Low<Outbox>,
    private readonly sessions: Low<Sessions>,
    private readonly sso: Low<Sso>,
  ) {
    this.reindex();
  }

  static async open(dataDir: string): Promise<LowdbStore> {
    const dir = path.join(dataDir, 'store');
    const store = new LowdbStore(
      await openCollection<Tenants>(dir, 'tenants', { partners: [], customers: [], accounts: [] }),
      await openCollection<Resets>(dir, 'resets', { resets: [] }),
      await openAudit(dir),
      await openCollection<Outbox>(dir, 'outbox', { mails: [] }),
      await openCollection<Sessions>(dir, 'sessions', { sessions: {} }),
      await openCollection<Sso>(dir, 'sso', { requests: {}, seen: {}, admins: [] }),
    );
    await store.api.open(dir);
    await store.syncs.open(dir);
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
    await this.tenants.write();
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
    await this.tenants.write();
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
    await this.tenants.write();
  }

  async createReset(reset: ResetRecord): Promise<void> {
    for (const r of this.resets.data.resets) {
      if (r.accountId === reset.accountId && r.partnerId === reset.partnerId && !r.consumedAt && !r.revokedAt) r.revokedAt = reset.createdAt;
    }
    this.resets.data.resets.push(reset);
    await this.resets.write();
  }

  async findResetByHash(tokenHash: string): Promise<ResetRecord | undefined> {
    return this.resetByHash(tokenHash);
  }

  /**
   * Records are changed in place, never replaced, so a hash → record cache stays true; a miss
   * scans once (an unknown token, or a code's token set since) and remembers the answer.
   */
  private resetByHash(tokenHash: string): ResetRecord | undefined {
    const cached = this.resetsByHash.get(tokenHash);
    if (cached) return cached;
    const found = this.resets.data.resets.find((r) => r.tokenHash === tokenHash || r.altTokenHash === tokenHash);
    if (found) this.resetsByHash.set(tokenHash, found);
    return found;
  }

  async findOpenResetsByEmail(email: string): Promise<ResetRecord[]> {
    const e = email.trim().toLowerCase();
    const ids = new Set(this.tenants.data.accounts.filter((a) => !a.deletedAt && a.email.toLowerCase() === e).map((a) => a.id));
    return this.resets.data.resets.filter((r) => ids.has(r.accountId) && !r.consumedAt && !r.revokedAt).map((r) => ({ ...r }));
  }

  async recordCodeFailure(resetId: string): Promise<number> {
    const r = this.resets.data.resets.find((x) => x.id === resetId);
    if (!r) return Number.POSITIVE_INFINITY;
    r.codeAttempts = (r.codeAttempts ?? 0) + 1;
    await this.resets.write();
    return r.codeAttempts;
  }

  async setAltTokenHash(resetId: string, altTokenHash: string): Promise<void> {
    const r = this.resets.data.resets.find((x) => x.id === resetId);
    if (!r) return;
    r.altTokenHash = altTokenHash;
    await this.resets.write();
  }

  async claimReset(tokenHash: string, now: string, until: string, attempt?: PendingAttempt): Promise<ResetRecord | undefined> {
    // Single process: find-and-set runs without an await in between, so it is atomic.
    const r = this.resetByHash(tokenHash);
    if (!r || r.consumedAt || r.revokedAt || r.expiresAt <= now) return undefined;
    if (r.claimedUntil && r.claimedUntil > now) return undefined;
    r.claimedUntil = until;
    if (attempt && !r.pendingAttempt) r.pendingAttempt = { ...attempt };
    await this.resets.write();
    return structuredClone(r);
  }

  async releaseReset(resetId: string, opts: { clearAttempt?: boolean } = {}): Promise<void> {
    const r = this.resets.data.resets.find((x) => x.id === resetId);
    if (!r) return;
    delete r.claimedUntil;
    if (opts.clearAttempt) delete r.pendingAttempt;
    await this.resets.write();
  }

  async consumeReset(resetId: string, now: string): Promise<boolean> {
    const r = this.resets.data.resets.find((x) => x.id === resetId);
    if (!r || r.consumedAt || r.revokedAt) return false;
    r.consumedAt = now;
    delete r.claimedUntil;
    for (const o of this.resets.data.resets) {
      if (o !== r && o.accountId === r.accountId && o.partnerId === r.partnerId && !o.consumedAt && !o.revokedAt) o.revokedAt = now;
    }
    await this.resets.write();
    return true;
  }

  async appendAudit(input: AuditInput, at: string): Promise<AuditEvent> {
    const events = this.audit.events;
    const last = events[events.length - 1];
    // Chained and placed in memory at once (no await in between), so the order is the chain's order.
    const event = chainEvent(input, at, (last?.seq ?? 0) + 1, last?.hash ?? '');
    events.push(event);
    await this.audit.log.append(event);
    return event;
  }

  async listAudit(partnerId?: string): Promise<AuditEvent[]> {
    return this.audit.events.filter((e) => partnerId === undefined || e.partnerId === partnerId);
  }

  async enqueueMail(mail: OutboxMail): Promise<void> {
    this.outbox.data.mails.push(mail);
    await this.outbox.write();
  }

  async claimMail(now: string, limit: number): Promise<OutboxMail[]> {
    const due = this.outbox.data.mails.filter((m) => m.status === 'queued' && m.nextAttemptAt <= now).slice(0, limit);
    for (const m of due) {
      m.status = 'sending';
      m.attempts++;
    }
    if (due.length) await this.outbox.write();
    return due.map((m) => ({ ...m }));
  }

  async mailOutboxStats(): Promise<{ waiting: number; failed: number; oldestWaitingAt?: string }> {
    let waiting = 0;
    let failed = 0;
    let oldest: string | undefined;
    for (const m of this.outbox.data.mails) {
      if (m.status === 'failed') failed++;
      else if (m.status === 'queued' || m.status === 'sending') {
        waiting++;
        if (!oldest || m.createdAt < oldest) oldest = m.createdAt;
      }
    }
    return { waiting, failed, ...(oldest ? { oldestWaitingAt: oldest } : {}) };
  }

  async finishMail(id: string, result: { ok: true; at: string } | { ok: false; error: string; retryAt?: string }): Promise<void> {
    const m = this.outbox.data.mails.find((x) => x.id === id);
    if (!m) return;
    if (result.ok) {
      // A delivered mail has nothing left to do here (its outcome is in the audit trail); dropping it
      // keeps the outbox file small however many mails were sent.
      this.outbox.data.mails.splice(this.outbox.data.mails.indexOf(m), 1);
    } else {
      m.lastError = result.error;
      if (result.retryAt) {
        m.status = 'queued';
        m.nextAttemptAt = result.retryAt;
      } else {
        m.status = 'failed';
        m.sealed = '';
      }
    }
    await this.outbox.write();
  }

  /** Mails that were being sent when the process stopped go back to the queue. */
  async requeueInterruptedMail(): Promise<void> {
    let changed = false;
    for (const m of this.outbox.data.mails) {
      if (m.status === 'sending') {
        m.status = 'queued';
        changed = true;
      }
    }
    if (changed) await this.outbox.write();
  }

  async putSsoRequest(id: string, connectionId: string, expiresAt: string): Promise<void> {
    this.sso.data.requests[id] = { connectionId, expiresAt };
    await this.sso.write();
  }

  async takeSsoRequest(id: string, now: string): Promise<{ connectionId: string } | undefined> {
    const r = this.sso.data.requests[id];
    if (!r) return undefined;
    delete this.sso.data.requests[id];
    for (const [k, v] of Object.entries(this.sso.data.requests)) if (v.expiresAt <= now) delete this.sso.data.requests[k];
    await this.sso.write();
    return r.expiresAt > now ? { connectionId: r.connectionId } : undefined;
  }

  async markAssertionSeen(id: string, expiresAt: string, now: string): Promise<boolean> {
    const seen = this.sso.data.seen;
    for (const [k, until] of Object.entries(seen)) if (until <= now) delete seen[k];
    if (seen[id]) return false;
    seen[id] = expiresAt;
    await this.sso.write();
    return true;
  }

  async upsertAdmin(admin: AdminRecord): Promise<void> {
    const list = this.sso.data.admins;
    const i = list.findIndex((a) => a.connectionId === admin.connectionId && a.sub === admin.sub);
    if (i === -1) list.push(admin);
    else list[i] = admin;
    await this.sso.write();
  }

  async listAdmins(partnerId: string): Promise<AdminRecord[]> {
    return this.sso.data.admins.filter((a) => a.partnerId === partnerId);
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    return this.sessions.data.sessions[sid];
  }

  async setSession(sid: string, record: SessionRecord): Promise<void> {
    this.sessions.data.sessions[sid] = record;
    await this.sessions.write();
  }

  async destroySession(sid: string): Promise<void> {
    delete this.sessions.data.sessions[sid];
    await this.sessions.write();
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
    await this.tenants.write();
  }

  async saveCustomers(partnerId: string, customers: Customer[]): Promise<void> {
    this.provisioning.saveCustomers(partnerId, customers);
    this.reindex();
    await this.tenants.write();
  }

  async saveAccounts(partnerId: string, accounts: Account[]): Promise<void> {
    this.provisioning.saveAccounts(partnerId, accounts);
    this.reindex();
    await this.tenants.write();
  }

  async revokeOpenResets(partnerId: string, scope: { customerId?: string; accountId?: string }, at: string): Promise<number> {
    const revoked = revokeOpen(this.resets.data.resets, partnerId, scope, at);
    if (revoked) await this.resets.write();
    return revoked;
  }

  async getReset(resetId: string, partnerId?: string): Promise<ResetRecord | undefined> {
    const r = this.resets.data.resets.find((x) => x.id === resetId && (partnerId === undefined || x.partnerId === partnerId));
    return r && { ...r };
  }

  async listResets(partnerId: string, accountId: string): Promise<ResetRecord[]> {
    return resetsOf(this.resets.data.resets, partnerId, accountId);
  }

  async listResetEvents(partnerId: string, resetId: string): Promise<AuditEvent[]> {
    return eventsOfReset(this.audit.events, partnerId, resetId);
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

  async close(): Promise<void> {
    // lowdb writes are awaited by every method; the audit log waits for its last flush.
    await this.audit.log.close();
  }
}

/**
 * The audit trail is append-only by nature: one JSON line per event in `audit.jsonl`, so an
 * event costs one small write instead of rewriting the whole history. An `audit.json` written by
 * an earlier version is carried over once.
 */
async function openAudit(dir: string): Promise<{ log: AppendLog<AuditEvent>; events: AuditEvent[] }> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'audit.jsonl');
  const legacy = path.join(dir, 'audit.json');
  const { log, records } = await AppendLog.open<AuditEvent>(file);
  if (records.length === 0 && existsSync(legacy)) {
    const old = (JSON.parse(readFileSync(legacy, 'utf8')) as Audit).events ?? [];
    for (const e of old) await log.append(e);
    renameSync(legacy, `${legacy}.migrated`);
    return { log, events: old };
  }
  return { log, events: records };
}
