// A sync record in the words admins read: "demo-directory ✓, hr-scim — retrying (attempt 3)".
import type { SyncRecord, SyncState, SyncTarget } from '../domain/types.js';

export interface TargetView {
  instance: string;
  role: SyncTarget['role'];
  status: SyncTarget['status'];
  words: string;
  attempts: number;
  lastError?: string;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
  sessions?: string;
  /** Actions offered to the IdP admin. */
  canRetry: boolean;
  canGiveUp: boolean;
}

export interface SyncView {
  id: string;
  partnerId: string;
  customerId: string;
  accountId: string;
  createdAt: string;
  state: SyncState;
  stateWords: string;
  summary: string;
  targets: TargetView[];
  /** The sealed password still exists (so "Retry now" can work), and until when at most. */
  passwordKept: boolean;
  sealedUntil?: string;
}

export const STATE_WORDS: Record<SyncState, string> = {
  'in-progress': 'In progress',
  attention: 'Needs attention',
  unknown: 'Outcome unknown',
  failed: 'Not changed',
  done: 'Done',
};

const SESSION_WORDS: Record<NonNullable<SyncTarget['sessions']>, string> = {
  revoked: 'sessions ended',
  failed: 'sessions could not be ended',
  'not-supported': 'cannot end sessions',
  'by-target': 'sessions ended by the directory',
};

function words(t: SyncTarget, primary: string, now: string): string {
  switch (t.status) {
    case 'applied': return '✓';
    case 'probable': return '✓ (probably: it already had the new password)';
    case 'sending': return (t.leaseUntil ?? '') <= now ? 'outcome unknown (interrupted)' : 'in progress';
    case 'retrying': return `retrying (attempt ${t.attempts})`;
    case 'attention': return 'needs attention';
    case 'failed': return 'not changed';
    case 'unknown': return 'outcome unknown';
    case 'waiting': return `waiting for ${primary}`;
    case 'skipped': return 'not attempted';
    case 'given-up': return 'given up';
  }
}

export function describeSync(sync: SyncRecord, now: string): SyncView {
  const primary = sync.targets.find((t) => t.role === 'primary')?.instance ?? 'the primary directory';
  const passwordKept = sync.sealed !== undefined && (sync.sealedUntil ?? '') > now;
  const targets = sync.targets.map((t): TargetView => ({
    instance: t.instance, role: t.role, status: t.status, words: words(t, primary, now), attempts: t.attempts,
    ...(t.lastError ? { lastError: t.lastError } : {}),
    ...(t.lastAttemptAt ? { lastAttemptAt: t.lastAttemptAt } : {}),
    ...(t.status === 'retrying' && t.nextAttemptAt ? { nextAttemptAt: t.nextAttemptAt } : {}),
    ...(t.sessions ? { sessions: SESSION_WORDS[t.sessions] } : {}),
    canRetry: t.status === 'attention',
    canGiveUp: t.status === 'attention',
  }));
  const summary = targets.map((t) => (t.words === '✓' ? `${t.instance} ✓` : `${t.instance} — ${t.words}`)).join(', ');
  return {
    id: sync.id, partnerId: sync.partnerId, customerId: sync.customerId, accountId: sync.accountId, createdAt: sync.createdAt,
    state: sync.state, stateWords: STATE_WORDS[sync.state], summary, targets, passwordKept,
    ...(sync.sealedUntil ? { sealedUntil: sync.sealedUntil } : {}),
  };
}
