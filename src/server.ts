import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { createApp } from './app.js';
import { buildConnections, warmUp } from './auth/connections.js';
import { ConnectionRegistry } from './auth/connection-registry.js';
import { connectionProbe } from './auth/connection-probe.js';
import { connectionSecretBox } from './auth/connection-secrets.js';
import { ConnectionAdminService } from './services/connections.js';
import { PortSessionStore } from './auth/session-store.js';
import type { Config } from './config/schema.js';
import type { TenantImporter } from './demo/index.js';
import { demoDirectoryInstance } from './demo/directory.js';
import { commonPasswords } from './domain/blocklist.js';
import type { Clock, MailTransport, Store } from './domain/ports.js';
import { createMailTransport } from './mail/transport.js';
import { resolveSecrets } from './secrets.js';
import { AdminService } from './services/admin.js';
import { AuditLog } from './services/audit.js';
import { ResetService } from './services/reset.js';
import { SignInService } from './services/signin.js';
import { SelfServiceService } from './services/self-service.js';
import { ResetRetention } from './services/reset-retention.js';
import { createApiServices } from './services/api-services.js';
import { LowdbStore } from './store/lowdb/index.js';
import { PostgresStore } from './store/postgres/index.js';
import type { Logger } from './sync/contract.js';
import { SyncDispatcher } from './sync/dispatcher.js';
import { createDirectoryCatalog } from './sync/catalog.js';
import { DirectoryAdminService } from './services/directories.js';
import { SyncService, auditOf, syncSecretBox, syncSettings } from './services/sync.js';
import { SyncAdminService } from './services/sync-admin.js';
import { crashPoint } from './services/sync-faults.js';
import { SyncOutbox } from './sync/outbox.js';
import { loadDirectories, type DirectoryRegistry } from './sync/registry.js';
import { createViews } from './views.js';
import { brandingService, buildMailOutbox, resetSettings } from './compose.js';
import { MailMessages } from './mail/messages.js';
import { MailPreviews } from './mail/previews.js';
import type { LoggerOptions, Logger as PinoLogger } from 'pino';
import { createMetrics } from './observability/metrics.js';
import { buildWebhooks } from './webhooks/compose.js';
import { httpLog } from './observability/http-log.js';
import { readinessChecks } from './observability/readiness.js';
import { createRateLimiter } from './ratelimit/index.js';
import { pwnedPasswords } from './policy/pwned.js';

export const pluginsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'plugins');

export interface Running {
  url: string;
  server: Server;
  store: Store & TenantImporter;
  directories: DirectoryRegistry;
  /** The use cases, for operator tooling and the benchmark; HTTP reaches them through the app. */
  services: { reset: ResetService; admin: AdminService };
  demoIssuer?: string;
  close(): Promise<void>;
}

/**
 * Field names that must never carry a value into a log line. The code never logs secrets; this is
 * the net under it, for a field someone adds to a log call later.
 */
export const REDACT_PATHS = [
  'password', 'newPassword', 'currentPassword', 'token', 'url', 'link', 'secret', 'clientSecret', 'authorization', 'cookie',
  '*.password', '*.newPassword', '*.currentPassword', '*.token', '*.url', '*.link', '*.secret', '*.clientSecret',
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
];

