import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { createApp } from './app.js';
import { OidcConnection } from './auth/oidc.js';
import { PortSessionStore } from './auth/session-store.js';
import type { Config } from './config/schema.js';
import { demoDirectoryInstance, seedDemo, startDemoSso } from './demo/index.js';
import { commonPasswords } from './domain/blocklist.js';
import type { Clock, MailTransport } from './domain/ports.js';
import { createSecretBox } from './domain/secretbox.js';
import { MailMessages } from './mail/messages.js';
import { MailOutbox } from './mail/outbox.js';
import { createMailTransport } from './mail/transport.js';
import { resolveSecrets } from './secrets.js';
import { AdminService } from './services/admin.js';
import { AuditLog } from './services/audit.js';
import { ResetService } from './services/reset.js';
import { SignInService } from './services/signin.js';
import { SelfServiceService } from './services/self-service.js';
import { LowdbStore } from './store/lowdb/index.js';
import type { Logger } from './sync/contract.js';
import { SyncDispatcher } from './sync/dispatcher.js';
import { loadDirectories, type DirectoryRegistry } from './sync/registry.js';
import { createViews } from './views.js';
import { createRateLimiter } from './ratelimit/index.js';

export const pluginsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'plugins');

export interface Running {
  url: string;
  server: Server;
  store: LowdbStore;
  directories: DirectoryRegistry;
  demoIssuer?: string;
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger & { level: string } {
  return pino({
    level: config.log.level,
    ...(config.log.pretty ? { transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname' } } } : {}),
  });
}

/** Composition root: builds every part from the config and starts listening. */
export async function startServer(config: Config, opts: { logger?: Logger; clock?: Clock; transport?: MailTransport } = {}): Promise<Running> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? { now: () => new Date() };
  const dataDir = path.resolve(config.dataDir);
  const secrets = resolveSecrets(config, logger);

  const store = await LowdbStore.open(dataDir);
  await store.requeueInterruptedMail();
  const instances = [...config.directories];
  if (config.demo.seed) {
    await seedDemo(store, dataDir, logger);
    if (!instances.some((i) => i.id === demoDirectoryInstance.id)) instances.push(demoDirectoryInstance);
  }
  const directories = await loadDirectories(instances, { pluginDirs: [pluginsDir], dataDir, logger });

  const demo = config.demo.idp ? await startDemoSso(config, logger) : undefined;
  const connections = [...config.sso.connections, ...(demo?.connections ?? [])].map((c) => new OidcConnection(c, config.server.publicUrl));

  const views = createViews({ cache: config.env === 'production' });
  const audit = new AuditLog(store, clock);
  const admin = new AdminService(store);
  const transport = opts.transport ?? createMailTransport(config.mail.transport, { from: config.mail.from, dataDir, logger });
  const outbox = new MailOutbox({
    store, clock, logger, transport, pollMs: config.mail.pollMs,
    box: createSecretBox({ k1: secrets.dataKey }, 'k1'),
    messages: new MailMessages(views),
    onOutcome: (mail, outcome) => audit.record({
      type: `mail.${outcome}`, outcome: outcome === 'sent' ? 'success' : 'failure', actor: 'system',
      ...(mail.partnerId ? { partnerId: mail.partnerId } : {}), detail: { mailId: mail.id, kind: mail.kind, attempt: mail.attempts },
    }),
  });
  const limiter = createRateLimiter(config.rateLimits);
  const reset = new ResetService({
    store, clock, audit, admin, notifier: outbox,
    directory: new SyncDispatcher(directories, { logger }),
    blocklist: commonPasswords(),
    limiter,
    settings: {
      publicUrl: config.server.publicUrl,
      adminTtlSeconds: config.reset.adminTtlSeconds,
      selfServiceTtlSeconds: config.reset.selfServiceTtlSeconds,
      claimSeconds: config.reset.claimSeconds,
      policy: config.policy,
    },
  });
  const app = createApp({
    config, views, logger, connections,
    services: { admin, reset, signIn: new SignInService(store, audit), selfService: new SelfServiceService({ store, audit, reset, limiter, logger }) },
    sessionStore: new PortSessionStore(store, config.session.idleMinutes * 60_000),
    sessionSecret: secrets.sessionSecret,
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.server.port, config.server.host, () => resolve(s));
    s.once('error', reject);
  });
  outbox.start();
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.server.host === '0.0.0.0' ? 'localhost' : config.server.host}:${port}`;

  return {
    url, server, store, directories,
    ...(demo ? { demoIssuer: demo.idp.issuer } : {}),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await outbox.stop();
      transport.close();
      await demo?.idp.close();
      await directories.close();
      await store.close();
    },
  };
}
