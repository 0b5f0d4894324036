import type { Clock, Store } from '../domain/ports.js';
import { PollingLoop } from '../lib/polling.js';
import type { Logger } from '../sync/contract.js';

/**
 * Forgets reset links `keepMs` after they expired, so the store does not grow with every reset
 * ever issued (the embedded store holds its resets in memory). The audit trail keeps their story.
 * A link that lapsed unused is forgotten only once the expired-link sweep has noticed it (its
 * `reset.lapsed` event, the webhooks' `reset.expired`): each pass runs the sweep first, and
 * forgets nothing at or past its cursor, which another instance may still be working through.
 */
export class ResetRetention {
  private readonly loop: PollingLoop;

  constructor(private readonly deps: {
    store: Store; clock: Clock; logger: Logger; keepMs: number; everyMs: number;
    /** The expired-link sweep's pass. */
    noticeLapsed?: () => Promise<unknown>;
  }) {
    this.loop = new PollingLoop(async () => {
      await this.run();
    }, { pollMs: deps.everyMs, logger: deps.logger, failure: 'forgetting old reset links failed; will try again' });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass; returns how many resets were forgotten. */
  async run(): Promise<number> {
    const { store, clock, keepMs, logger } = this.deps;
    await this.deps.noticeLapsed?.();
    const cutoff = new Date(clock.now().getTime() - keepMs).toISOString();
    const swept = (await store.getExpiryCursor())?.expiresAt;
    const before = swept !== undefined && swept < cutoff ? swept : cutoff;
    const removed = await store.deleteExpiredResets(before);
    if (removed) logger.info({ removed, expiredBefore: before }, 'old reset links forgotten');
    return removed;
  }
}
