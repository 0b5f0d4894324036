import { describe, expect, it } from 'vitest';
import type { TargetOutcome } from '../../src/domain/ports.js';
import type { DirectoryBinding, SyncRecord } from '../../src/domain/types.js';
import {
  backoff, claimDue, finishTarget, giveUp, heldBy, newSync, primaryDone, restartPrimary, retryNow, targetsOf,
} from '../../src/sync/outbox-state.js';
import type { SyncTimings } from '../../src/sync/outbox-state.js';

const t0 = Date.UTC(2030, 0, 1);
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
const timings: SyncTimings = { lifetimeMs: 900_000, leaseMs: 60_000, retryBaseMs: 5_000, retryMaxMs: 120_000 };
const binding: DirectoryBinding = {
  instance: 'corp-ldap', mapping: 'login',
  secondaries: [{ instance: 'hr-scim', mapping: 'email' }, { instance: 'crm-scim', mapping: '{login}@crm.example' }],
};

const applied: TargetOutcome = { kind: 'applied', probable: false };
const down: TargetOutcome = { kind: 'transient', outcomeUnknown: false, detail: 'The SCIM server cannot be reached.' };
const refused: TargetOutcome = { kind: 'policy', message: 'Too short.', detail: "Refused by the directory's password rules: Too short." };
const random = () => 0.5;

function started(b: DirectoryBinding = binding): SyncRecord {
  return newSync({ id: 'sync-1', partnerId: 'p', customerId: 'c', accountId: 'a', resetId: 'r', binding: b, now: at(0), leaseId: 'req', leaseMs: 60_000 });
}

/** Primary took it at 1 s: the secondaries are held by the request's lease. */
const afterPrimary = (b?: DirectoryBinding) => primaryDone(started(b), 'req', applied, at(1), 'SEALED', timings)!;

const target = (s: SyncRecord, instance: string) => s.targets.find((t) => t.instance === instance)!;

describe('a sync record from the binding', () => {
  it('lists the primary first and drops a secondary that repeats a directory', () => {
    expect(targetsOf({ ...binding, secondaries: [...binding.secondaries!, { instance: 'corp-ldap', mapping: 'email' }, { instance: 'hr-scim', mapping: 'login' }] })
      .map((t) => t.instance)).toEqual(['corp-ldap', 'hr-scim', 'crm-scim']);
  });

  it('starts with the primary held by the submit and the secondaries waiting, nothing sealed', () => {
    const s = started();
    expect(s.targets.map((t) => [t.instance, t.status])).toEqual([['corp-ldap', 'sending'], ['hr-scim', 'waiting'], ['crm-scim', 'waiting']]);
    expect(s.sealed).toBeUndefined();
    expect(s).toMatchObject({ state: 'in-progress', dueAt: at(60) });
  });
});

describe('the primary answer', () => {
  it('seals the password for the lifetime and hands the secondaries to the same lease', () => {
    const s = afterPrimary();
    expect(target(s, 'corp-ldap').status).toBe('applied');
    expect(heldBy(s, 'req').map((t) => t.instance)).toEqual(['hr-scim', 'crm-scim']);
    expect(s).toMatchObject({ sealed: 'SEALED', sealedUntil: at(901), state: 'in-progress' });
  });

  it('keeps nothing sealed when there is no secondary', () => {
    const s = afterPrimary({ instance: 'corp-ldap', mapping: 'login' });
    expect(s.sealed).toBeUndefined();
    expect(s).toMatchObject({ state: 'done' });
    expect(s.dueAt).toBeUndefined();
  });

  it('skips the secondaries after a definite refusal, and keeps them waiting while the outcome is unknown', () => {
    const failed = primaryDone(started(), 'req', refused, at(1), undefined, timings)!;
    expect(failed.targets.map((t) => t.status)).toEqual(['failed', 'skipped', 'skipped']);
    expect(failed.state).toBe('failed');
    const unsure = primaryDone(started(), 'req', { ...down, outcomeUnknown: true }, at(1), undefined, timings)!;
    expect(unsure.targets.map((t) => t.status)).toEqual(['unknown', 'waiting', 'waiting']);
    expect(unsure.state).toBe('unknown');
    const again = restartPrimary(unsure, at(70), 'req-2', 60_000)!;
    expect(target(again, 'corp-ldap')).toMatchObject({ status: 'sending', attempts: 2, leaseId: 'req-2', maybeApplied: true });
  });

  it('ignores an answer from a submit that no longer holds the primary', () => {
    expect(primaryDone(started(), 'someone-else', applied, at(1), 'SEALED', timings)).toBeUndefined();
  });
});

describe('secondary answers', () => {
  it('wipes the sealed password the moment every secondary took it', () => {
    let s = finishTarget(afterPrimary(), 'hr-scim', 'req', applied, at(2), timings, random)!;
    expect(s.sealed).toBe('SEALED');
    s = finishTarget(s, 'crm-scim', 'req', { kind: 'applied', probable: true }, at(3), timings, random)!;
    expect(s.sealed).toBeUndefined();
    expect(s.targets.map((t) => t.status)).toEqual(['applied', 'applied', 'probable']);
    expect(s.state).toBe('done');
    expect(s.dueAt).toBeUndefined();
  });

  it('queues a transient failure with backoff, and a policy refusal for an admin at once, keeping the password for a retry', () => {
    let s = finishTarget(afterPrimary(), 'hr-scim', 'req', down, at(2), timings, random)!;
    expect(target(s, 'hr-scim')).toMatchObject({ status: 'retrying', nextAttemptAt: at(2 + 3.75), lastError: 'The SCIM server cannot be reached.' });
    expect(target(s, 'hr-scim').leaseId).toBeUndefined();
    s = finishTarget(s, 'crm-scim', 'req', refused, at(2), timings, random)!;
    expect(target(s, 'crm-scim')).toMatchObject({ status: 'attention', lastResult: 'policy' });
    expect(s).toMatchObject({ state: 'attention', sealed: 'SEALED', dueAt: at(5.75) });
  });

  it('refuses the answer of a worker whose lease was taken over', () => {
    expect(finishTarget(afterPrimary(), 'hr-scim', 'another-lease', applied, at(2), timings, random)).toBeUndefined();
  });

  it('waits at least as long as the directory asked', () => {
    const s = finishTarget(afterPrimary(), 'hr-scim', 'req', { ...down, retryAfterMs: 30_000 }, at(2), timings, random)!;
    expect(target(s, 'hr-scim').nextAttemptAt).toBe(at(32));
  });
});

