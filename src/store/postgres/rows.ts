import type { OutboxMail, PendingAttempt, ResetRecord } from '../../domain/types.js';

/** pg returns timestamptz as Date; the domain speaks ISO strings (millisecond precision both ways). */
export const iso = (d: Date | string): string => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

const optionalIso = <K extends string>(key: K, d: Date | null): { [P in K]?: string } =>
  (d ? { [key]: iso(d) } : {}) as { [P in K]?: string };

export interface ResetRow {
  id: string;
  partner_id: string;
  customer_id: string;
  account_id: string;
  token_hash: string;
  flow: string;
  created_at: Date;
  expires_at: Date;
  created_by: string;
  code_hash: string | null;
  code_attempts: number | null;
  alt_token_hash: string | null;
  claimed_until: Date | null;
  consumed_at: Date | null;
  revoked_at: Date | null;
  pending_attempt: PendingAttempt | null;
}

export function resetFromRow(r: ResetRow): ResetRecord {
  return {
    id: r.id,
    partnerId: r.partner_id,
    customerId: r.customer_id,
    accountId: r.account_id,
    tokenHash: r.token_hash,
    flow: r.flow as ResetRecord['flow'],
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    createdBy: r.created_by,
    ...(r.code_hash !== null ? { codeHash: r.code_hash } : {}),
    ...(r.code_attempts !== null ? { codeAttempts: r.code_attempts } : {}),
    ...(r.alt_token_hash !== null ? { altTokenHash: r.alt_token_hash } : {}),
    ...optionalIso('claimedUntil', r.claimed_until),
    ...optionalIso('consumedAt', r.consumed_at),
    ...optionalIso('revokedAt', r.revoked_at),
    ...(r.pending_attempt !== null ? { pendingAttempt: r.pending_attempt } : {}),
  };
}

/** Column order of `resetParams`. */
export const RESET_COLUMNS = 'id, partner_id, customer_id, account_id, token_hash, flow, created_at, expires_at, created_by, '
  + 'code_hash, code_attempts, alt_token_hash, claimed_until, consumed_at, revoked_at, pending_attempt';

export function resetParams(r: ResetRecord): unknown[] {
  return [r.id, r.partnerId, r.customerId, r.accountId, r.tokenHash, r.flow, r.createdAt, r.expiresAt, r.createdBy,
    r.codeHash ?? null, r.codeAttempts ?? null, r.altTokenHash ?? null, r.claimedUntil ?? null, r.consumedAt ?? null, r.revokedAt ?? null,
    r.pendingAttempt ? JSON.stringify(r.pendingAttempt) : null];
}

export interface MailRow {
  id: string;
  partner_id: string | null;
  kind: string;
  sealed: string;
  status: OutboxMail['status'];
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
  sent_at: Date | null;
  last_error: string | null;
  account_id: string | null;
}

export function mailFromRow(r: MailRow): OutboxMail {
  return {
    id: r.id,
    ...(r.partner_id !== null ? { partnerId: r.partner_id } : {}),
    kind: r.kind,
    sealed: r.sealed,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: iso(r.next_attempt_at),
    createdAt: iso(r.created_at),
    ...optionalIso('sentAt', r.sent_at),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    ...(r.account_id !== null && r.account_id !== undefined ? { accountId: r.account_id } : {}),
  };
}

export const MAIL_COLUMNS = 'id, partner_id, kind, sealed, status, attempts, next_attempt_at, created_at, sent_at, last_error, account_id';

export function mailParams(m: OutboxMail): unknown[] {
  return [m.id, m.partnerId ?? null, m.kind, m.sealed, m.status, m.attempts, m.nextAttemptAt, m.createdAt, m.sentAt ?? null, m.lastError ?? null, m.accountId ?? null];
}

/** `$1, $2, …, $n` */
export const placeholders = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');
