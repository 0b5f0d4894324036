import path from 'node:path';
import express, { type RequestHandler } from 'express';
import type { Metrics } from './observability/metrics.js';
import session from 'express-session';
import cookieParser from 'cookie-parser';
import type { Eta } from 'eta';
import type { Config } from './config/schema.js';
import type { AdminService } from './services/admin.js';
import type { ResetService } from './services/reset.js';
import type { SignInService } from './services/signin.js';
import type { SelfServiceService } from './services/self-service.js';
import { forgotRoutes } from './http/forgot/routes.js';
import type { Logger } from './sync/contract.js';
import { adminRoutes } from './http/admin/routes.js';
import { authRoutes, type SsoConnection } from './http/auth/routes.js';
import { samlBodyParser, samlRoutes } from './http/auth/saml-routes.js';
import { sessionTimeouts } from './http/auth/session-timeouts.js';
import { idpAdminRoutes } from './http/idp-admin/routes.js';
import { connectionFormParser, connectionRoutes } from './http/idp-admin/connections.js';
import { fixedConnections, type ConnectionLookup } from './http/auth/connection.js';
import { formTargets as connectionFormTargets } from './http/auth/form-targets.js';
import type { ConnectionAdminService } from './services/connections.js';
import { directoryRoutes } from './http/idp-admin/directories.js';
import { apiClientRoutes } from './http/idp-admin/api-clients.js';
import { apiRoutes, type ApiServices } from './http/api/index.js';
import type { DirectoryAdminService } from './services/directories.js';
import type { SyncService } from './services/sync.js';
import type { SyncAdminService } from './services/sync-admin.js';
import { syncRoutes } from './http/idp-admin/sync.js';
import { webhookRoutes } from './http/idp-admin/webhooks.js';
import type { WebhookService } from './services/webhooks.js';
import { accountSyncStatus } from './http/admin/sync-status.js';
import type { Clock } from './domain/ports.js';
import { resetRoutes } from './http/reset/routes.js';
import { csrf } from './http/middleware/csrf.js';
import { errorHandler, notFoundHandler } from './http/middleware/errors.js';
import { securityHeaders } from './http/middleware/security.js';
import { languageChoice, localeMiddleware } from './http/middleware/locale.js';
import { hostedResetPage } from './http/reset/page.js';
import { viewsDir } from './views.js';
import { brandRoutes, publicBrand } from './http/brand/routes.js';
import { brandingRoutes, logoUpload } from './http/idp-admin/branding.js';
import type { BrandingService } from './services/branding.js';
import type { MailPreviews } from './mail/previews.js';

export interface AppDeps {
  config: Config;
  services: {
    admin: AdminService; reset: ResetService; signIn: SignInService; selfService: SelfServiceService; directories: DirectoryAdminService;
    sync: SyncService; syncAdmin: SyncAdminService;
  };
  connections: SsoConnection[];
  sessionStore: session.Store;
  sessionSecret: string;
  views: Eta;
  logger: Logger;
  /** Time for session lifetimes; the system clock unless a test controls it. */
  clock?: Clock;
  /** Whether the store answers now; /readyz reports it so a load balancer can take the instance out. */
  ready: () => Promise<boolean>;
  /** Further readiness checks for /readyz (mail transport, directories); `ok: false` on a required one fails it. */
  checks?: () => Promise<Record<string, { ok: boolean; required: boolean; detail?: string }>>;
  /** Prometheus metrics and request timing; absent, /metrics answers 404. */
  metrics?: Metrics;
  /** One JSON line per request (src/observability/http-log.ts). */
  httpLogger?: RequestHandler;
  /** The REST API's services; absent (`api.enabled: false`), there is no /api and no API clients page. */
  api?: ApiServices;
  /** Branding of public pages and mails, edited by IdP admins; absent, the product's own look. */
  branding?: BrandingService;
  /** Mail previews for IdP admins (needs `branding`). */
  mailPreviews?: MailPreviews;
  /** Webhook subscriptions (IdP admin → Webhooks); absent, there is no such page. */
  webhooks?: WebhookService;
  /** Connections looked up per request (configured and console-made); absent, only `connections`. */
  connectionLookup?: ConnectionLookup & { formOrigins(): Promise<string[]> };
  /** The IdP admin's Sign-in connections pages; absent, there are none. */
  connectionAdmin?: ConnectionAdminService;
}

