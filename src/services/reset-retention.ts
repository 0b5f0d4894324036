import type { Clock, Store } from '../domain/ports.js';
import { PolledWorker } from '../lib/polling.js';
import type { Logger } from '../sync/contract.js';

/**
 * Forgets reset links `keepMs` after they expired, so the store does not grow with every reset
 * ever issued (the embedded store holds its resets in memory). The audit trail keeps their story.
 * A link that lapsed unused must first be noticed by the expired-link sweep (its `reset.lapsed`
 * event, the webhooks' `reset.expired`): each pass runs the sweep first and forgets nothing when
 * the sweep could not finish (another instance was sweeping), trying again at the next pass.
 */
export class ResetRetention extends PolledWorker {
  constructor(private readonly deps: {
    store: Store; clock: Clock; logger: Logger; keepMs: number; everyMs: number;
    /** The expired-link sweep: up to when every lapsed link has been noticed, or undefined if it could not finish. */
    noticeLapsed: () => Promise<string | undefined>;
  }) {
    super({ pollMs: deps.everyMs, logger: deps.logger, failure: 'forgetting old reset links failed; will try again' });
  }

  protected async drain(): Promise<void> {
    await this.run();
  }

  /** One pass; returns how many resets were forgotten. */
  async run(): Promise<number> {
    const { store, clock, keepMs, logger } = this.deps;
    const noticed = await this.deps.noticeLapsed();
    if (noticed === undefined) return 0;
    const cutoff = new Date(clock.now().getTime() - keepMs).toISOString();
    const before = cutoff < noticed ? cutoff : noticed;
    const removed = await store.deleteExpiredResets(before);
    if (removed) logger.info({ removed, expiredBefore: before }, 'old reset links forgotten');
    return removed;
  }
}
