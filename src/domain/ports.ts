import type {
  Account, AuditEvent, AuditInput, Customer, DirectoryBinding, OutboxMail, Page, Partner, ResetRecord,
} from './types.js';
import type { ApiClient, CursorPage, IdempotencyRecord } from './types.js';
import type { DirectoryTarget, PendingAttempt, SyncRecord, SyncState } from './types.js';
import type { StoredConnection } from './types.js';
import type { ExpiryCursor, WebhookAttempt, WebhookDelivery, WebhookSubscription } from './types.js';
import type { BrandLogo, Branding } from './types.js';
import type { PolicyHint } from './policy.js';

export interface CustomerQuery {
  q?: string;
  page: number;
  pageSize: number;
}

/** A cursor page of tenant rows for the provisioning API, in id order (compared as code units). */
export interface TenantPageQuery {
  /** Rows whose id sorts after this one. */
  after?: string;
  limit: number;
  ids?: string[];
  externalIds?: string[];
  /** Soft-deleted rows too (they carry `deletedAt`); every other read leaves them out. */
  includeDeleted?: boolean;
}

export interface CustomerPageQuery extends TenantPageQuery {
  /** Name contains, ignoring case. */
  q?: string;
}

export interface AccountPageQuery extends TenantPageQuery {
  customerId?: string;
  /** Equal, ignoring case. */
  email?: string;
  login?: string;
}

/** A bounded read of the audit trail: every given field must match. */
export interface AuditQuery {
  partnerId?: string;
  /** `account:<id>` and the like. */
  target?: string;
  type?: string;
  /** Only events numbered after this: the next page starts after the last one seen. */
  afterSeq?: number;
  limit?: number;
}

/**
 * Persistence port. Every method on partner data takes the partner id and never returns
 * another partner's rows: the scope is enforced here as well as in the services.
 */
export interface Store {
  listPartners(): Promise<Partner[]>;
  getPartner(partnerId: string): Promise<Partner | undefined>;

  listCustomers(partnerId: string, query: CustomerQuery): Promise<Page<Customer>>;
  getCustomer(partnerId: string, customerId: string): Promise<Customer | undefined>;
  /** Binds the company to a directory instance (or unbinds it with `undefined`). */
  setCustomerDirectory(partnerId: string, customerId: string, binding: DirectoryBinding | undefined): Promise<void>;
  listAccounts(partnerId: string, customerId: string): Promise<Account[]>;
  getAccount(partnerId: string, accountId: string): Promise<Account | undefined>;
  /** Accounts of the partner whose login or email equals `identifier`, ignoring case. */
  findAccountsByIdentifier(partnerId: string, identifier: string): Promise<Account[]>;
  setAccountLastReset(partnerId: string, accountId: string, at: string): Promise<void>;

  /** Saves a new reset and revokes every other open reset of the same account. */
  createReset(reset: ResetRecord): Promise<void>;
  /** By the mailed token's hash or by the hash of the token handed out for a correct code. */
  findResetByHash(tokenHash: string): Promise<ResetRecord | undefined>;
  /** Open (not consumed, not revoked) resets of accounts with this email, across partners: the code page's look-up. */
  findOpenResetsByEmail(email: string): Promise<ResetRecord[]>;
  /** Counts one wrong code; returns the attempts so far. */
  recordCodeFailure(resetId: string): Promise<number>;
  setAltTokenHash(resetId: string, altTokenHash: string): Promise<void>;
  /** Atomically marks an open, unclaimed (or lease-expired) reset as claimed until `until`. */
  /**
   * With `attempt`, the claim also records it as the reset's pending attempt unless one is recorded
   * already; the returned reset carries whichever is recorded. See `ResetRecord.pendingAttempt`.
   */
  claimReset(tokenHash: string, now: string, until: string, attempt?: PendingAttempt): Promise<ResetRecord | undefined>;
  /** Ends a claim; `clearAttempt` also forgets the pending attempt, once it is known to have changed nothing. */
  releaseReset(resetId: string, opts?: { clearAttempt?: boolean }): Promise<void>;
  /** Consumes a claimed reset and revokes every other open reset of the account. False if it was not open. */
  consumeReset(resetId: string, now: string): Promise<boolean>;

  appendAudit(event: AuditInput, at: string): Promise<AuditEvent>;
  /** The whole trail, or one partner's, oldest first: for verifying and exporting it. */
  listAudit(partnerId?: string): Promise<AuditEvent[]>;
  /** The events that match every given field, oldest first: pages and the API ask this, not for the whole trail. */
  queryAudit(query: AuditQuery): Promise<AuditEvent[]>;

