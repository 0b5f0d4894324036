// A real SCIM 2.0 service provider for tests: scimmy's resources and PatchOp, scimmy-routers on Express 5,
// bearer auth, and switches for the failures a client must survive. The users live in scim-directory.ts.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import { ScimDirectory, decodeLiterals, verifyHash, versionTag } from './scim-directory.js';
import type { DirectoryOptions, ScimResource, ScimUserSeed } from './scim-directory.js';

export type { ScimUserSeed };

export const SCIM_ROOT = '/scim/v2';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimServerOptions extends DirectoryOptions {
  token?: string;
  users?: ScimUserSeed[];
}

export interface ScimFault {
  status: number;
  retryAfter?: string;
  headers?: Record<string, string>;
  scimType?: string;
  detail?: string;
}

export interface RecordedRequest {
  method: string;
  /** As received, query string included. */
  url: string;
  contentType: string | undefined;
  ifMatch: string | undefined;
  /** PATCH operations without their values. */
  operations: Array<{ op: string; path?: string; valueKeys?: string[] }>;
}

// ---- scimmy is a process-wide singleton: declare once, route each request to its server via ctx ----

interface RequestContext {
  directory: ScimDirectory;
  /** Filter string literals, decoded as JSON strings (see decodeLiterals). */
  literals: Map<string, string>;
}

let declared = false;
function declareUsers(): void {
  if (declared) return;
  declared = true;
  SCIMMY.Resources.declare(SCIMMY.Resources.User, {
    egress: (resource: ScimResource, ctx: RequestContext) => ctx.directory.egress(resource, ctx.literals),
    ingress: (resource: ScimResource, instance: Record<string, unknown>, ctx: RequestContext) => ctx.directory.ingress(resource, instance),
    degress: (resource: ScimResource, ctx: RequestContext) => ctx.directory.remove(resource.id ?? ''),
  });
}

// ---- the HTTP server ----

export interface ScimServer {
  readonly url: string;
  readonly token: string;
  readonly requests: RecordedRequest[];
  addUser(seed: ScimUserSeed): Promise<string>;
  idOf(userName: string): string | undefined;
  checkPassword(id: string, password: string): Promise<boolean>;
  /** Bumps the user's version, as a change by someone else would. */
  touch(id: string): void;
  removeUser(id: string): void;
  /** Answers the next `count` requests (of `method`, if given) with the fault instead of serving them. */
  failNext(count: number, fault: ScimFault, method?: string): void;
  /** Holds the next `count` requests for `ms` before serving them (the work still happens afterwards). */
  delayNext(count: number, ms: number): void;
  set(options: DirectoryOptions): void;
  stop(): Promise<void>;
}

