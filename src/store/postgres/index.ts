import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { chainEvent } from '../../domain/audit.js';
import type { AdminRecord, AuditQuery, CustomerQuery, SessionRecord, Store } from '../../domain/ports.js';
import type { AccountPageQuery, CustomerPageQuery, TenantPageQuery } from '../../domain/ports.js';
import type { ApiClient, CursorPage, IdempotencyRecord } from '../../domain/types.js';
import { ApiData } from './api.js';
import { PgBranding } from './branding.js';
import type { BrandLogo, Branding } from '../../domain/types.js';
import { Provisioning } from './provisioning.js';
import type { SyncQuery } from '../../domain/ports.js';
import type { PendingAttempt, SyncRecord } from '../../domain/types.js';
import { PgSyncs } from './syncs.js';
import type { WebhookNext } from '../../domain/ports.js';
import type { ExpiryCursor, WebhookAttempt, WebhookDelivery, WebhookSubscription } from '../../domain/types.js';
import { PgWebhooks } from './webhooks.js';
import { PgConnections } from './connections.js';
import type { StoredConnection } from '../../domain/types.js';
import type {
  Account, AuditEvent, AuditInput, Customer, DirectoryBinding, OutboxMail, Page, Partner, ResetRecord,
} from '../../domain/types.js';
import { Db, describeTarget, type PostgresSettings, type StoreLogger } from './db.js';
import { migrate } from './migrate.js';
import { sharedRateLimiter } from './rate-limits.js';
import {
  MAIL_COLUMNS, RESET_COLUMNS, iso, mailFromRow, mailParams, placeholders, resetFromRow, resetParams,
  type MailRow, type ResetRow,
} from './rows.js';
import { Tenants, type TenantImport } from './tenants.js';

export type { PostgresSettings } from './db.js';
export type { TenantImport } from './tenants.js';

/** How long a worker may hold a mail it is sending before another worker may retry it. */
const MAIL_LEASE_MS = 10 * 60_000;
/** Expired sessions, SSO requests and replay-cache entries are deleted this often. */
const SWEEP_MS = 10 * 60_000;

type MailResult = { ok: true; at: string } | { ok: false; error: string; retryAt?: string };

/**
 * The Store port on PostgreSQL, for several instances behind a load balancer: every rule that must
 * hold across instances (one winner per token, one sender per mail, one audit chain) is enforced by
 * the database in a single statement or under a row lock, never by this process.
 */
export class PostgresStore implements Store {
  private readonly tenants: Tenants;
  private readonly provisioning: Provisioning;
  private readonly api: ApiData;
  private readonly branding: PgBranding;
  private readonly syncs: PgSyncs;
  private readonly webhooks: PgWebhooks;
  private readonly connections: PgConnections;
  private sweeper: NodeJS.Timeout | undefined;

  private constructor(private readonly db: Db, private readonly logger: StoreLogger) {
    this.tenants = new Tenants(db);
    this.provisioning = new Provisioning(db);
    this.api = new ApiData(db);
    this.branding = new PgBranding(db);
    this.syncs = new PgSyncs(db);
    this.webhooks = new PgWebhooks(db);
    this.connections = new PgConnections(db);
  }

  /** Connects (waiting for the database if it is still starting), migrates, and starts housekeeping. */
  static async open(settings: PostgresSettings, logger: StoreLogger): Promise<PostgresStore> {
    const db = await Db.connect(settings, logger);
    try {
      await migrate(db, logger);
    } catch (e) {
      await db.end();
      throw e;
    }
    const store = new PostgresStore(db, logger);
    logger.info({ target: describeTarget(settings.url), poolSize: settings.poolSize }, 'using the PostgreSQL store');
    store.sweeper = setInterval(() => void store.sweep(), SWEEP_MS).unref();
    return store;
  }

  /** Rate-limit counters in this database, shared by every instance (see src/ratelimit). */
  rateLimiter(bucket: string, settings: { points: number; seconds: number }): RateLimiterAbstract {
    return sharedRateLimiter(this.db.pool, bucket, settings);
  }