  enqueueMail(mail: OutboxMail): Promise<void>;
  /** Takes up to `limit` due mails and marks them `sending`, so no other worker takes them. */
  claimMail(now: string, limit: number): Promise<OutboxMail[]>;
  finishMail(id: string, result: { ok: true; at: string } | { ok: false; error: string; retryAt?: string }): Promise<void>;
  /** For metrics: mails waiting (queued or being sent), mails given up on, and the oldest waiting one's age. */
  mailOutboxStats(): Promise<{ waiting: number; failed: number; oldestWaitingAt?: string }>;

  /** SSO request cache (SAML `InResponseTo`, OIDC state kept server-side): single use. */
  putSsoRequest(id: string, connectionId: string, expiresAt: string): Promise<void>;
  takeSsoRequest(id: string, now: string): Promise<{ connectionId: string } | undefined>;
  /** Replay cache: true the first time an assertion/response id is seen, false afterwards. */
  markAssertionSeen(id: string, expiresAt: string, now: string): Promise<boolean>;

  /** Just-in-time admin records, refreshed at every sign-in. */
  upsertAdmin(admin: AdminRecord): Promise<void>;
  listAdmins(partnerId: string): Promise<AdminRecord[]>;

  getSession(sid: string): Promise<SessionRecord | undefined>;
  setSession(sid: string, record: SessionRecord): Promise<void>;
  destroySession(sid: string): Promise<void>;

  // Provisioning by the licensing platform (the REST API). Soft-deleted rows (`deletedAt`) are
  // invisible to every method above; the page methods return them only when asked to.
  pagePartners(query: TenantPageQuery): Promise<CursorPage<Partner>>;
  pageCustomers(partnerId: string, query: CustomerPageQuery): Promise<CursorPage<Customer>>;
  pageAccounts(partnerId: string, query: AccountPageQuery): Promise<CursorPage<Account>>;
  /** Adds or replaces a partner by id. */
  savePartner(partner: Partner): Promise<void>;
  /**
   * Adds or replaces the partner's companies by id, all or none. Refused (AppError CONFLICT) when a
   * row belongs to another partner, its id is another partner's, or its external id is another row's.
   */
  saveCustomers(partnerId: string, customers: Customer[]): Promise<void>;
  /** Like `saveCustomers`; each account's company must be the partner's too. */
  saveAccounts(partnerId: string, accounts: Account[]): Promise<void>;
  /** Revokes open resets of the partner, or of one company or one account of it; returns how many. */
  revokeOpenResets(partnerId: string, scope: { customerId?: string; accountId?: string }, at: string): Promise<number>;
  /**
   * Forgets every reset whose link expired before `before` (by then each was used, revoked or
   * lapsed); returns how many. Their audit events stay.
   */
  deleteExpiredResets(before: string): Promise<number>;
  /** A reset by id; with `partnerId`, another partner's reset is not found. */
  getReset(resetId: string, partnerId?: string): Promise<ResetRecord | undefined>;
  /** The account's resets, newest first. */
  listResets(partnerId: string, accountId: string): Promise<ResetRecord[]>;
  /** Audit events naming this reset (`detail.resetId`), oldest first. */
  listResetEvents(partnerId: string, resetId: string): Promise<AuditEvent[]>;

  /** API clients (service credentials); managed by IdP admins, so not partner-scoped. */
  saveApiClient(client: ApiClient): Promise<void>;
  getApiClient(id: string): Promise<ApiClient | undefined>;
  listApiClients(): Promise<ApiClient[]>;
  touchApiClient(id: string, at: string): Promise<void>;

  /**
   * Takes an idempotency key for a request: undefined when it was free (or its record expired),
   * else the record that holds it, so the caller can replay or refuse.
   */
  reserveIdempotencyKey(record: IdempotencyRecord, now: string): Promise<IdempotencyRecord | undefined>;
  finishIdempotencyKey(scope: string, key: string, response: { status: number; body: string }): Promise<void>;
  /** Frees a key whose request failed in a way worth retrying. */
  releaseIdempotencyKey(scope: string, key: string): Promise<void>;

  /** SSO connections made in the console; managed by IdP admins, so not partner-scoped. Upsert by id. */
  saveConnection(connection: StoredConnection): Promise<void>;
  getConnection(id: string): Promise<StoredConnection | undefined>;
  /** Every stored connection, or one partner's. */
  listConnections(partnerId?: string): Promise<StoredConnection[]>;
  /** False when there was none with this id. */
  deleteConnection(id: string): Promise<boolean>;

