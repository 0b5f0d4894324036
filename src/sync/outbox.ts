import { randomUUID } from 'node:crypto';
import { PolledWorker } from '../lib/polling.js';
import type { Account, SyncRecord, SyncTarget } from '../domain/types.js';
import type { Clock, DirectorySync, Store, TargetOutcome } from '../domain/ports.js';
import type { SecretBox } from '../domain/secretbox.js';
import type { Logger } from './contract.js';
import { claimDue, finishTarget, heldBy, type SyncTimings } from './outbox-state.js';

/** What happened to a sync, for the audit log: ids, instances and outcomes, never the password. */
export type SyncEvent =
  | { type: 'attempt'; sync: SyncRecord; target: SyncTarget; outcome: TargetOutcome; isRetry: boolean }
  | { type: 'needs-attention'; sync: SyncRecord; target: SyncTarget }
  | { type: 'interrupted'; sync: SyncRecord; target: SyncTarget }
  | { type: 'wiped'; sync: SyncRecord };

/** The events between two versions of a record: targets that came to need attention, an interrupted primary, the wipe. */
export function eventsBetween(before: SyncRecord, after: SyncRecord): SyncEvent[] {
  const events: SyncEvent[] = [];
  for (const t of after.targets) {
    const was = before.targets.find((b) => b.instance === t.instance && b.role === t.role);
    if (was?.status === t.status) continue;
    if (t.status === 'attention') events.push({ type: 'needs-attention', sync: after, target: t });
    if (t.role === 'primary' && t.status === 'unknown' && t.lastResult === 'interrupted') events.push({ type: 'interrupted', sync: after, target: t });
  }
  if (before.sealed && !after.sealed) events.push({ type: 'wiped', sync: after });
  return events;
}

export interface SyncOutboxDeps {
  store: Store;
  clock: Clock;
  box: SecretBox;
  directory: DirectorySync;
  logger: Logger;
  timings: SyncTimings;
  /** One attempt at one secondary, resolve and set, must finish within this, ms. */
  attemptDeadlineMs: number;
  pollMs: number;
  /** Settled records older than this are deleted (checked hourly), ms. */
  keepMs: number;
  random?: () => number;
  /** Records what happened (the audit log); a failure here is logged, never fatal to delivery. */
  onEvent?: (event: SyncEvent) => Promise<unknown>;
}

/**
 * The retry outbox for secondary directories: new passwords wait sealed in the store, and this
 * worker retries them with backoff until every target took its password or the lifetime ran out.
 * It also delivers the request's own first attempt (`deliver`), so both paths record alike.
 */
export class SyncOutbox extends PolledWorker {
  private prunedAt = 0;

  constructor(private readonly deps: SyncOutboxDeps) {
    super({ pollMs: deps.pollMs, logger: deps.logger, failure: 'password sync pass failed; will try again' });
  }

  /** Writes the password to the secondaries `leaseId` holds, in parallel, and records each answer. */
  async deliver(sync: SyncRecord, leaseId: string, account: Account | undefined, password: string | undefined): Promise<SyncRecord> {
    const { directory, timings, attemptDeadlineMs } = this.deps;
    await Promise.all(heldBy(sync, leaseId).map(async (target) => {
      const isRetry = target.maybeApplied === true;
      try {
        const outcome: TargetOutcome = !account
          ? { kind: 'config', notFound: true, detail: 'The account no longer exists here, so its password cannot be delivered.' }
          : password === undefined
            ? { kind: 'config', notFound: false, detail: 'The sealed password could not be opened (the data key changed); the user must reset again.' }
            : await directory.write(target, account, password, {
              attemptId: sync.id, isRetry, deadlineMs: attemptDeadlineMs, maxAttempts: 1, revokeSessions: sync.revokeSessions,
            });
        const now = this.now();
        const random = this.deps.random ?? Math.random;
        const { before, after } = await this.update(sync, (s) => finishTarget(s, target.instance, leaseId, outcome, now, timings, random));
        if (!after) return;
        const done = after.targets.find((t) => t.instance === target.instance && t.role === 'secondary')!;
        await this.emit([{ type: 'attempt', sync: after, target: done, outcome, isRetry }, ...eventsBetween(before ?? sync, after)]);
      } catch (e) {
        // The lease lapses and the next pass retries it as a possible repeat.
        this.deps.logger.warn({ syncId: sync.id, directory: target.instance, error: (e as Error).message }, 'password sync attempt did not finish; will retry');
      }
    }));
    return (await this.deps.store.getSync(sync.partnerId, sync.id)) ?? sync;
  }

  protected async drain(): Promise<void> {
    const { store, timings } = this.deps;
    await this.prune();
    for (;;) {
      const leaseId = randomUUID();
      const now = this.now();
      const before = new Map<string, SyncRecord>();
      const batch = await store.claimDueSyncs(now, 10, (s) => {
        before.set(s.id, s);
        return claimDue(s, now, leaseId, timings);
      });
      if (!batch.length) return;
      await Promise.all(batch.map(async (claimed) => {
        await this.emit(eventsBetween(before.get(claimed.id) ?? claimed, claimed));
        if (!heldBy(claimed, leaseId).length) return;
        const account = await store.getAccount(claimed.partnerId, claimed.accountId);
        await this.deliver(claimed, leaseId, account, this.open(claimed));
      }));
    }
  }

  private async prune(): Promise<void> {
    const now = this.deps.clock.now().getTime();
    if (now - this.prunedAt < 3_600_000) return;
    this.prunedAt = now;
    const removed = await this.deps.store.deleteSettledSyncs(new Date(now - this.deps.keepMs).toISOString());
    if (removed) this.deps.logger.info({ removed }, 'old finished password syncs deleted');
  }

  private open(sync: SyncRecord): string | undefined {
    try {
      return sync.sealed ? this.deps.box.open(sync.sealed) : undefined;
    } catch {
      return undefined;
    }
  }

  private async update(sync: SyncRecord, change: (s: SyncRecord) => SyncRecord | undefined) {
    const seen: { before?: SyncRecord; changed: boolean } = { changed: false };
    const after = await this.deps.store.updateSync(sync.partnerId, sync.id, (s) => {
      seen.before = s;
      const next = change(structuredClone(s));
      seen.changed = next !== undefined;
      return next;
    });
    return { before: seen.before, after: seen.changed ? after : undefined };
  }

  private async emit(events: SyncEvent[]): Promise<void> {
    for (const event of events) {
      try {
        await this.deps.onEvent?.(event);
      } catch (e) {
        this.deps.logger.warn({ syncId: event.sync.id, event: event.type, error: (e as Error).message }, 'password sync event was not recorded');
      }
    }
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
