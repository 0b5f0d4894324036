import { PollingLoop } from '../lib/polling.js';
import type { Clock, Store } from '../domain/ports.js';
import type { Logger } from '../sync/contract.js';
import type { AuditLog } from '../services/audit.js';
import { LAPSED_AUDIT_TYPE } from './events.js';

const BATCH = 200;

/**
 * Notices links that expired unused, each once: a cursor (expiry time, then reset id) moves past
 * them by compare-and-set before they are audited, so of several instances sweeping together only
 * the one that moved it records them. The audit event becomes the `reset.expired` webhook event.
 */
export class ExpirySweep {
  private readonly loop: PollingLoop;

  constructor(private readonly deps: {
    store: Store; clock: Clock; audit: AuditLog; logger: Logger; everyMs: number;
    /** A submit may still be finishing a link this long after it expired (its claim): wait that out. */
    graceMs: number;
  }) {
    this.loop = new PollingLoop(async () => {
      await this.sweep();
    }, { pollMs: deps.everyMs, logger: deps.logger, failure: 'expired-link sweep failed; will try again' });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass: every link expired up to now (less the grace) and not yet noticed; returns how many. */
  async sweep(): Promise<number> {
    return (await this.pass()).noticed;
  }

  /**
   * Runs a pass and says up to when every link that lapsed has been noticed: the pass's end, or
   * undefined when another instance moved the cursor first and may still be noticing some.
   */
  async noticedUntil(): Promise<string | undefined> {
    const { complete, until } = await this.pass();
    return complete ? until : undefined;
  }

  private async pass(): Promise<{ noticed: number; until: string; complete: boolean }> {
    const { store, clock, audit, graceMs } = this.deps;
    const until = new Date(clock.now().getTime() - graceMs).toISOString();
    let noticed = 0;
    for (;;) {
      const from = await store.getExpiryCursor();
      const lapsed = await store.listLapsedResets(from, until, BATCH);
      const last = lapsed[lapsed.length - 1];
      if (!last) return { noticed, until, complete: true };
      if (!(await store.moveExpiryCursor(from, { expiresAt: last.expiresAt, resetId: last.id }))) return { noticed, until, complete: false };
      for (const r of lapsed) {
        await audit.record({
          type: LAPSED_AUDIT_TYPE, outcome: 'info', actor: 'system', partnerId: r.partnerId, target: `account:${r.accountId}`,
          detail: { resetId: r.id, customerId: r.customerId, flow: r.flow, expiredAt: r.expiresAt },
        });
      }
      noticed += lapsed.length;
      if (lapsed.length < BATCH) return { noticed, until, complete: true };
    }
  }
}