  // Multi-target password sync: one record per submit, holding the sealed password while a
  // secondary directory still needs it (the retry outbox).
  /** Saves a new sync record, or returns the one already saved under its id (a submit retried after a crash). */
  createSync(sync: SyncRecord): Promise<SyncRecord>;
  getSync(partnerId: string, syncId: string): Promise<SyncRecord | undefined>;
  /**
   * Read-modify-write under a lock: `change` (synchronous) gets the stored record and returns the
   * new one, or undefined to leave it. Resolves to the record as stored afterwards.
   */
  updateSync(partnerId: string, syncId: string, change: (sync: SyncRecord) => SyncRecord | undefined): Promise<SyncRecord | undefined>;
  /**
   * Takes up to `limit` records whose `dueAt` has come, saves `claim(record)` for each (it must move
   * `dueAt` on) and returns them. Two instances never hold the same record at once.
   */
  claimDueSyncs(now: string, limit: number, claim: (sync: SyncRecord) => SyncRecord): Promise<SyncRecord[]>;
  /** Newest first. */
  listSyncs(query: SyncQuery): Promise<SyncRecord[]>;
  /** Deletes records created before `before` that hold nothing any more (no sealed password, nothing due); returns how many. */
  deleteSettledSyncs(before: string): Promise<number>;

  // Webhooks (events out): subscriptions, kept by IdP admins, and the delivery outbox.
  saveWebhook(subscription: WebhookSubscription): Promise<void>;
  getWebhook(id: string): Promise<WebhookSubscription | undefined>;
  listWebhooks(): Promise<WebhookSubscription[]>;
  /** Deletes the subscription and its deliveries; false when there was none. */
  deleteWebhook(id: string): Promise<boolean>;
  enqueueWebhookDeliveries(deliveries: WebhookDelivery[]): Promise<void>;
  /**
   * Takes up to `limit` deliveries that are due (pending with `nextAttemptAt` come, or delivering
   * with a lapsed lease), marks them delivering until `leaseUntil` and counts the attempt. Two
   * instances never hold the same delivery at once.
   */
  claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDelivery[]>;
  /** Appends the attempt to the delivery's log and moves it on: delivered, pending again, or failed. */
  finishWebhookDelivery(id: string, attempt: WebhookAttempt, next: WebhookNext): Promise<void>;
  getWebhookDelivery(subscriptionId: string, deliveryId: string): Promise<WebhookDelivery | undefined>;
  /** Newest first. */
  listWebhookDeliveries(subscriptionId: string, limit: number): Promise<WebhookDelivery[]>;
  /** Deletes delivered or failed deliveries created before `before`; returns how many. */
  deleteSettledWebhookDeliveries(before: string): Promise<number>;
  /**
   * Resets whose link expired unused (never consumed, not revoked before it expired), with an
   * expiry after `after` (by expiry time, then id) and up to `until`, in that order.
   */
  listLapsedResets(after: ExpiryCursor | undefined, until: string, limit: number): Promise<ResetRecord[]>;
  getExpiryCursor(): Promise<ExpiryCursor | undefined>;
  /** Moves the cursor to `to` only while it still stands at `from`: true for the one caller that moved it. */
  moveExpiryCursor(from: ExpiryCursor | undefined, to: ExpiryCursor): Promise<boolean>;

  // Branding: a partner's look and its companies' overrides (`customerId` unset: the partner's own).
  getBranding(partnerId: string, customerId?: string): Promise<Branding | undefined>;
  /** The partner's record and every company override of it. */
  listBrandings(partnerId: string): Promise<Branding[]>;
  /** Adds or replaces the record for (partnerId, customerId). */
  saveBranding(branding: Branding): Promise<void>;
  deleteBranding(partnerId: string, customerId?: string): Promise<void>;
  /** Keeps logo bytes under their hash; saving the same hash again changes nothing. */
  saveBrandLogo(logo: BrandLogo): Promise<void>;
  getBrandLogo(partnerId: string, hash: string): Promise<BrandLogo | undefined>;

  close(): Promise<void>;
}

export interface SyncQuery {
  /** Unset: every partner's (the IdP admin's view). */
  partnerId?: string;
  customerId?: string;
  accountId?: string;
  state?: SyncState;
  limit: number;
}

export interface AdminRecord {
  partnerId: string;
  connectionId: string;
  sub: string;
  email: string;
  name: string;
  roles: string[];
  lastSignInAt: string;
}

