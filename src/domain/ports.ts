import type {
  Account, AuditEvent, AuditInput, Customer, DirectoryBinding, OutboxMail, Page, Partner, ResetRecord,
} from './types.js';

export interface CustomerQuery {
  q?: string;
  page: number;
  pageSize: number;
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
  claimReset(tokenHash: string, now: string, until: string): Promise<ResetRecord | undefined>;
  releaseReset(resetId: string): Promise<void>;
  /** Consumes a claimed reset and revokes every other open reset of the account. False if it was not open. */
  consumeReset(resetId: string, now: string): Promise<boolean>;

  appendAudit(event: AuditInput, at: string): Promise<AuditEvent>;
  listAudit(partnerId?: string): Promise<AuditEvent[]>;

  enqueueMail(mail: OutboxMail): Promise<void>;
  /** Takes up to `limit` due mails and marks them `sending`, so no other worker takes them. */
  claimMail(now: string, limit: number): Promise<OutboxMail[]>;
  finishMail(id: string, result: { ok: true; at: string } | { ok: false; error: string; retryAt?: string }): Promise<void>;

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

  close(): Promise<void>;
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
}

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
}

export interface PasswordChangedMail {
  to: string;
  accountName: string;
  login: string;
  partnerName: string;
  companyName: string;
  at: Date;
  ip: string;
}

/** Queues the product's mails. Implementations render and deliver them off the request path. */
export interface Notifier {
  resetLink(mail: ResetLinkMail, partnerId: string): Promise<void>;
  passwordChanged(mail: PasswordChangedMail, partnerId: string): Promise<void>;
}

export interface RequestContext {
  ip: string;
  userAgent: string;
}

export type RateBucket = 'issuePerAccount' | 'issuePerIp' | 'redeemPerToken' | 'redeemPerIp' | 'adminIssuePerAdmin';

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
