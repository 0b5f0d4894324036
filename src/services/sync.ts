// One new password on its way to every directory of a customer's binding: the primary while the user
// waits, then the secondaries in parallel, handing what fails for now to the retry outbox.
import { createHash, hkdfSync, randomUUID } from 'node:crypto';
import { mergePolicy, type PolicySettings } from '../domain/policy.js';
import type { Clock, DirectorySync, RequestContext, Store, TargetOutcome } from '../domain/ports.js';
import { createSecretBox, type SecretBox } from '../domain/secretbox.js';
import type { Account, AdminUser, Customer, PendingAttempt, ResetRecord, SyncRecord } from '../domain/types.js';
import type { SyncEvent, SyncOutbox } from '../sync/outbox.js';
import { newSync, primaryDone, primaryOf, restartPrimary, targetsOf, type SyncTimings } from '../sync/outbox-state.js';
import type { AuditLog } from './audit.js';
import { describeSync, type SyncView } from './sync-words.js';

export interface SyncSettings extends SyncTimings {
  /** The primary, retries included, must answer within this: the user waits on the page, ms. */
  primaryDeadlineMs: number;
  /** Each secondary gets one try within this while the user waits; the retry outbox takes over after, ms. */
  secondaryDeadlineMs: number;
}

/** The settings from the configuration's `sync` section; leases outlast every deadline. */
export function syncSettings(sync: {
  primaryDeadlineMs: number; secondaryDeadlineMs: number; retryLifetimeSeconds: number; retryBaseMs: number; retryMaxMs: number;
}, claimSeconds: number): SyncSettings {
  return {
    primaryDeadlineMs: sync.primaryDeadlineMs,
    secondaryDeadlineMs: sync.secondaryDeadlineMs,
    lifetimeMs: sync.retryLifetimeSeconds * 1000,
    leaseMs: Math.max(claimSeconds * 1000, 2 * Math.max(sync.primaryDeadlineMs, sync.secondaryDeadlineMs)),
    retryBaseMs: sync.retryBaseMs,
    retryMaxMs: sync.retryMaxMs,
  };
}

/**
 * Seals passwords waiting in the retry outbox: AES-256-GCM under a key derived from the data key
 * for this use alone. The key id names the key, so after a change of data key an old sealed
 * password is recognised as unreadable rather than mistaken.
 */