export async function startScimServer(opts: ScimServerOptions = {}): Promise<ScimServer> {
  declareUsers();
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const directory = new ScimDirectory({
    minLength: opts.minLength ?? 8, historySize: opts.historySize ?? 0, changePassword: opts.changePassword ?? true,
    etag: opts.etag ?? true, passwordPath: opts.passwordPath ?? 'accept', echoPassword: opts.echoPassword ?? false,
    ignoreFilter: opts.ignoreFilter ?? false,
  });
  for (const seed of opts.users ?? []) await directory.add(seed);
  const requests: RecordedRequest[] = [];
  const faults: Array<{ fault: ScimFault; method: string | undefined }> = [];
  const delays: number[] = [];
  const literalsOf = new WeakMap<Request, Map<string, string>>();

  const send = (res: Response, status: number, body: unknown) => res.status(status).type('application/scim+json').send(JSON.stringify(body));
  const sendError = (res: Response, status: number, scimType: string | undefined, detail: string) =>
    send(res, status, { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail });

  const app = express();
  const scim = express.Router();
  scim.use(express.json({ type: ['application/scim+json', 'application/json'] }));
  scim.use((req, res, next) => {
    // One connection per request: after stop() no pooled socket is left, so a client sees a refused connection.
    res.set('Connection', 'close');
    const ops = req.method === 'PATCH' && Array.isArray(req.body?.Operations) ? req.body.Operations as Array<Record<string, unknown>> : [];
    requests.push({
      method: req.method, url: req.originalUrl, contentType: req.get('content-type'), ifMatch: req.get('if-match'),
      operations: ops.map((o) => ({
        op: String(o.op), ...(typeof o.path === 'string' ? { path: o.path } : {}),
        ...(o.value && typeof o.value === 'object' ? { valueKeys: Object.keys(o.value) } : {}),
      })),
    });
    next();
  });
  scim.use((req, res, next) => {
    const i = faults.findIndex((f) => f.method === undefined || f.method === req.method);
    const hit = i >= 0 ? faults.splice(i, 1)[0] : undefined;
    if (!hit) return next();
    // scimmy's error message only knows RFC 7644's status table (no 429/503), so the body is written by hand.
    if (hit.fault.retryAfter !== undefined) res.set('Retry-After', hit.fault.retryAfter);
    res.set(hit.fault.headers ?? {});
    sendError(res, hit.fault.status, hit.fault.scimType, hit.fault.detail ?? 'Injected failure');
  });
  scim.use((_req, _res, next) => {
    const ms = delays.shift();
    if (ms === undefined) return next();
    setTimeout(next, ms);
  });
  scim.use((req, res, next) => {
    const given = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const ok = given !== undefined && given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token));
    if (ok) return next();
    res.set('WWW-Authenticate', `Bearer realm="scim"${given !== undefined ? ', error="invalid_token"' : ''}`);
    sendError(res, 401, undefined, 'Authorization failure: the bearer token is missing or not valid');
  });
  scim.get('/ServiceProviderConfig', async (_req, res, next) => {
    try {
      const config = JSON.parse(JSON.stringify(await new SCIMMY.Resources.ServiceProviderConfig().read())) as Record<string, unknown>;
      // scimmy keeps one configuration per process; each test server states its own switches.
      send(res, 200, { ...config, changePassword: { supported: directory.options.changePassword }, etag: { supported: directory.options.etag } });
    } catch (e) {
      next(e);
    }
  });
  scim.get('/Users', (req, res, next) => {
    if (typeof req.query.filter !== 'string') return next();
    if (directory.options.ignoreFilter) {
      const { filter: _ignored, ...rest } = req.query;
      Object.defineProperty(req, 'query', { value: rest, writable: true, configurable: true, enumerable: true });
      return next();
    }
    try {
      const { filter, literals } = decodeLiterals(req.query.filter);
      literalsOf.set(req, literals);
      Object.defineProperty(req, 'query', { value: { ...req.query, filter }, writable: true, configurable: true, enumerable: true });
      next();
    } catch {
      sendError(res, 400, 'invalidFilter', 'A string in the filter is not a valid JSON string');
    }
  });
  scim.patch('/Users/:id', (req, res, next) => {
    const user = directory.users.get(req.params.id);
    const ifMatch = req.get('if-match');
    if (directory.options.etag && user && ifMatch !== undefined && ifMatch !== '*' && ifMatch !== versionTag(user)) {
      return sendError(res, 412, undefined, 'Resource version mismatch: the user changed since it was read');
    }
    const ops = Array.isArray(req.body?.Operations) ? req.body.Operations as Array<{ path?: unknown }> : [];
    if (directory.options.passwordPath === 'invalidPath' && ops.some((o) => typeof o.path === 'string' && o.path.toLowerCase() === 'password')) {
      return sendError(res, 400, 'invalidPath', "Invalid path 'password' for 'replace' op of operation 1 in PatchOp request body");
    }
    next();
  });
  SCIMMY.Config.set('authenticationSchemes', []);
  SCIMMY.Config.set({ changePassword: true, etag: true });
  scim.use(new SCIMMYRouters({
    type: 'bearer',
    handler: () => 'scim-client',
    context: (req: Request): RequestContext => ({ directory, literals: literalsOf.get(req) ?? new Map() }),
  }));
  app.use(SCIM_ROOT, scim);
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // scimmy-routers answers its own 5xx errors before passing them on; only errors from the middleware above remain.
    if (res.headersSent) return;
    const status = (err as { status?: number }).status ?? 500;
    sendError(res, status, status === 400 ? 'invalidSyntax' : undefined, status === 400 ? 'The request body is not valid JSON' : 'Internal error');
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SCIM_ROOT}`;

  return {
    url,
    token,
    requests,
    addUser: (seed) => directory.add(seed),
    idOf: (userName) => [...directory.users.values()].find((u) => u.userName === userName)?.id,
    checkPassword: async (id, password) => verifyHash(password, directory.users.get(id)?.hash),
    touch(id) {
      const user = directory.users.get(id);
      if (user) directory.touch(user);
    },
    removeUser: (id) => directory.remove(id),
    failNext(count, fault, method) {
      for (let i = 0; i < count; i++) faults.push({ fault, method: method?.toUpperCase() });
    },
    delayNext(count, ms) {
      for (let i = 0; i < count; i++) delays.push(ms);
    },
    set(options) {
      Object.assign(directory.options, options);
    },
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