  /** True when the database answers now; for readiness probes. */
  ping(): Promise<boolean> {
    return this.db.ping();
  }

  isEmpty(): Promise<boolean> {
    return this.tenants.isEmpty();
  }

  importTenants(data: TenantImport): Promise<void> {
    return this.tenants.importTenants(data);
  }

  listPartners(): Promise<Partner[]> {
    return this.tenants.listPartners();
  }

  getPartner(partnerId: string): Promise<Partner | undefined> {
    return this.tenants.getPartner(partnerId);
  }

  listCustomers(partnerId: string, query: CustomerQuery): Promise<Page<Customer>> {
    return this.tenants.listCustomers(partnerId, query);
  }

  getCustomer(partnerId: string, customerId: string): Promise<Customer | undefined> {
    return this.tenants.getCustomer(partnerId, customerId);
  }

  setCustomerDirectory(partnerId: string, customerId: string, binding: DirectoryBinding | undefined): Promise<void> {
    return this.tenants.setCustomerDirectory(partnerId, customerId, binding);
  }

  listAccounts(partnerId: string, customerId: string): Promise<Account[]> {
    return this.tenants.listAccounts(partnerId, customerId);
  }

  getAccount(partnerId: string, accountId: string): Promise<Account | undefined> {
    return this.tenants.getAccount(partnerId, accountId);
  }

  findAccountsByIdentifier(partnerId: string, identifier: string): Promise<Account[]> {
    return this.tenants.findAccountsByIdentifier(partnerId, identifier);
  }

  setAccountLastReset(partnerId: string, accountId: string, at: string): Promise<void> {
    return this.tenants.setAccountLastReset(partnerId, accountId, at);
  }

