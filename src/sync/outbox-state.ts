// How a sync record moves: pure functions of (record, time, outcome), so the rules — above all "the
// sealed password lives only while a secondary may still need it" — sit in one place, and the request,
// the retry worker and the IdP admin's actions all go through them.
import type { DirectoryBinding, DirectoryTarget, SyncRecord, SyncState, SyncTarget } from '../domain/types.js';
import type { TargetOutcome } from '../domain/ports.js';

export interface SyncTimings {
  /** How long the sealed password may wait for the secondaries, ms. */
  lifetimeMs: number;
  /** How long one attempt may hold a target before it counts as interrupted, ms. */
  leaseMs: number;
  /** First retry delay (doubled per attempt, with jitter) and the longest one, ms. */
  retryBaseMs: number;
  retryMaxMs: number;
}

const at = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
function span(ms: number): string {
  const [n, unit] = ms >= 90_000 ? [Math.round(ms / 60_000), 'minute'] : [Math.round(ms / 1000), 'second'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** Secondaries that may still need the sealed password: while one exists, and only then, it is kept. */
const needsPassword = (t: SyncTarget) => t.role === 'secondary' && (t.status === 'sending' || t.status === 'retrying' || t.status === 'attention');

/** The binding's directories, primary first; a secondary naming the primary's instance again is dropped. */
export function targetsOf(binding: DirectoryBinding): DirectoryTarget[] {
  const seen = new Set([binding.instance]);
  const secondaries = (binding.secondaries ?? []).filter((s) => !seen.has(s.instance) && (seen.add(s.instance), true));
  return [{ instance: binding.instance, mapping: binding.mapping }, ...secondaries.map((s) => ({ instance: s.instance, mapping: s.mapping }))];
}

export function primaryOf(sync: SyncRecord): SyncTarget {
  return sync.targets.find((t) => t.role === 'primary')!;
}

/** A new record for a submit that is about to write to the primary: the primary is held by `leaseId`. */
export function newSync(input: {
  id: string; partnerId: string; customerId: string; accountId: string; resetId: string;
  binding: DirectoryBinding; now: string; leaseId: string; leaseMs: number;
}): SyncRecord {
  const [primary, ...secondaries] = targetsOf(input.binding);
  const targets: SyncTarget[] = [
    { ...primary!, role: 'primary', status: 'sending', attempts: 1, lastAttemptAt: input.now, leaseId: input.leaseId, leaseUntil: at(input.now, input.leaseMs) },
    ...secondaries.map((s): SyncTarget => ({ ...s, role: 'secondary', status: 'waiting', attempts: 0 })),
  ];
  return settle({
    id: input.id, partnerId: input.partnerId, customerId: input.customerId, accountId: input.accountId, resetId: input.resetId,
    createdAt: input.now, updatedAt: input.now, revokeSessions: input.binding.revokeSessions === true, targets, state: 'in-progress',
  }, input.now);
}

/** The same submit again after a crash or an unknown outcome: the primary is written once more. */
export function restartPrimary(sync: SyncRecord, now: string, leaseId: string, leaseMs: number): SyncRecord | undefined {
  const p = primaryOf(sync);
  if (p.status === 'applied' || p.status === 'probable' || p.status === 'failed') return undefined;
  return settle(withTarget(sync, p.instance, {
    ...p, status: 'sending', attempts: p.attempts + 1, lastAttemptAt: now, leaseId, leaseUntil: at(now, leaseMs), maybeApplied: true,
  }), now);
}

/**
 * The primary's answer. Taken: the secondaries are held by the same lease for the request's own
 * fan-out, and the sealed password is kept for them. Refused for sure: nothing else is touched.
 */
export function primaryDone(sync: SyncRecord, leaseId: string, outcome: TargetOutcome, now: string, sealed: string | undefined, timings: SyncTimings): SyncRecord | undefined {
  const p = primaryOf(sync);
  if (p.status !== 'sending' || p.leaseId !== leaseId) return undefined;
  const next = withTarget(sync, p.instance, outcomeOn(p, outcome, now, 'primary'));
  if (outcome.kind === 'applied') {
    const hasSecondaries = next.targets.some((t) => t.role === 'secondary');
    next.targets = next.targets.map((t) => (t.role === 'secondary' && t.status === 'waiting'
      ? { ...t, status: 'sending', attempts: t.attempts + 1, lastAttemptAt: now, leaseId, leaseUntil: at(now, timings.leaseMs) }
      : t));
    if (hasSecondaries && sealed) {
      next.sealed = sealed;
      next.sealedUntil = at(now, timings.lifetimeMs);
    }
  } else if (next.targets.some((t) => t.role === 'primary' && t.status === 'failed')) {
    next.targets = next.targets.map((t) => (t.status === 'waiting' ? { ...t, status: 'skipped' } : t));
  }
  return settle(next, now);
}

/** The same words whether the lifetime ran out between two attempts or during one. */
const expiredError = (timings: SyncTimings, last: string | undefined) =>
  `Not delivered within ${span(timings.lifetimeMs)}, so the new password was wiped; the user must reset again to reach this directory.`
  + (last ? ` Last error: ${last}` : '');

/** What the retry worker takes on when a record is due: lapsed leases, due retries, the end of the lifetime. */
export function claimDue(sync: SyncRecord, now: string, leaseId: string, timings: SyncTimings): SyncRecord {
  const expired = !sync.sealed || (sync.sealedUntil !== undefined && sync.sealedUntil <= now);
  const lapsed = (t: SyncTarget) => t.status === 'sending' && (t.leaseUntil ?? '') <= now;
  const targets = sync.targets.map((t): SyncTarget => {
    if (t.role === 'primary') {
      return lapsed(t) ? {
        ...release(t), status: 'unknown', lastResult: 'interrupted',
        lastError: 'The attempt was interrupted before the directory answered: whether it took the password is not known.',
      } : t;
    }
    if (expired && (t.status === 'retrying' || lapsed(t))) {
      return { ...release(t), status: 'attention', lastResult: 'expired', lastError: expiredError(timings, t.lastError) };
    }
    if (expired) return t;
    if (t.status === 'retrying' && (t.nextAttemptAt ?? '') <= now) return hold(t, now, leaseId, timings.leaseMs, false);
    // Its worker stopped mid-attempt: the directory may have the password already, so the next call is a retry.
    if (lapsed(t)) return hold(t, now, leaseId, timings.leaseMs, true);
    return t;
  });
  const next: SyncRecord = { ...sync, targets };
  if (expired) delete next.sealed;
  return settle(next, now);
}

/** Secondaries this lease holds now (taken by `claimDue` or by `primaryDone`). */
export function heldBy(sync: SyncRecord, leaseId: string): SyncTarget[] {
  return sync.targets.filter((t) => t.role === 'secondary' && t.status === 'sending' && t.leaseId === leaseId);
}

/** One secondary's answer; undefined when the lease was lost meanwhile (another worker owns the target now). */
export function finishTarget(
  sync: SyncRecord, instance: string, leaseId: string, outcome: TargetOutcome, now: string, timings: SyncTimings, random: () => number,
): SyncRecord | undefined {
  const t = sync.targets.find((x) => x.instance === instance && x.role === 'secondary');
  if (!t || t.status !== 'sending' || t.leaseId !== leaseId) return undefined;
  let next = outcomeOn(t, outcome, now, 'secondary');
  if (next.status === 'retrying') {
    const alive = sync.sealed !== undefined && (sync.sealedUntil ?? '') > now;
    next = alive
      ? { ...next, nextAttemptAt: at(now, backoff(t.attempts, outcome.kind === 'transient' ? outcome.retryAfterMs : undefined, timings, random)) }
      : { ...next, status: 'attention', lastResult: 'expired', lastError: expiredError(timings, next.lastError) };
  }
  return settle(withTarget(sync, instance, next), now);
}

/** "Retry now": only a target that needs attention, and only while the sealed password exists. */
export function retryNow(sync: SyncRecord, instance: string, now: string): SyncRecord | 'gone' | undefined {
  const t = sync.targets.find((x) => x.instance === instance && x.role === 'secondary');
  if (!t || t.status !== 'attention') return undefined;
  if (!sync.sealed || (sync.sealedUntil ?? '') <= now) return 'gone';
  return settle(withTarget(sync, instance, { ...t, status: 'retrying', nextAttemptAt: now }), now);
}

/** "Give up": the target will not get this password; the sealed one is wiped if nothing else needs it. */
export function giveUp(sync: SyncRecord, instance: string, now: string): SyncRecord | undefined {
  const t = sync.targets.find((x) => x.instance === instance && x.role === 'secondary');
  if (!t || t.status !== 'attention') return undefined;
  const { nextAttemptAt: _, ...rest } = t;
  return settle(withTarget(sync, instance, { ...rest, status: 'given-up', doneAt: now }), now);
}

/** Exponential backoff with jitter, never sooner than the target asked (Retry-After). */
export function backoff(attempt: number, retryAfterMs: number | undefined, timings: SyncTimings, random: () => number): number {
  const exp = Math.min(timings.retryMaxMs, timings.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(Math.round(exp / 2 + random() * (exp / 2)), retryAfterMs ?? 0);
}

/** Recomputes what is derived: the wipe, the state, when the worker is next due. */
export function settle(sync: SyncRecord, now: string): SyncRecord {
  const next: SyncRecord = { ...sync, updatedAt: now };
  if (!next.targets.some(needsPassword) || (next.sealedUntil !== undefined && next.sealedUntil <= now)) delete next.sealed;
  next.state = stateOf(next);
  const due = next.targets.flatMap((t) => (t.status === 'sending' ? [t.leaseUntil] : t.status === 'retrying' ? [t.nextAttemptAt] : []))
    .concat(next.sealed ? [next.sealedUntil] : [])
    .filter((d): d is string => d !== undefined)
    .sort()[0];
  if (due) next.dueAt = due;
  else delete next.dueAt;
  return next;
}

function stateOf(sync: SyncRecord): SyncState {
  const p = primaryOf(sync);
  if (p.status === 'failed') return 'failed';
  if (p.status === 'unknown') return 'unknown';
  const secondaries = sync.targets.filter((t) => t.role === 'secondary');
  if (secondaries.some((t) => t.status === 'attention')) return 'attention';
  if (p.status === 'sending' || secondaries.some((t) => t.status === 'sending' || t.status === 'retrying')) return 'in-progress';
  return 'done';
}

function withTarget(sync: SyncRecord, instance: string, target: SyncTarget): SyncRecord {
  return { ...sync, targets: sync.targets.map((t) => (t.instance === instance && t.role === target.role ? target : t)) };
}

function release(t: SyncTarget): SyncTarget {
  const { leaseId: _id, leaseUntil: _until, ...rest } = t;
  return rest;
}

function hold(t: SyncTarget, now: string, leaseId: string, leaseMs: number, interrupted: boolean): SyncTarget {
  const { nextAttemptAt: _, ...rest } = t;
  return {
    ...rest, status: 'sending', attempts: t.attempts + 1, lastAttemptAt: now, leaseId, leaseUntil: at(now, leaseMs),
    ...(interrupted || t.maybeApplied ? { maybeApplied: true } : {}),
  };
}

/** The target after one attempt's outcome; a transient failure of a secondary comes back as `retrying` (without a time yet). */
function outcomeOn(t: SyncTarget, outcome: TargetOutcome, now: string, role: SyncTarget['role']): SyncTarget {
  const base = release(t);
  delete base.lastError;
  switch (outcome.kind) {
    case 'applied':
      return {
        ...base, status: outcome.probable ? 'probable' : 'applied', lastResult: outcome.probable ? 'probable' : 'applied', doneAt: now,
        ...(outcome.sessions ? { sessions: outcome.sessions } : {}),
      };
    case 'policy':
      return { ...base, status: role === 'primary' ? 'failed' : 'attention', lastResult: 'policy', lastError: outcome.detail };
    case 'config':
      return { ...base, status: role === 'primary' ? 'failed' : 'attention', lastResult: outcome.notFound ? 'not-found' : 'config', lastError: outcome.detail };
    case 'transient': {
      const maybe = outcome.outcomeUnknown || t.maybeApplied === true;
      const status = role === 'secondary' ? 'retrying' : outcome.outcomeUnknown ? 'unknown' : 'failed';
      return { ...base, status, lastResult: 'transient', lastError: outcome.detail, ...(maybe ? { maybeApplied: true } : {}) };
    }
  }
}
