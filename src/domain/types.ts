// Tenancy: partner (reseller) → customer company → account. Ids are opaque strings.

export interface Partner {
  id: string;
  name: string;
  /** Email domains whose admins belong to this partner (home-realm discovery). */
  domains: string[];
  disabled?: boolean;
  /** Users may request a reset themselves ("Forgot your password?"). Off unless set. */
  selfService?: boolean;
  /**
   * The REST API may hand a reset link back to a client with the `resets:link` scope instead of
   * mailing it (the platform delivers it by its own channel). Off unless set.
   */
  outOfBandLinks?: boolean;
  /** Set when the platform deleted the partner (soft delete): it vanishes from sign-in and every console. */
  deletedAt?: string;  /** Language of pages and mails for its customers' users (`ja`, `de-AT`), unless the customer or account says otherwise. */
  defaultLocale?: string;
}

export interface DirectoryBinding {
  /** Adapter instance id from `directories[]` in config. */
  instance: string;
  /** How the directory identity is derived from the account: `login`, `email`, `externalId`, or a template like `{login}@corp.example`. */
  mapping: string;
  /** Further directories that get the same new password once the primary (`instance`) took it. */
  secondaries?: DirectoryTarget[];
  /** After a change, end the user's sessions at every target whose adapter can. */
  revokeSessions?: boolean;
}

/** One more directory of a binding: an adapter instance and its mapping rule. */
export interface DirectoryTarget {
  instance: string;
  mapping: string;
}

export interface Customer {
  id: string;
  partnerId: string;
  name: string;
  country?: string;
  directory?: DirectoryBinding;
  /** Overrides the partner's self-service setting for this company. */
  selfService?: boolean;
  /** The licensing platform's id for the company, unique within the partner. */
  externalId?: string;
  /** Set when the platform deleted the company (soft delete): it vanishes from every console and gets no resets. */
  deletedAt?: string;  /** Language of pages and mails for this company's users, unless an account says otherwise. */
  defaultLocale?: string;
}

export interface Account {
  id: string;
  partnerId: string;
  customerId: string;
  name: string;
  login: string;
  email: string;
  externalId?: string;
  lastResetAt?: string;
  /** Set when the platform deleted the account (soft delete): it vanishes from every console and gets no resets. */
  deletedAt?: string;  /** The user's preferred language (BCP 47, e.g. `ja`); the first choice for their pages and mails. */
  locale?: string;
  /** IANA time zone (e.g. `Asia/Tokyo`) for times in their mails and pages; UTC when unset. */
  timeZone?: string;
}

export type ResetFlow = 'admin' | 'self-service';

export interface ResetRecord {
  id: string;
  partnerId: string;
  customerId: string;
  accountId: string;
  /** SHA-256 of the token, hex. The token itself is never stored. */
  tokenHash: string;
  flow: ResetFlow;
  createdAt: string;
  expiresAt: string;
  createdBy: string;
  /** HMAC of the short code mailed beside the link (for opening on another device). */
  codeHash?: string;
  codeAttempts?: number;
  /** SHA-256 of the token handed out after a correct code; works like the mailed one. */
  altTokenHash?: string;
  /** Set while one submit is writing to the directory, so a racing submit cannot also write. */
  claimedUntil?: string;
  consumedAt?: string;
  revokedAt?: string;
  /**
   * The submit that claimed the link and may have reached the primary directory: kept until its
   * outcome is known, so the link cannot set a second, different password after a crash or timeout.
   */
  pendingAttempt?: PendingAttempt;
}

export interface PendingAttempt {
  /** Also the id of the sync record and the attempt id the adapters see. */
  id: string;
  /** HMAC of the reset id and the password under a server key: tells "the same password" without keeping it. */
  fingerprint: string;
  startedAt: string;
}

export interface AuditEvent {
  seq: number;
  at: string;
  type: string;
  outcome: 'success' | 'failure' | 'info';
  actor: string;
  partnerId?: string;
  target?: string;
  ip?: string;
  userAgent?: string;
  detail?: Record<string, string | number | boolean>;
  /** Hash of the previous event (hex), '' for the first. */
  prev: string;
  hash: string;
}

export type AuditInput = Omit<AuditEvent, 'seq' | 'prev' | 'hash' | 'at'>;

export interface OutboxMail {
  id: string;
  partnerId?: string;
  /** The account the mail is about, when there is one. */
  accountId?: string;
  kind: string;
  /** The rendered message, sealed with the data key: it can hold a reset link. */
  sealed: string;
  status: 'queued' | 'sending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  createdAt: string;
  sentAt?: string;
  lastError?: string;
}