describe('the retry worker', () => {
  const queued = () => finishTarget(finishTarget(afterPrimary(), 'hr-scim', 'req', down, at(2), timings, random)!, 'crm-scim', 'req', applied, at(2), timings, random)!;

  it('takes a due retry under its own lease, counting the attempt, and leaves it before its time', () => {
    expect(heldBy(claimDue(queued(), at(4), 'w1', timings), 'w1')).toEqual([]);
    const s = claimDue(queued(), at(6), 'w1', timings);
    expect(heldBy(s, 'w1').map((t) => t.instance)).toEqual(['hr-scim']);
    expect(target(s, 'hr-scim')).toMatchObject({ status: 'sending', attempts: 2, leaseUntil: at(66) });
    expect(target(s, 'hr-scim').maybeApplied).toBeUndefined();
  });

  it('treats a target whose worker stopped mid-attempt as possibly written: the next call is a retry', () => {
    const held = claimDue(queued(), at(6), 'w1', timings);
    const s = claimDue(held, at(66), 'w2', timings);
    expect(target(s, 'hr-scim')).toMatchObject({ status: 'sending', attempts: 3, leaseId: 'w2', maybeApplied: true });
  });

  it('marks a primary whose submit never came back as interrupted, outcome unknown', () => {
    const s = claimDue(started(), at(60), 'w1', timings);
    expect(target(s, 'corp-ldap')).toMatchObject({ status: 'unknown', lastResult: 'interrupted' });
    expect(s.state).toBe('unknown');
  });

  it('at the end of the lifetime wipes the password and hands every open secondary to an admin', () => {
    const s = claimDue(queued(), at(901), 'w1', timings);
    expect(s.sealed).toBeUndefined();
    expect(target(s, 'hr-scim')).toMatchObject({ status: 'attention', lastResult: 'expired' });
    expect(target(s, 'hr-scim').lastError).toContain('Not delivered within 15 minutes');
    expect(target(s, 'hr-scim').lastError).toContain('The SCIM server cannot be reached.');
    expect(s).toMatchObject({ state: 'attention' });
    expect(s.dueAt).toBeUndefined();
  });

  it('hands a transient failure to an admin when the lifetime ran out during the attempt', () => {
    const held = claimDue(queued(), at(890), 'w1', timings);
    const s = finishTarget(held, 'hr-scim', 'w1', down, at(905), timings, random)!;
    expect(target(s, 'hr-scim')).toMatchObject({ status: 'attention', lastResult: 'expired' });
    // The admin reads the same words as when the lifetime ran out between two attempts.
    expect(target(s, 'hr-scim').lastError).toMatch(/^Not delivered within 15 minutes, so the new password was wiped; .* Last error: /);
  });
});

describe("the IdP admin's actions", () => {
  const attention = () => finishTarget(finishTarget(afterPrimary(), 'hr-scim', 'req', refused, at(2), timings, random)!, 'crm-scim', 'req', applied, at(2), timings, random)!;

  it('retries now only while the password is kept', () => {
    const s = retryNow(attention(), 'hr-scim', at(100));
    expect(s).toMatchObject({ dueAt: at(100), state: 'in-progress' });
    expect(target(s as SyncRecord, 'hr-scim')).toMatchObject({ status: 'retrying', nextAttemptAt: at(100) });
    const expired = claimDue(attention(), at(901), 'w1', timings);
    expect(retryNow(expired, 'hr-scim', at(902))).toBe('gone');
    expect(retryNow(attention(), 'crm-scim', at(100))).toBeUndefined();
  });

  it('wipes the password when the last open target is given up', () => {
    const s = giveUp(attention(), 'hr-scim', at(100))!;
    expect(target(s, 'hr-scim').status).toBe('given-up');
    expect(s.sealed).toBeUndefined();
    expect(s.state).toBe('done');
  });
});

describe('backoff', () => {
  it('doubles from the base with jitter between half and whole, capped, never below Retry-After', () => {
    expect(backoff(1, undefined, timings, () => 0)).toBe(2_500);
    expect(backoff(3, undefined, timings, () => 1)).toBe(20_000);
    expect(backoff(12, undefined, timings, () => 1)).toBe(120_000);
    expect(backoff(1, 45_000, timings, () => 1)).toBe(45_000);
  });
});

describe('the crash point for the crash tests', () => {
  it('is off without the variable, and stops a production start-up when the variable is set', async () => {
    const { crashPoint } = await import('../../src/services/sync-faults.js');
    expect(crashPoint(false, undefined)).toBeUndefined();
    expect(crashPoint(true, '')).toBeUndefined();
    expect(() => crashPoint(true, 'after-primary')).toThrow(/refused in production/);
    expect(typeof crashPoint(false, 'after-primary')).toBe('function');
  });
});
