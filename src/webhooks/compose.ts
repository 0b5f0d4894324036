import type { Config } from '../config/schema.js';
import type { Clock, Store } from '../domain/ports.js';
import type { AuditLog } from '../services/audit.js';
import { WebhookService, webhookSecretBox } from '../services/webhooks.js';
import type { Logger } from '../sync/contract.js';
import { ExpirySweep } from './expiry-sweep.js';
import { WebhookOutbox, type DeliveryOutcome } from './outbox.js';
import { WebhookPublisher } from './publisher.js';

export interface Webhooks {
  service: WebhookService;
  outbox: WebhookOutbox;
  publisher: WebhookPublisher;
  sweep: ExpirySweep;
  start(): void;
  /** Queues what the last audit events asked for, then waits for deliveries in flight. */
  stop(): Promise<void>;
}

/**
 * Webhooks as the server and the operator commands build them: subscriptions, the publisher that
 * listens to the audit log, the delivery worker and the sweep for links that expired unused.
 */
export function buildWebhooks(deps: {
  config: Config; store: Store; clock: Clock; audit: AuditLog; logger: Logger; dataKey: Buffer;
  onOutcome?: (outcome: DeliveryOutcome) => void;
}): Webhooks {
  const { config, store, clock, logger } = deps;
  const w = config.webhooks;
  const box = webhookSecretBox(deps.dataKey);
  const outbox = new WebhookOutbox({
    store, clock, box, logger, pollMs: w.pollMs, keepMs: w.keepDays * 86_400_000,
    timings: { timeoutMs: w.timeoutMs, maxAttempts: w.maxAttempts, retryBaseMs: w.retryBaseMs, retryMaxMs: w.retryMaxMs },
    ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
  });
  const publisher = new WebhookPublisher({ store, clock, logger, retryMs: w.retryHours * 3_600_000, kick: () => outbox.kick() });
  deps.audit.onEvent(publisher.onAudit);
  const sweep = new ExpirySweep({
    store, clock, audit: deps.audit, logger, everyMs: w.expirySweepSeconds * 1000, graceMs: config.reset.claimSeconds * 1000,
  });
  const service = new WebhookService({ store, audit: deps.audit, clock, box, publisher, env: config.env });
  return {
    service, outbox, publisher, sweep,
    start() {
      outbox.start();
      sweep.start();
    },
    async stop() {
      await sweep.stop();
      await publisher.settle();
      await outbox.stop();
    },
  };
}