  async createReset(reset: ResetRecord): Promise<void> {
    await this.db.tx(async (client) => {
      // Two admins pressing OK for the same account at once: the second waits here, then revokes
      // the first one's link instead of colliding with it on the one-open-link index.
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))", [reset.partnerId, reset.accountId]);
      await client.query(`UPDATE resets SET revoked_at = $3
        WHERE partner_id = $1 AND account_id = $2 AND consumed_at IS NULL AND revoked_at IS NULL`,
      [reset.partnerId, reset.accountId, reset.createdAt]);
      const params = resetParams(reset);
      await client.query(`INSERT INTO resets (${RESET_COLUMNS}) VALUES (${placeholders(params.length)})`, params);
    });
  }

  async findResetByHash(tokenHash: string): Promise<ResetRecord | undefined> {
    const row = (await this.db.query<ResetRow>(
      `SELECT ${RESET_COLUMNS} FROM resets WHERE token_hash = $1 OR alt_token_hash = $1 LIMIT 1`, [tokenHash]))[0];
    return row && resetFromRow(row);
  }

  async findOpenResetsByEmail(email: string): Promise<ResetRecord[]> {
    const rows = await this.db.query<ResetRow>(`SELECT ${RESET_COLUMNS.split(', ').map((c) => `r.${c.trim()}`).join(', ')}
      FROM resets r JOIN accounts a ON a.partner_id = r.partner_id AND a.id = r.account_id
      WHERE lower(a.email) = $1 AND a.deleted_at IS NULL AND r.consumed_at IS NULL AND r.revoked_at IS NULL
      ORDER BY r.created_at`, [email.trim().toLowerCase()]);
    return rows.map(resetFromRow);
  }

  async recordCodeFailure(resetId: string): Promise<number> {
    const row = (await this.db.query<{ code_attempts: number }>(
      'UPDATE resets SET code_attempts = coalesce(code_attempts, 0) + 1 WHERE id = $1 RETURNING code_attempts', [resetId]))[0];
    // No such reset: as good as out of attempts.
    return row ? row.code_attempts : Number.POSITIVE_INFINITY;
  }

  async setAltTokenHash(resetId: string, altTokenHash: string): Promise<void> {
    await this.db.query('UPDATE resets SET alt_token_hash = $2 WHERE id = $1', [resetId, altTokenHash]);
  }

  async claimReset(tokenHash: string, now: string, until: string, attempt?: PendingAttempt): Promise<ResetRecord | undefined> {
    // One statement: a racing claim waits for this row's lock, re-reads it, and no longer matches.
    // An attempt already pending stays: coalesce keeps it, and the caller compares.
    const row = (await this.db.query<ResetRow>(`UPDATE resets SET claimed_until = $3, pending_attempt = coalesce(pending_attempt, $4::jsonb)
      WHERE (token_hash = $1 OR alt_token_hash = $1) AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > $2
        AND (claimed_until IS NULL OR claimed_until <= $2)
      RETURNING ${RESET_COLUMNS}`, [tokenHash, now, until, attempt ? JSON.stringify(attempt) : null]))[0];
    return row && resetFromRow(row);
  }

  async releaseReset(resetId: string, opts: { clearAttempt?: boolean } = {}): Promise<void> {
    await this.db.query(`UPDATE resets SET claimed_until = NULL,
      pending_attempt = CASE WHEN $2 THEN NULL ELSE pending_attempt END WHERE id = $1`, [resetId, opts.clearAttempt === true]);
  }

  async consumeReset(resetId: string, now: string): Promise<boolean> {
    const rows = await this.db.query<{ consumed: number }>(`
      WITH consumed AS (
        UPDATE resets SET consumed_at = $2, claimed_until = NULL
        WHERE id = $1 AND consumed_at IS NULL AND revoked_at IS NULL
        RETURNING partner_id, account_id
      ), others AS (
        UPDATE resets r SET revoked_at = $2 FROM consumed c
        WHERE r.partner_id = c.partner_id AND r.account_id = c.account_id AND r.id <> $1
          AND r.consumed_at IS NULL AND r.revoked_at IS NULL
        RETURNING r.id
      )
      SELECT (SELECT count(*) FROM consumed)::int AS consumed, (SELECT count(*) FROM others)::int AS revoked`, [resetId, now]);
    return (rows[0]?.consumed ?? 0) > 0;
  }

  appendAudit(input: AuditInput, at: string): Promise<AuditEvent> {
    return this.db.tx(async (client) => {
      const head = (await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE')).rows[0];
      if (!head) throw new Error('audit_head row is missing: the schema was not migrated');
      const event = chainEvent(input, at, Number(head.seq) + 1, head.hash);
      // One round trip while the head is locked: every other append waits for this commit.
      await client.query(`WITH added AS (
          INSERT INTO audit_events (seq, at, partner_id, type, event) VALUES ($1, $2, $3, $4, $5)
        )
        UPDATE audit_head SET seq = $1, hash = $6 WHERE id = 1`,
      [event.seq, event.at, event.partnerId ?? null, event.type, JSON.stringify(event), event.hash]);
      return event;
    });
  }

  async listAudit(partnerId?: string): Promise<AuditEvent[]> {
    const rows = await this.db.query<{ event: AuditEvent }>(
      'SELECT event FROM audit_events WHERE $1::text IS NULL OR partner_id = $1 ORDER BY seq', [partnerId ?? null]);
    return rows.map((r) => r.event);
  }

  async queryAudit(q: AuditQuery): Promise<AuditEvent[]> {
    const rows = await this.db.query<{ event: AuditEvent }>(`SELECT event FROM audit_events
      WHERE ($1::text IS NULL OR partner_id = $1) AND ($2::text IS NULL OR event->>'target' = $2)
        AND ($3::text IS NULL OR type = $3) AND seq > $4
      ORDER BY seq LIMIT $5`, [q.partnerId ?? null, q.target ?? null, q.type ?? null, q.afterSeq ?? 0, q.limit ?? null]);
    return rows.map((r) => r.event);
  }

  async enqueueMail(mail: OutboxMail): Promise<void> {
    await this.db.query(`INSERT INTO outbox (${MAIL_COLUMNS}) VALUES (${placeholders(11)})`, mailParams(mail));
  }

  async mailOutboxStats(): Promise<{ waiting: number; failed: number; oldestWaitingAt?: string }> {
    const [row] = await this.db.query<{ waiting: string; failed: string; oldest: Date | null }>(`
      SELECT count(*) FILTER (WHERE status IN ('queued', 'sending')) AS waiting,
             count(*) FILTER (WHERE status = 'failed') AS failed,
             min(created_at) FILTER (WHERE status IN ('queued', 'sending')) AS oldest
      FROM outbox`);
    return {
      waiting: Number(row?.waiting ?? 0), failed: Number(row?.failed ?? 0),
      ...(row?.oldest ? { oldestWaitingAt: new Date(row.oldest).toISOString() } : {}),
    };
  }

  async claimMail(now: string, limit: number): Promise<OutboxMail[]> {
    // SKIP LOCKED: a second worker passes over the rows the first is claiming instead of waiting
    // for them, so two workers never take the same mail. An expired lease means its worker stopped.
    const rows = await this.db.query<MailRow>(`
      UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1, lease_until = $3
      FROM (
        SELECT id FROM outbox
        WHERE (status = 'queued' AND next_attempt_at <= $1)
           OR (status = 'sending' AND (lease_until IS NULL OR lease_until <= $1))
        ORDER BY next_attempt_at, created_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED
      ) due
      WHERE o.id = due.id
      RETURNING ${MAIL_COLUMNS.split(', ').map((c) => `o.${c}`).join(', ')}`,
    [now, limit, new Date(new Date(now).getTime() + MAIL_LEASE_MS).toISOString()]);
    return rows.map(mailFromRow).sort((a, b) => a.nextAttemptAt.localeCompare(b.nextAttemptAt));
  }

  async finishMail(id: string, result: MailResult): Promise<void> {
    if (result.ok) {
      // The link is no longer needed at rest.
      await this.db.query("UPDATE outbox SET status = 'sent', sent_at = $2, sealed = '', lease_until = NULL WHERE id = $1", [id, result.at]);
    } else if (result.retryAt) {
      await this.db.query("UPDATE outbox SET status = 'queued', next_attempt_at = $2, last_error = $3, lease_until = NULL WHERE id = $1",
        [id, result.retryAt, result.error]);
    } else {
      await this.db.query("UPDATE outbox SET status = 'failed', sealed = '', last_error = $2, lease_until = NULL WHERE id = $1", [id, result.error]);
    }
  }

  async putSsoRequest(id: string, connectionId: string, expiresAt: string): Promise<void> {
    await this.db.query(`INSERT INTO sso_requests (id, connection_id, expires_at) VALUES ($1, $2, $3)
      ON CONFLICT (id) DO UPDATE SET connection_id = EXCLUDED.connection_id, expires_at = EXCLUDED.expires_at`, [id, connectionId, expiresAt]);
  }

  async takeSsoRequest(id: string, now: string): Promise<{ connectionId: string } | undefined> {
    // DELETE … RETURNING: of two instances handling the same response, only one gets the row.
    const row = (await this.db.query<{ connection_id: string; expires_at: Date }>(
      'DELETE FROM sso_requests WHERE id = $1 RETURNING connection_id, expires_at', [id]))[0];
    return row && iso(row.expires_at) > now ? { connectionId: row.connection_id } : undefined;
  }

  async markAssertionSeen(id: string, expiresAt: string, now: string): Promise<boolean> {
    // Inserted, or taking over an expired entry: first sight. A live entry: a replay.
    const rows = await this.db.query(`INSERT INTO seen_assertions (id, expires_at) VALUES ($1, $2)
      ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE seen_assertions.expires_at <= $3
      RETURNING id`, [id, expiresAt, now]);
    return rows.length === 1;
  }

  async upsertAdmin(admin: AdminRecord): Promise<void> {
    await this.db.query(`INSERT INTO admins (connection_id, sub, partner_id, data) VALUES ($1, $2, $3, $4)
      ON CONFLICT (connection_id, sub) DO UPDATE SET partner_id = EXCLUDED.partner_id, data = EXCLUDED.data`,
    [admin.connectionId, admin.sub, admin.partnerId, JSON.stringify(admin)]);
  }

  async listAdmins(partnerId: string): Promise<AdminRecord[]> {
    const rows = await this.db.query<{ data: AdminRecord }>('SELECT data FROM admins WHERE partner_id = $1 ORDER BY connection_id, sub', [partnerId]);
    return rows.map((r) => r.data);
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    const row = (await this.db.query<{ data: string; expires_at: Date }>('SELECT data, expires_at FROM sessions WHERE sid = $1', [sid]))[0];
    return row && { data: row.data, expiresAt: iso(row.expires_at) };
  }

  async setSession(sid: string, record: SessionRecord): Promise<void> {
    await this.db.query(`INSERT INTO sessions (sid, data, expires_at) VALUES ($1, $2, $3)
      ON CONFLICT (sid) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`, [sid, record.data, record.expiresAt]);
  }

  async destroySession(sid: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE sid = $1', [sid]);
  }

  pagePartners(query: TenantPageQuery): Promise<CursorPage<Partner>> {
    return this.provisioning.pagePartners(query);
  }

  pageCustomers(partnerId: string, query: CustomerPageQuery): Promise<CursorPage<Customer>> {
    return this.provisioning.pageCustomers(partnerId, query);
  }

  pageAccounts(partnerId: string, query: AccountPageQuery): Promise<CursorPage<Account>> {
    return this.provisioning.pageAccounts(partnerId, query);
  }

  savePartner(partner: Partner): Promise<void> {
    return this.provisioning.savePartner(partner);
  }

  saveCustomers(partnerId: string, customers: Customer[]): Promise<void> {
    return this.provisioning.saveCustomers(partnerId, customers);
  }

  saveAccounts(partnerId: string, accounts: Account[]): Promise<void> {
    return this.provisioning.saveAccounts(partnerId, accounts);
  }

  revokeOpenResets(partnerId: string, scope: { customerId?: string; accountId?: string }, at: string): Promise<number> {
    return this.provisioning.revokeOpenResets(partnerId, scope, at);
  }

  async deleteExpiredResets(before: string): Promise<number> {
    const rows = await this.db.query<{ n: number }>('WITH gone AS (DELETE FROM resets WHERE expires_at < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone', [before]);
    return rows[0]?.n ?? 0;
  }

  getReset(resetId: string, partnerId?: string): Promise<ResetRecord | undefined> {
    return this.provisioning.getReset(resetId, partnerId);
  }

  listResets(partnerId: string, accountId: string): Promise<ResetRecord[]> {
    return this.provisioning.listResets(partnerId, accountId);
  }

  listResetEvents(partnerId: string, resetId: string): Promise<AuditEvent[]> {
    return this.provisioning.listResetEvents(partnerId, resetId);
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

  /** Deletes what can no longer be used. Failures are logged: the next sweep tries again. */
  async sweep(): Promise<void> {
    try {
      await this.db.query('DELETE FROM sessions WHERE expires_at < now()');
      await this.db.query('DELETE FROM sso_requests WHERE expires_at < now()');
      await this.db.query('DELETE FROM seen_assertions WHERE expires_at < now()');
      await this.db.query('DELETE FROM idempotency_keys WHERE expires_at < now()');
    } catch (e) {
      this.logger.warn({ error: (e as Error).message }, 'database housekeeping failed; will retry');
    }
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

  listLapsedResets(after: ExpiryCursor | undefined, until: string, limit: number): Promise<ResetRecord[]> {
    return this.webhooks.listLapsedResets(after, until, limit);
  }

  getExpiryCursor(): Promise<ExpiryCursor | undefined> {
    return this.webhooks.getExpiryCursor();
  }

  moveExpiryCursor(from: ExpiryCursor | undefined, to: ExpiryCursor): Promise<boolean> {
    return this.webhooks.moveExpiryCursor(from, to);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.db.end();
  }
}
