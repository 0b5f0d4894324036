// Tenancy: partner (reseller) → customer company → account. Ids are opaque strings.

export interface Partner {
  id: string;
  name: string;
  /** Email domains whose admins belong to this partner (home-realm discovery). */
  domains: string[];
  disabled?: boolean;
  /** Users may request a reset themselves ("Forgot your password?"). Off unless set. */
  selfService?: boolean;
}

export interface DirectoryBinding {
  /** Adapter instance id from `directories[]` in config. */
  instance: string;
  /** How the directory identity is derived from the account: `login`, `email`, `externalId`, or a template like `{login}@corp.example`. */
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
