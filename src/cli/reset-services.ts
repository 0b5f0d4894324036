import path from 'node:path';
import type { Config } from '../config/schema.js';
import { commonPasswords } from '../domain/blocklist.js';
import type { RateLimiter, Store } from '../domain/ports.js';
import { createMailTransport } from '../mail/transport.js';
import { createRateLimiter } from '../ratelimit/index.js';
import { resolveSecrets } from '../secrets.js';
import { AdminService } from '../services/admin.js';
import { AuditLog } from '../services/audit.js';
import { ResetService } from '../services/reset.js';
import type { SyncService } from '../services/sync.js';
import { createViews } from '../views.js';
import { WebhookPublisher } from '../webhooks/publisher.js';
import { buildMailOutbox, resetSettings } from '../compose.js';
import { silent } from './common.js';

/**
 * Issuing a link never writes to a directory, so the bulk reset opens none; anything that reaches
 * for the sync service here is a mistake worth a loud error.
 */
const noSync = new Proxy({}, {
  get(_target, name) {
    throw new Error(`the command line cannot ${String(name)}: it issues links only`);
  },
}) as SyncService;

/**
 * The operator's own per-admin budget would stop a company-wide reset after a few dozen links; the
 * command throttles itself (--rate) instead. The per-account limit still holds.
 */
function operatorLimiter(config: Config): RateLimiter {
  const limiter = createRateLimiter(config.rateLimits);
  return { consume: (bucket, key) => (bucket === 'adminIssuePerAdmin' ? Promise.resolve({ allowed: true }) : limiter.consume(bucket, key)) };
}

/** The reset use case as the server builds it, with mail going to the store's outbox. */
export function resetServices(config: Config, store: Store) {
  const clock = { now: () => new Date() };
  const secrets = resolveSecrets(config, silent);
  const audit = new AuditLog(store, clock);
  const transport = createMailTransport(config.mail.transport, {
    from: config.mail.from, dataDir: path.resolve(config.dataDir), logger: silent, dkim: config.mail.dkim,
  });
  // Deliveries are only queued here: the server's worker sends them (at once on PostgreSQL, at its
  // next start on the embedded store, which the server must not have open meanwhile).
  const webhooks = new WebhookPublisher({ store, clock, logger: silent, retryMs: config.webhooks.retryHours * 3_600_000, kick: () => {} });
  audit.onEvent(webhooks.onAudit);
  const outbox = buildMailOutbox({ config, store, clock, audit, logger: silent, secrets, views: createViews({ cache: true }), transport });
  const reset = new ResetService({
    store, clock, audit, admin: new AdminService(store), notifier: outbox, sync: noSync,
    blocklist: commonPasswords(), limiter: operatorLimiter(config),
    // Derived exactly as the server derives them: the server redeems what this command issues.
    settings: resetSettings(config, secrets),
  });
  return { reset, outbox, transport, webhooks };
}