export interface AdminUser {
  sub: string;
  connectionId: string;
  partnerId: string;
  email: string;
  name: string;
  roles: string[];
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** One page of a cursor-paginated list; `next` is absent on the last page. */
export interface CursorPage<T> {
  items: T[];
  next?: string;
}

/** What an API client may do; a `:write` scope includes its `:read`. */
/** `resets:link`: a reset's link may come back in the API's answer (out-of-band delivery), where the partner allows it. */
export const API_SCOPES = ['tenants:read', 'tenants:write', 'resets:read', 'resets:write', 'resets:link', 'audit:read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Service credentials of the licensing platform (or another system) for the REST API. */
export interface ApiClient {
  id: string;
  name: string;
  scopes: ApiScope[];
  /** Only this partner's data is visible; unset, every partner's. */
  partnerId?: string;
  /** SHA-256 of the secret, hex. The secret is shown once and never stored. */
  secretHash: string;
  createdAt: string;
  createdBy: string;
  rotatedAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
}

/** An `Idempotency-Key` seen on a POST: the same key with the same request gets the first answer again. */
export interface IdempotencyRecord {
  /** Whose key it is (the API client id): two clients' keys never meet. */
  scope: string;
  key: string;
  /** SHA-256 of method, path and body, hex: the same key with another request is refused. */
  requestHash: string;
  createdAt: string;
  expiresAt: string;
  /** The first answer, once it is known; absent while that request still runs. */
  response?: { status: number; body: string };
}

// ---- multi-target password sync ----

/**
 * Where one target stands. Primary: `sending` → `applied` | `probable` | `failed` | `unknown`.
 * Secondary: `waiting` (for the primary) → `sending` → `applied` | `probable` | `retrying` |
 * `attention`; `skipped` when the primary did not take the password; `given-up` by an IdP admin.
 */
export type SyncTargetStatus =
  | 'waiting' | 'sending' | 'applied' | 'probable' | 'retrying' | 'attention' | 'failed' | 'unknown' | 'skipped' | 'given-up';

/** What the last attempt at a target came to, by the adapter contract's error classes. */
export type SyncAttemptResult = 'applied' | 'probable' | 'policy' | 'transient' | 'config' | 'not-found' | 'interrupted' | 'expired';

export interface SyncTarget {
  instance: string;
  mapping: string;
  role: 'primary' | 'secondary';
  status: SyncTargetStatus;
  attempts: number;
  lastAttemptAt?: string;
  lastResult?: SyncAttemptResult;
  /** Plain words for admins: never a password, token or raw server answer. */
  lastError?: string;
  nextAttemptAt?: string;
  /** While `sending`: who holds the target and until when; a lapsed lease means the attempt was interrupted. */
  leaseId?: string;
  leaseUntil?: string;
  /** An earlier attempt may have reached the target (a timeout after sending, an interrupted attempt): the next is a retry. */
  maybeApplied?: boolean;
  doneAt?: string;
  /** Session revocation after the change, when the binding asks for it. */
  sessions?: 'revoked' | 'failed' | 'not-supported' | 'by-target';
}

/** Derived from the targets, for filtering: `attention` wins over `in-progress`. */
export type SyncState = 'in-progress' | 'attention' | 'unknown' | 'failed' | 'done';

/** One new password on its way to every directory of a binding (one per submit that claimed a link). */
export interface SyncRecord {
  /** The attempt id (`ResetRecord.pendingAttempt.id`). */
  id: string;
  partnerId: string;
  customerId: string;
  accountId: string;
  resetId: string;
  createdAt: string;
  updatedAt: string;
  revokeSessions: boolean;
  targets: SyncTarget[];
  state: SyncState;
  /** The new password sealed (AES-256-GCM, key id inside) while a secondary may still need it; wiped after. */
  sealed?: string;
  /** The sealed password is wiped at this time whatever else happens. */
  sealedUntil?: string;
  /** When the retry worker next has something to do here (a retry, a lapsed lease, the end of the lifetime). */
  dueAt?: string;
}

/** What a SAML sign-out needs to name the IdP session (kept in the admin's session). */
export interface SamlLogoutInfo {
  nameID: string;
  nameIDFormat: string;
  nameQualifier?: string;
  spNameQualifier?: string;
  sessionIndex?: string;
}

/** Which values of a role claim/attribute grant which resetbridge role. */
export interface StoredRoleMapping {
  'partner-admin': string[];
  'idp-admin': string[];
}

/** A partner's SSO connection made in the console (connections in the configuration are not stored). */
export interface StoredConnection {
  id: string;
  partnerId: string;
  displayName: string;
  disabled?: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  settings: StoredOidcSettings | StoredSamlSettings;
}

export interface StoredOidcSettings {
  type: 'oidc';
  issuer: string;
  clientId: string;
  /** AES-256-GCM sealed (key id inside); never shown again once saved. */
  clientSecretSealed: string;
  tokenEndpointAuth: 'client_secret_basic' | 'client_secret_post';
  scope: string;
  roleClaim: string;
  roles: StoredRoleMapping;
}

export interface StoredSamlSettings {
  type: 'saml';
  /** Where the IdP metadata comes from: read again from the URL, or the pasted XML. */
  metadataUrl?: string;
  metadataXml?: string;
  /** What the metadata said when the connection was saved (shown on the page). */
  idp: { entityId: string; ssoUrl: string; sloUrl?: string; certs: string[] };
  signAuthnRequests: boolean;
  /** The SP's signing key (sealed) and certificate, when AuthnRequests are signed. */
  spKeySealed?: string;
  spCert?: string;
  wantResponseSigned: boolean;
  wantAssertionsSigned: boolean;
  allowIdpInitiated: boolean;
  clockSkewSeconds: number;
  roleAttribute: string;
  roles: StoredRoleMapping;
}

// ---- webhooks (events out) ----

/** What a webhook subscription may ask for. `webhook.test` is sent only by "Send test event". */
export const WEBHOOK_EVENT_TYPES = ['reset.issued', 'reset.completed', 'reset.expired', 'sync.failed', 'sync.needs_attention'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A receiver of signed event notifications; managed by IdP admins, so not partner-scoped itself. */
export interface WebhookSubscription {
  id: string;
  name: string;
  url: string;
  events: WebhookEventType[];
  /** Only this partner's events; unset, every partner's. */
  partnerId?: string;
  /** The signing secret sealed with the data key (AES-256-GCM): signing needs it in clear, so it cannot be hashed. */
  sealedSecret: string;
  disabled?: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt?: string;
  rotatedAt?: string;
}

/** One try at posting a delivery: never the secret, never the receiver's body beyond a short error. */
export interface WebhookAttempt {
  at: string;
  /** Absent when no HTTP answer came (timeout, refused connection). */
  statusCode?: number;
  durationMs: number;
  error?: string;
}

/** One event on its way to one subscription (the webhook outbox), with its delivery log. */
export interface WebhookDelivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  partnerId?: string;
  /** The JSON body exactly as it is signed and sent; it holds ids only, never a token, link, code or password. */
  body: string;
  status: 'pending' | 'delivering' | 'delivered' | 'failed';
  /** Tries started so far (counted when a worker claims it). */
  attempts: number;
  createdAt: string;
  nextAttemptAt: string;
  /** No retry after this time. */
  giveUpAt: string;
  /** While `delivering`: a worker that stops before finishing leaves it to be claimed again after this. */
  leaseUntil?: string;
  doneAt?: string;
  /** Why this delivery exists besides an event: "Send test event" or "Redeliver". */
  origin?: 'test' | 'redelivery';
  log: WebhookAttempt[];
}

/** How far the sweep that notices unredeemed, expired links has got (expiry time, then reset id). */
export interface ExpiryCursor {
  expiresAt: string;
  resetId: string;
}

// ---- branding of hosted pages and mails ----

/** Logo image types accepted, recognised by their first bytes (never by name or declared type). */
export type LogoType = 'image/png' | 'image/jpeg' | 'image/webp';

/**
 * A partner's look (`customerId` unset) or one company's override of it. Every field is optional:
 * an unset field falls back to the partner's, then to the product's.
 */
export interface Branding {
  partnerId: string;
  customerId?: string;
  displayName?: string;
  /** `#rrggbb`, lower case. */
  primaryColor?: string;
  supportEmail?: string;
  supportUrl?: string;
  supportPhone?: string;
  senderName?: string;
  replyTo?: string;
  /** SHA-256 (hex) of a logo kept with `saveBrandLogo`. */
  logoHash?: string;
  logoType?: LogoType;
  updatedAt: string;
  updatedBy: string;
}

/** Logo bytes, addressed by their hash within a partner. */
export interface BrandLogo {
  partnerId: string;
  hash: string;
  contentType: LogoType;
  bytes: Buffer;
  createdAt: string;
}
