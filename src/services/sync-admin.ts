// The IdP admin's Sync page: every sync with its per-target status, and the two actions on a target
// that needs attention. IdP admins operate the add-on for every partner, so this is not partner-scoped.
import { AppError, notFound } from '../domain/errors.js';
import type { Clock, RequestContext, Store } from '../domain/ports.js';
import type { AdminUser, Customer, Partner, SyncState } from '../domain/types.js';
import type { Message } from '../i18n/index.js';
import type { SyncOutbox } from '../sync/outbox.js';
import { giveUp, retryNow } from '../sync/outbox-state.js';
import type { AuditLog } from './audit.js';
import { STATE_WORDS, describeSync, type SyncView } from './sync-words.js';

export interface SyncFilter {
  partnerId?: string;
  customerId?: string;
  state?: SyncState;
}

export interface SyncRow extends SyncView {
  partnerName: string;
  customerName: string;
  login: string;
}

/** How many syncs the page shows at most, newest first. */
const PAGE = 200;

export const SYNC_STATES = Object.keys(STATE_WORDS) as SyncState[];

const result = (key: string, instance: string): Message => ({ key: `admin:idp.sync.results.${key}`, params: { instance } });

function requireIdpAdmin(admin: AdminUser): void {
  if (!admin.roles.includes('idp-admin')) throw new AppError('FORBIDDEN', 403, 'This page is for IdP administrators.');
}

export class SyncAdminService {
  constructor(private readonly deps: { store: Store; clock: Clock; audit: AuditLog; outbox: Pick<SyncOutbox, 'kick'> }) {}

  async list(admin: AdminUser, filter: SyncFilter): Promise<{ rows: SyncRow[]; partners: Partner[]; customers: Customer[] }> {
    requireIdpAdmin(admin);
    const { store } = this.deps;
    const partners = await store.listPartners();
    const partnerIds = new Set(partners.map((p) => p.id));
    const partnerId = filter.partnerId && partnerIds.has(filter.partnerId) ? filter.partnerId : undefined;
    const customers = partnerId ? (await store.listCustomers(partnerId, { page: 1, pageSize: 10_000 })).items : [];
    const customerId = partnerId && customers.some((c) => c.id === filter.customerId) ? filter.customerId : undefined;
    const syncs = await store.listSyncs({
      limit: PAGE, ...(partnerId ? { partnerId } : {}), ...(customerId ? { customerId } : {}), ...(filter.state ? { state: filter.state } : {}),
    });
    const now = this.deps.clock.now().toISOString();
    const names = new Map(partners.map((p) => [p.id, p.name]));
    const companies = new Map<string, string>();
    const rows = await Promise.all(syncs.map(async (s): Promise<SyncRow> => {
      const key = `${s.partnerId}/${s.customerId}`;
      if (!companies.has(key)) companies.set(key, (await store.getCustomer(s.partnerId, s.customerId))?.name ?? s.customerId);
      const account = await store.getAccount(s.partnerId, s.accountId);
      return {
        ...describeSync(s, now), partnerName: names.get(s.partnerId) ?? s.partnerId,
        customerName: companies.get(key) ?? s.customerId, login: account?.login ?? s.accountId,
      };
    }));
    return { rows, partners, customers };
  }

  /** Returns words for the page (by key, for its language): what happened, or why nothing could. */
  async retryNow(admin: AdminUser, partnerId: string, syncId: string, instance: string, ctx: RequestContext): Promise<Message> {
    requireIdpAdmin(admin);
    const now = this.deps.clock.now().toISOString();
    const seen: { verdict: 'done' | 'gone' | 'not-waiting' } = { verdict: 'not-waiting' };
    const saved = await this.deps.store.updateSync(partnerId, syncId, (s) => {
      const next = retryNow(s, instance, now);
      seen.verdict = next === 'gone' ? 'gone' : next ? 'done' : 'not-waiting';
      return typeof next === 'object' ? next : undefined;
    });
    if (!saved) throw notFound('Sync');
    const { verdict } = seen;
    await this.deps.audit.record({
      type: 'sync.retry-requested', outcome: verdict === 'done' ? 'success' : 'failure', actor: `admin:${admin.email}`, partnerId,
      target: `account:${saved.accountId}`, detail: { syncId, instance, result: verdict },
    }, ctx);
    if (verdict === 'gone') return result('gone', instance);
    if (verdict === 'not-waiting') return result('notWaiting', instance);
    this.deps.outbox.kick();
    return result('retrying', instance);
  }

  async giveUp(admin: AdminUser, partnerId: string, syncId: string, instance: string, ctx: RequestContext): Promise<Message> {
    requireIdpAdmin(admin);
    const now = this.deps.clock.now().toISOString();
    const seen = { changed: false };
    const saved = await this.deps.store.updateSync(partnerId, syncId, (s) => {
      const next = giveUp(s, instance, now);
      seen.changed = next !== undefined;
      return next;
    });
    if (!saved) throw notFound('Sync');
    const { changed } = seen;
    await this.deps.audit.record({
      type: 'sync.given-up', outcome: changed ? 'success' : 'failure', actor: `admin:${admin.email}`, partnerId,
      target: `account:${saved.accountId}`, detail: { syncId, instance, result: changed ? 'given-up' : 'not-waiting' },
    }, ctx);
    if (!changed) return result('notWaiting', instance);
    return result(saved.sealed ? 'givenUp' : 'givenUpWiped', instance);
  }
}