export interface SessionRecord {
  data: string;
  expiresAt: string;
}

export interface Clock {
  now(): Date;
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Display name of the sender (the address stays the configured one), from branding. */
  fromName?: string;
  replyTo?: string;
}

/** Delivers one rendered message; throws on failure. */
export interface MailTransport {
  send(message: MailMessage): Promise<{ ref: string }>;
  verify(): Promise<void>;
  close(): void;
}

export type SyncOutcome =
  | { kind: 'applied' }
  | { kind: 'policy'; message: string }
  | { kind: 'transient' }
  | { kind: 'config' };

/** Writes a new password to the customer's directory (the primary target for now). */
export interface DirectorySync {
  apply(customer: Customer, account: Account, password: string): Promise<SyncOutcome>;
  /** One target: resolve the account, set the password (bounded retries within the deadline), revoke sessions when asked. */
  write(target: DirectoryTarget, account: Account, password: string, opts: TargetWrite): Promise<TargetOutcome>;
  /** What the targets declare they enforce; a target that cannot say in time is left out. */
  policyHints(targets: DirectoryTarget[]): Promise<PolicyHint[]>;
}

export interface TargetWrite {
  /** The same for every target and every retry of one change. */
  attemptId: string;
  /** An earlier attempt of this change may have reached the target. */
  isRetry: boolean;
  deadlineMs: number;
  /** Calls per step before a transient failure is handed back (the retry outbox may try again later). */
  maxAttempts?: number;
  revokeSessions?: boolean;
}

/**
 * `detail` is plain words for admins, `diagnostic` the adapter's technical note for the audit log;
 * neither ever holds the password. `message` (policy) is for the end user.
 */
export type TargetOutcome =
  | { kind: 'applied'; probable: boolean; sessions?: 'revoked' | 'failed' | 'not-supported' | 'by-target' }
  | { kind: 'policy'; message: string; detail: string; diagnostic?: string; reasons?: string[] }
  | { kind: 'transient'; outcomeUnknown: boolean; retryAfterMs?: number; detail: string; diagnostic?: string }
  | { kind: 'config'; notFound: boolean; detail: string; diagnostic?: string };

export interface ResetLinkMail {
  to: string;
  accountName: string;
  login: string;
  partnerName: string;
  companyName: string;
  url: string;
  expiresAt: Date;
  flow: 'admin' | 'self-service';
  /** Short code for opening the form on another device, and the page to enter it. */
  code: string;
  codeUrl: string;
  /** The reader's language (already chosen: account → customer → partner → requester) and time zone. */
  locale?: string;
  timeZone?: string;
}

export interface PasswordChangedMail {
  to: string;
  accountName: string;
  login: string;
  partnerName: string;
  companyName: string;
  at: Date;
  ip: string;
  locale?: string;
  timeZone?: string;
}

/** Queues the product's mails. Implementations render and deliver them off the request path. */
export interface Notifier {
  resetLink(mail: ResetLinkMail, partnerId: string, accountId?: string): Promise<void>;
  passwordChanged(mail: PasswordChangedMail, partnerId: string, accountId?: string): Promise<void>;
}

export interface RequestContext {
  ip: string;
  userAgent: string;
  /** The browser's Accept-Language: the last choice for a self-service mail's language. */
  acceptLanguage?: string;
}

export type RateBucket = 'issuePerAccount' | 'issuePerIp' | 'openPerToken' | 'openPerIp' | 'redeemPerToken' | 'redeemPerIp' | 'adminIssuePerAdmin';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counters that hold across instances when the store is shared. */
export interface RateLimiter {
  consume(bucket: RateBucket, key: string): Promise<RateDecision>;
}

/** Optional check against a breached-password corpus; 'unknown' when the service cannot answer. */
export interface BreachedPasswords {
  check(password: string): Promise<'breached' | 'clean' | 'unknown'>;
}

export interface DirectoryStatus {
  id: string;
  plugin: string;
  /** The instance's configuration with secrets replaced by '••••'. */
  config: unknown;
  capabilities: Record<string, unknown>;
  lastTest?: { ok: boolean; message: string; at: string };
}

/** The configured directory adapter instances, as the IdP admin sees and tests them. */
export interface DirectoryCatalog {
  list(): DirectoryStatus[];
  get(id: string): DirectoryStatus | undefined;
  test(id: string): Promise<{ ok: boolean; message: string; at: string }>;
}

/** Where a delivery goes after an attempt. */
export type WebhookNext = { status: 'delivered' } | { status: 'pending'; nextAttemptAt: string } | { status: 'failed' };
