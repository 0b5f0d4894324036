// A sync record in the words admins read: "demo-directory ✓, hr-scim — retrying (attempt 3)".
import type { SyncRecord, SyncState, SyncTarget } from '../domain/types.js';
import { sharedI18n, type Message, type Translator } from '../i18n/index.js';

export interface TargetView {
  instance: string;
  role: SyncTarget['role'];
  status: SyncTarget['status'];
  words: string;
  /** The same words as a message, for a page in the reader's language. */
  wordsMessage: Message;
  attempts: number;
  lastError?: string;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
  sessions?: string;
  sessionsMessage?: Message;
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

// The words live in the admin resource files (admin:idp.sync.*); the English ones are also kept
// on the view for the API and the partner console's summary.
const english = (): Translator => sharedI18n().for('en');

const stateMessage = (state: SyncState): Message => ({ key: `admin:idp.sync.state.${state}` });

export const STATE_WORDS: Record<SyncState, string> = Object.fromEntries(
  (['in-progress', 'attention', 'unknown', 'failed', 'done'] as const).map((s) => [s, english().message(stateMessage(s))]),
) as Record<SyncState, string>;

function words(t: SyncTarget, primary: string, now: string): Message {
  const key = (k: string, params?: Message['params']): Message => ({ key: `admin:idp.sync.target.${k}`, ...(params ? { params } : {}) });
  switch (t.status) {
    case 'sending': return key((t.leaseUntil ?? '') <= now ? 'interrupted' : 'sending');
    case 'retrying': return key('retrying', { attempts: t.attempts });
    case 'waiting': return key('waiting', { primary });
    default: return key(t.status);
  }
}

/** "demo-directory ✓, hr-scim — retrying (attempt 3)" in the reader's language. */
export function syncSummary(targets: ReadonlyArray<Pick<TargetView, 'instance' | 'status' | 'wordsMessage'>>, tr: Translator): string {
  return targets.map((t) => (t.status === 'applied'
    ? tr.t('admin:idp.sync.summaryOk', { instance: t.instance })
    : tr.t('admin:idp.sync.summaryOther', { instance: t.instance, words: tr.message(t.wordsMessage) }))).join(tr.t('admin:idp.sync.summarySeparator'));
}

/** A sync view with its words in the reader's language (the view itself carries English). */
export function translateSync(view: SyncView, tr: Translator): SyncView {
  return {
    ...view, stateWords: tr.message(stateMessage(view.state)), summary: syncSummary(view.targets, tr),
    targets: view.targets.map((t) => ({
      ...t, words: tr.message(t.wordsMessage), ...(t.sessionsMessage ? { sessions: tr.message(t.sessionsMessage) } : {}),
    })),
  };
}

export function describeSync(sync: SyncRecord, now: string): SyncView {
  const en = english();
  const primary = sync.targets.find((t) => t.role === 'primary')?.instance ?? en.t('admin:idp.sync.thePrimary');
  const passwordKept = sync.sealed !== undefined && (sync.sealedUntil ?? '') > now;
  const targets = sync.targets.map((t): TargetView => {
    const wordsMessage = words(t, primary, now);
    const sessionsMessage = t.sessions ? { key: `admin:idp.sync.sessions.${t.sessions}` } : undefined;
    return {
    instance: t.instance, role: t.role, status: t.status, words: en.message(wordsMessage), wordsMessage, attempts: t.attempts,
    ...(t.lastError ? { lastError: t.lastError } : {}),
    ...(t.lastAttemptAt ? { lastAttemptAt: t.lastAttemptAt } : {}),
    ...(t.status === 'retrying' && t.nextAttemptAt ? { nextAttemptAt: t.nextAttemptAt } : {}),
    ...(sessionsMessage ? { sessions: en.message(sessionsMessage), sessionsMessage } : {}),
    canRetry: t.status === 'attention',
    canGiveUp: t.status === 'attention',
    };
  });
  const summary = syncSummary(targets, en);
  return {
    id: sync.id, partnerId: sync.partnerId, customerId: sync.customerId, accountId: sync.accountId, createdAt: sync.createdAt,
    state: sync.state, stateWords: STATE_WORDS[sync.state], summary, targets, passwordKept,
    ...(sync.sealedUntil ? { sealedUntil: sync.sealedUntil } : {}),
  };
}