export function syncSecretBox(dataKey: Buffer): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'resetbridge sync outbox', 32));
  const id = `s${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  return createSecretBox({ [id]: key }, id);
}

export interface SyncDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  directory: DirectorySync;
  box: SecretBox;
  outbox: Pick<SyncOutbox, 'deliver' | 'kick'>;
  settings: SyncSettings;
  /** Stops the process at a named step; only for the crash tests (see sync-faults.ts). */
  fault?: (step: string) => void;
}

export type PrimaryResult =
  | { kind: 'applied'; sync: SyncRecord; leaseId: string }
  | Exclude<TargetOutcome, { kind: 'applied' }>;

export class SyncService {
  constructor(private readonly deps: SyncDeps) {}

  /** Local rules merged with what every bound directory declares: the strictest wins. */
  async policyFor(customer: Customer, local: PolicySettings): Promise<PolicySettings> {
    if (!customer.directory) return local;
    return mergePolicy(local, await this.deps.directory.policyHints(targetsOf(customer.directory)));
  }

  /**
   * Writes the password to the primary for the submit holding `attempt`. The same attempt again
   * (after a crash or an unknown outcome) carries on its record, and skips a primary that took it.
   */
  async writePrimary(args: {
    attempt: PendingAttempt; reset: ResetRecord; customer: Customer; account: Account; password: string; ctx: RequestContext;
  }): Promise<PrimaryResult> {
    const { store, clock, settings } = this.deps;
    const { attempt, reset, customer, account, password } = args;
    const binding = customer.directory;
    if (!binding) return { kind: 'config', notFound: false, detail: 'The company is not bound to a directory.' };
    const leaseId = randomUUID();
    const now = clock.now().toISOString();
    const fresh = newSync({
      id: attempt.id, partnerId: reset.partnerId, customerId: reset.customerId, accountId: reset.accountId, resetId: reset.id,
      binding, now, leaseId, leaseMs: settings.leaseMs,
    });
    let sync = await store.createSync(fresh);
    const isRetry = primaryOf(sync).leaseId !== leaseId;
    if (isRetry) {
      // The primary took this very password before the process stopped: only the link is left to
      // consume. The secondaries stay with the retry outbox, which takes them once their lease lapses.
      const p = primaryOf(sync);
      if (p.status === 'applied' || p.status === 'probable') return { kind: 'applied', sync, leaseId };
      sync = (await store.updateSync(sync.partnerId, sync.id, (s) => restartPrimary(s, now, leaseId, settings.leaseMs))) ?? sync;
    }
    // The record's primary, not the binding's: a binding changed since the first try must not redirect a retry.
    const { instance, mapping } = primaryOf(sync);
    const outcome = await this.deps.directory.write({ instance, mapping }, account, password, {
      attemptId: attempt.id, isRetry, deadlineMs: settings.primaryDeadlineMs, revokeSessions: binding.revokeSessions === true,
    });
    const hasSecondaries = sync.targets.some((t) => t.role === 'secondary');
    const sealed = outcome.kind === 'applied' && hasSecondaries ? this.deps.box.seal(password) : undefined;
    const after = await store.updateSync(sync.partnerId, sync.id,
      (s) => primaryDone(s, leaseId, outcome, clock.now().toISOString(), sealed, settings));
    await this.record({ type: 'attempt', sync: after ?? sync, target: primaryOf(after ?? sync), outcome, isRetry }, args.ctx);
    this.deps.fault?.('after-primary');
    if (outcome.kind !== 'applied') return outcome;
    return { kind: 'applied', sync: after ?? sync, leaseId };
  }

  /**
   * The request's own try at every secondary, in parallel, once the link is consumed. Says whether
   * the password already works everywhere, or which part the retry outbox or an admin still owes.
   */
  async fanOut(sync: SyncRecord, leaseId: string, account: Account, password: string): Promise<'everywhere' | 'pending' | 'incomplete'> {
    const after = await this.deps.outbox.deliver(sync, leaseId, account, password);
    const secondaries = after.targets.filter((t) => t.role === 'secondary');
    if (secondaries.some((t) => t.status === 'retrying' || t.status === 'sending')) {
      this.deps.outbox.kick();
      return 'pending';
    }
    return secondaries.some((t) => t.status === 'attention') ? 'incomplete' : 'everywhere';
  }

  /** The account's latest sync, as its partner's admin sees it. */
  async lastForAccount(admin: AdminUser, accountId: string): Promise<SyncView | undefined> {
    const [last] = await this.deps.store.listSyncs({ partnerId: admin.partnerId, accountId, limit: 1 });
    return last && describeSync(last, this.deps.clock.now().toISOString());
  }

  /** Audit events for what the outbox reports: ids, directories and outcomes, never the password. */
  record(event: SyncEvent, ctx?: RequestContext) {
    return this.deps.audit.record(auditOf(event), ctx);
  }
}

export function auditOf(event: SyncEvent) {
  const { sync } = event;
  const base = {
    actor: 'system', partnerId: sync.partnerId, target: `account:${sync.accountId}`,
  } as const;
  const ids = { syncId: sync.id, resetId: sync.resetId };
  switch (event.type) {
    case 'attempt': {
      const { target, outcome } = event;
      const result = outcome.kind === 'applied' ? (outcome.probable ? 'probable' : 'applied') : outcome.kind;
      return {
        ...base, type: 'sync.attempt', outcome: outcome.kind === 'applied' ? 'success' as const : 'failure' as const,
        detail: {
          ...ids, instance: target.instance, role: target.role, attempt: target.attempts, isRetry: event.isRetry, result,
          status: target.status,
          ...(outcome.kind === 'applied' && outcome.sessions ? { sessions: outcome.sessions } : {}),
          ...(outcome.kind === 'transient' ? { outcomeUnknown: outcome.outcomeUnknown } : {}),
          ...(outcome.kind !== 'applied' ? { error: outcome.detail, ...(outcome.diagnostic ? { diagnostic: outcome.diagnostic } : {}) } : {}),
        },
      };
    }
    case 'needs-attention':
      return {
        ...base, type: 'sync.needs-attention', outcome: 'failure' as const,
        detail: { ...ids, instance: event.target.instance, role: event.target.role, reason: event.target.lastResult ?? 'unknown' },
      };
    case 'interrupted':
      return { ...base, type: 'sync.interrupted', outcome: 'failure' as const, detail: { ...ids, instance: event.target.instance } };
    case 'wiped':
      return { ...base, type: 'sync.secret-wiped', outcome: 'info' as const, detail: { ...ids, state: sync.state } };
  }
}