export function loggerOptions(config: Config): LoggerOptions {
  return {
    level: config.log.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(config.log.pretty ? { transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname' } } } : {}),
  };
}

export function createLogger(config: Config): PinoLogger {
  return pino(loggerOptions(config));
}

/** Composition root: builds every part from the config and starts listening. */
export async function startServer(config: Config, opts: { logger?: PinoLogger; clock?: Clock; transport?: MailTransport } = {}): Promise<Running> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? { now: () => new Date() };
  const dataDir = path.resolve(config.dataDir);
  const secrets = resolveSecrets(config, logger);

  const { store, ready, rateLimits } = await openStore(config, dataDir, logger);
  const instances = [...config.directories];
  // The demo (faker, an OpenID Provider, a SAML IdP) is loaded only when configured: loading it
  // anyway was a fifth of a start with 100k accounts (2.0 s → 1.6 s), and production never runs it.
  const demoModule = () => import('./demo/index.js');
  if (config.demo.seed) {
    await (await demoModule()).seedDemo(store, dataDir, logger);
    if (!instances.some((i) => i.id === demoDirectoryInstance.id)) instances.push(demoDirectoryInstance);
  }
  const directories = await loadDirectories(instances, { pluginDirs: [pluginsDir], dataDir, logger });
  await applyConfiguredBindings(config, store, logger);

  const demo = config.demo.idp ? await (await demoModule()).startDemoSso(config, logger) : undefined;
  const demoSaml = config.demo.samlIdp ? await (await demoModule()).startDemoSamlSso(config, logger) : undefined;
  const connections = buildConnections(
    [...config.sso.connections, ...(demo?.connections ?? []), ...(demoSaml?.connections ?? [])],
    { publicUrl: config.server.publicUrl, store, clock, logger },
  );
  await warmUp(connections, logger);
  // Connections made in the console are read from the store per request; http:// IdPs only off production.
  const allowInsecureIdp = config.env !== 'production';
  const connectionBox = connectionSecretBox(secrets.dataKey);
  const registry = new ConnectionRegistry(connections, { store, clock, logger, publicUrl: config.server.publicUrl, box: connectionBox, allowInsecure: allowInsecureIdp });

  // Templates are read once, except in development where editing them should show at once.
  const views = createViews({ cache: config.env !== 'development' });
  const audit = new AuditLog(store, clock);
  const metrics = createMetrics({ mailOutbox: () => store.mailOutboxStats(), now: () => clock.now() });
  audit.onEvent(metrics.onAudit);
  const webhooks = buildWebhooks({ config, store, clock, audit, logger, dataKey: secrets.dataKey, onOutcome: metrics.onWebhookDelivery });
  const catalog = createDirectoryCatalog(directories, clock);
  const admin = new AdminService(store);
  const transport = opts.transport ?? createMailTransport(config.mail.transport, { from: config.mail.from, dataDir, logger, dkim: config.mail.dkim });
  const branding = brandingService({ config, store, clock, audit });
  const outbox = buildMailOutbox({ config, store, clock, audit, logger, secrets, views, transport });
  const limiter = createRateLimiter(config.rateLimits, rateLimits);
  const directory = new SyncDispatcher(directories, { logger, deadlineMs: config.sync.primaryDeadlineMs });
  const syncBox = syncSecretBox(secrets.dataKey);
  const timings = syncSettings(config.sync, config.reset.claimSeconds);
  const syncOutbox = new SyncOutbox({
    store, clock, logger, directory, box: syncBox, timings, attemptDeadlineMs: config.sync.secondaryDeadlineMs, pollMs: config.sync.pollMs,
    keepMs: config.sync.keepDays * 86_400_000,
    onEvent: (event) => audit.record(auditOf(event)),
  });
  const sync = new SyncService({
    store, clock, audit, directory, box: syncBox, outbox: syncOutbox, settings: timings,
    ...withFault(crashPoint(config.env === 'production')),
  });
  const reset = new ResetService({
    store, clock, audit, admin, notifier: outbox, sync,
    blocklist: commonPasswords(),
    limiter,
    ...(config.policy.breached.enabled ? { breached: { service: pwnedPasswords(config.policy.breached), onError: config.policy.breached.onError } } : {}),
    settings: resetSettings(config, secrets),
  });
  const selfService = new SelfServiceService({ store, audit, reset, limiter, logger });
  const api = config.api.enabled
    ? createApiServices({ store, audit, clock, reset, knownDirectory: (id) => !!catalog.get(id), idempotencyHours: config.api.idempotencyHours, oauth: config.api.oauth })
    : undefined;
  const retention = new ResetRetention({
    store, clock, logger, keepMs: config.reset.keepDays * 86_400_000, everyMs: 3_600_000, noticeLapsed: () => webhooks.sweep.noticedUntil(),
  });
  const app = createApp({
    config, views, logger, connections, clock, metrics,
    httpLogger: httpLog(logger),
    checks: readinessChecks(transport, catalog, config.mail.verifySeconds * 1000),
    services: {
      admin, reset, signIn: new SignInService(store, audit),
      selfService,
      directories: new DirectoryAdminService({ store, audit, catalog }),
      sync, syncAdmin: new SyncAdminService({ store, clock, audit, outbox: syncOutbox }),
    },
    sessionStore: new PortSessionStore(store, config.session.idleMinutes * 60_000, clock),
    sessionSecret: secrets.sessionSecret,
    ready,
    ...(api ? { api } : {}),
    webhooks: webhooks.service,
    branding,
    mailPreviews: new MailPreviews({ messages: new MailMessages(views), publicUrl: config.server.publicUrl, brandFor: (p) => branding.forTenant(p) }),
    connectionLookup: registry,
    connectionAdmin: new ConnectionAdminService({
      store, audit, clock, box: connectionBox, checks: connectionProbe({ allowInsecure: allowInsecureIdp }),
      configured: () => connections.map((c) => ({ id: c.config.id, partner: c.config.partner, displayName: c.config.displayName, type: c.protocol })),
      publicUrl: config.server.publicUrl, allowInsecure: allowInsecureIdp,
    }),
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.server.port, config.server.host, () => resolve(s));
    s.once('error', reject);
  });
  outbox.start();
  webhooks.start();
  syncOutbox.start();
  retention.start();
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.server.host === '0.0.0.0' ? 'localhost' : config.server.host}:${port}`;

  return {
    url, server, store, directories, services: { reset, admin },
    ...(demo ? { demoIssuer: demo.idp.issuer } : {}),
    async close() {
      // Stop accepting, let in-flight requests finish (bounded), then finish queued work.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      await selfService.settle();
      await outbox.stop();
      await syncOutbox.stop();
      await retention.stop();
      // Deliveries in flight finish (each bounded by webhooks.timeoutMs); queued ones wait in the store.
      await webhooks.stop();
      transport.close();
      await demo?.idp.close();
      await demoSaml?.idp.close();
      await directories.close();
      await store.close();
    },
  };
}

interface OpenedStore {
  store: Store & TenantImporter;
  ready: () => Promise<boolean>;
  /** Rate-limit counters shared through the store; unset: each instance counts in memory. */
  rateLimits?: Parameters<typeof createRateLimiter>[1];
}

/** PostgreSQL when a URL is configured (several instances can share it), else the embedded store. */
/** The configured store: PostgreSQL when `store.postgres.url` (or DATABASE_URL) is set, else the embedded one. */
export async function openStore(config: Config, dataDir: string, logger: Logger): Promise<OpenedStore> {
  const { url, ...pool } = config.store.postgres;
  if (url) {
    const store = await PostgresStore.open({ url, ...pool }, logger);
    return { store, ready: () => store.ping(), rateLimits: (bucket, limit) => store.rateLimiter(bucket, limit) };
  }
  const store = await LowdbStore.open(dataDir);
  await store.requeueInterruptedMail();
  return { store, ready: async () => store.writable() };
}

const withFault = (fault: ((step: string) => void) | undefined) => (fault ? { fault } : {});

/** Bindings from the configuration win at start; a company not (yet) known is named in a warning. */
async function applyConfiguredBindings(config: Config, store: Store, logger: Logger): Promise<void> {
  for (const [i, b] of config.bindings.entries()) {
    if (!(await store.getCustomer(b.partner, b.customer))) {
      logger.warn({ binding: `bindings[${i}]`, partner: b.partner, customer: b.customer }, 'configured binding names a company that does not exist (yet); skipped');
      continue;
    }
    await store.setCustomerDirectory(b.partner, b.customer, {
      instance: b.instance, mapping: b.mapping,
      ...(b.secondaries?.length ? { secondaries: b.secondaries } : {}),
      ...(b.revokeSessions !== undefined ? { revokeSessions: b.revokeSessions } : {}),
    });
  }
}