/** The Express app without `listen()`, so tests can drive it with supertest or a real port. */
export function createApp(deps: AppDeps): express.Express {
  const { config } = deps;
  const https = config.server.publicUrl.startsWith('https://');
  const app = express();
  app.set('trust proxy', config.server.trustProxy);
  app.disable('x-powered-by');
  // Pages carry a fresh CSRF token and are not stored, and the API has no conditional requests:
  // a hash of every body as ETag could never match. Static files and logos keep their own ETags.
  app.set('etag', false);
  if (deps.httpLogger) app.use(deps.httpLogger);
  if (deps.metrics) app.use(deps.metrics.timing);
  app.engine('eta', (file, data, done) => {
    try {
      done(null, deps.views.render(path.relative(viewsDir, file).replace(/\.eta$/, ''), data as object));
    } catch (e) {
      done(e as Error);
    }
  });
  app.set('view engine', 'eta');
  app.set('views', viewsDir);
  // Express looks each view up on disk (statSync) per render unless NODE_ENV=production; eta
  // already caches the compiled templates outside development, so the look-up can be kept too.
  app.set('view cache', config.env !== 'development');

  const formTargets = deps.connections.flatMap((c) => (c.protocol === 'saml' ? c.formOrigins() : [issuerOrigin(c)])).filter((o): o is string => !!o);
  const security = securityHeaders({ https, formTargets: [...new Set(formTargets)] });
  const cookies = cookieParser();
  const protection = csrf({ secret: deps.sessionSecret, secure: https });
  const csrfTokens = [protection.browserId, protection.tokens];
  // The page reset mails link to, ahead of everything but logging and metrics (src/http/reset/page.ts).
  app.get('/reset/:token', hostedResetPage({
    reset: deps.services.reset, views: deps.views, ...(deps.branding ? { branding: deps.branding } : {}),
    steps: [security, cookies, languageChoice({ secure: https }), ...csrfTokens],
  }));
  app.use(security);
  app.use('/assets', express.static(path.join(viewsDir, 'static'), { maxAge: '1h', index: false }));

  const parsers = [express.urlencoded({ extended: false, limit: '16kb' }), cookies, localeMiddleware({ secure: https })];
  // The hosted pages people reach from a mail come first, through only what they use: no SAML or
  // connection-form parsing, no IdP origins in form-action (their forms post here), no session.
  // Every middleware a request passes costs time on the busiest page (docs/performance.md).
  const brand = deps.branding ? [publicBrand({ branding: deps.branding })] : [];
  app.use('/reset', parsers, csrfTokens, brand, protection.protect, resetRoutes({ reset: deps.services.reset }));
  app.use('/forgot', parsers, csrfTokens, brand, protection.protect, forgotRoutes({ selfService: deps.services.selfService, ttlMinutes: Math.round(config.reset.selfServiceTtlSeconds / 60) }));

  if (deps.connectionLookup) app.use(connectionFormTargets(() => deps.connectionLookup!.formOrigins()));
  const lookup = deps.connectionLookup ?? fixedConnections(deps.connections);
  if (deps.branding) app.use(brandRoutes({ branding: deps.branding }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const reachable = await deps.ready().catch(() => false);
    const checks = (await deps.checks?.().catch(() => undefined)) ?? {};
    const ok = reachable && Object.values(checks).every((c) => c.ok || !c.required);
    res.set('Cache-Control', 'no-store').status(ok ? 200 : 503).json({
      status: ok ? 'ready' : 'unavailable', store: reachable ? 'reachable' : 'unreachable', checks,
    });
  });
  if (deps.metrics && config.metrics.enabled) {
    const { registry } = deps.metrics;
    app.get('/metrics', async (req, res) => {
      if (config.metrics.token && req.get('authorization') !== `Bearer ${config.metrics.token}`) {
        res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'UNAUTHORIZED', message: 'A metrics token is required.' });
        return;
      }
      res.set('Content-Type', registry.contentType).send(await registry.metrics());
    });
  }
  // The REST API is no browser surface: bearer credentials, no cookies, no CSRF tokens. Mounted
  // before the body parsers, cookies and CSRF below, and it answers everything under /api itself.
  if (deps.api) {
    const { rateLimits } = config;
    app.use('/api', apiRoutes({
      services: deps.api, logger: deps.logger, publicUrl: config.server.publicUrl,
      retryAfterSeconds: Math.max(rateLimits.issuePerAccount.seconds, rateLimits.adminIssuePerAdmin.seconds),
    }));
  }
  app.use(samlBodyParser);
  if (deps.connectionAdmin) app.use(connectionFormParser);
  app.use(parsers);

  const sessions = session({
    name: https ? '__Host-rb.sid' : 'rb.sid',
    secret: deps.sessionSecret,
    store: deps.sessionStore,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: https, path: '/', maxAge: config.session.idleMinutes * 60_000 },
  });
  app.use(csrfTokens);
  if (deps.branding) app.use(publicBrand({ branding: deps.branding }));

  const clock = deps.clock ?? { now: () => new Date() };
  const timeouts = sessionTimeouts({
    signIn: deps.services.signIn, clock, absoluteHours: config.session.absoluteHours,
    ...(deps.connectionLookup ? { connectionActive: async (id: string) => !!(await lookup.get(id)) } : {}),
  });
  const signedIn = [sessions, timeouts, protection.protect];
  app.get('/', (_req, res) => res.redirect('/admin'));
  if (deps.branding) app.use('/idp-admin/branding', logoUpload(sessions));
  app.use(samlRoutes({ connections: lookup, signIn: deps.services.signIn, clock, session: [sessions, timeouts] }));
  app.use(signedIn, authRoutes({ connections: lookup, signIn: deps.services.signIn, clock }));
  app.use('/idp-admin', signedIn, idpAdminRoutes([
    ...(deps.connectionAdmin ? [connectionRoutes({ connections: deps.connectionAdmin })] : []),
    directoryRoutes({ directories: deps.services.directories }),
    syncRoutes({ sync: deps.services.syncAdmin }),
    ...(deps.api ? [apiClientRoutes({ clients: deps.api.clients })] : []),
    ...(deps.branding ? [brandingRoutes({ branding: deps.branding, ...(deps.mailPreviews ? { previews: deps.mailPreviews } : {}) })] : []),
    ...(deps.webhooks ? [webhookRoutes({ webhooks: deps.webhooks })] : []),
  ]));
  app.use('/admin', signedIn, accountSyncStatus({ sync: deps.services.sync }), adminRoutes({ admin: deps.services.admin, reset: deps.services.reset }));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

function issuerOrigin(c: SsoConnection): string | undefined {
  const issuer = (c.config as { issuer?: string }).issuer;
  try {
    return issuer ? new URL(issuer).origin : undefined;
  } catch {
    return undefined;
  }
}
