/**
 * A demo OpenID Provider that stands in for a partner's company identity provider.
 *
 * It runs in-process on its own port (oidc-provider 8 mounted in a small Express 5 app) and knows a
 * fixed list of users and relying-party clients. Used by the demo (`npm start`) and by tests.
 *
 * Everything that oidc-provider would otherwise fall back to with a console warning (development
 * signing keys, cookie keys, the shared in-memory adapter, default findAccount / TTL / CORS / error
 * page helpers, dev interactions) is configured here, so it prints nothing by itself; its error
 * events are routed through `onLog`.
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import express, { type NextFunction, type Request, type Response } from 'express';
import Provider, {
  errors,
  interactionPolicy,
  type Account,
  type Adapter,
  type AdapterPayload,
  type Configuration,
  type JWK,
  type KoaContextWithOIDC,
} from 'oidc-provider';

export interface DemoIdpUser {
  email: string;
  password: string;
  name: string;
  groups: string[];
  /** Which relying-party clients this person may sign in to. */
  clientIds: string[];
}

export interface DemoIdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  name: string;
}

export interface DemoIdp {
  issuer: string;
  close(): Promise<void>;
}

export interface StartDemoIdpOptions {
  /** 0 means an ephemeral port. */
  port: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Host name used in the issuer URL. Default 'localhost'. */
  publicHost?: string;
  users: DemoIdpUser[];
  clients: DemoIdpClient[];
  onLog?: (msg: string) => void;
}

const MSG_BAD_CREDENTIALS = 'Email or password is incorrect.';
const NOT_ALLOWED_REASON = 'account_not_allowed_for_client';

function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Stable subject identifier derived from the (case-insensitive) email address. */
function subjectFor(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('hex').slice(0, 32);
}

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function passwordMatches(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/**
 * Per-instance in-memory storage for oidc-provider models. oidc-provider's own MemoryAdapter is
 * module-global (shared by every Provider in the process) and warns when used.
 */
function createMemoryAdapter(): new (model: string) => Adapter {
  interface Entry { payload: AdapterPayload; expiresAt: number }
  const store = new Map<string, Entry>();
  const grantMembers = new Map<string, Set<string>>();
  const sessionUids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

  const get = (key: string): AdapterPayload | undefined => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  return class DemoMemoryAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    private key(id: string): string {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const key = this.key(id);
      if (this.model === 'Session' && typeof payload.uid === 'string') sessionUids.set(payload.uid, id);
      if (grantable.has(this.model) && payload.grantId) {
        const members = grantMembers.get(payload.grantId) ?? new Set<string>();
        members.add(key);
        grantMembers.set(payload.grantId, members);
      }
      if (typeof payload.userCode === 'string') userCodes.set(payload.userCode, id);
      store.set(key, { payload, expiresAt: Date.now() + expiresIn * 1000 });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return get(this.key(id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = sessionUids.get(uid);
      return id === undefined ? undefined : get(this.key(id));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = userCodes.get(userCode);
      return id === undefined ? undefined : get(this.key(id));
    }

    async consume(id: string): Promise<void> {
      const payload = get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      store.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const members = grantMembers.get(grantId);
      if (!members) return;
      for (const key of members) store.delete(key);
      grantMembers.delete(grantId);
    }
  };
}

function generateSigningJwk(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' } as JWK;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#eef1f5;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933}
main{width:100%;max-width:380px;margin:24px;padding:32px;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12),0 4px 16px rgba(0,0,0,.06)}
h1{margin:0 0 4px;font-size:1.5rem;font-weight:600}
.sub{margin:0 0 24px;color:#52606d}
label{display:block;margin:16px 0 6px;font-weight:600;font-size:.9rem}
input{width:100%;padding:10px 12px;font:inherit;border:1px solid #9aa5b1;border-radius:6px}
input:focus{outline:2px solid #2f6fde;outline-offset:1px;border-color:#2f6fde}
button{margin-top:24px;width:100%;padding:11px;font:inherit;font-weight:600;color:#fff;background:#2f6fde;border:0;border-radius:6px;cursor:pointer}
button:hover{background:#2358b8}
.error{margin:0 0 8px;padding:10px 12px;border-radius:6px;background:#fde8e8;color:#9b1c1c}
.idp{margin:24px 0 0;font-size:.8rem;color:#7b8794;text-align:center}
`.trim();

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/demo-idp.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function loginPage(opts: { uid: string; clientName: string; email: string; error?: string; issuer: string }): string {
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>\n` : '';
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p class="sub">to continue to ${escapeHtml(opts.clientName)}</p>
${error}<form method="post" action="/interaction/${encodeURIComponent(opts.uid)}/login">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(opts.email)}"${opts.email ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${opts.email ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form>
<p class="idp">${escapeHtml(new URL(opts.issuer).host)}</p>`,
  );
}

function messagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p class="sub">${escapeHtml(message)}</p>`);
}

function setPageHeaders(res: Response): void {
  res.set({
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startDemoIdp(opts: StartDemoIdpOptions): Promise<DemoIdp> {
  const host = opts.host ?? '127.0.0.1';
  const publicHost = opts.publicHost ?? 'localhost';
  const log = opts.onLog ?? ((): void => {});

  const usersByEmail = new Map<string, DemoIdpUser>();
  const usersBySub = new Map<string, DemoIdpUser>();
  for (const user of opts.users) {
    usersByEmail.set(normalizeEmail(user.email), user);
    usersBySub.set(subjectFor(user.email), user);
  }
  const clientsById = new Map(opts.clients.map((c) => [c.clientId, c]));
  const clientName = (clientId: unknown): string =>
    (typeof clientId === 'string' && clientsById.get(clientId)?.name) || String(clientId ?? 'this application');
  const mayUse = (user: DemoIdpUser | undefined, clientId: string | undefined): boolean =>
    !!user && !!clientId && user.clientIds.includes(clientId);

  // Listen first: the issuer must carry the real port.
  const server = createServer();
  const port = await listen(server, opts.port, host);
  const issuer = `http://${publicHost}:${port}`;

  const findAccount = async (_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> => {
    const user = usersBySub.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: user.email,
          email_verified: true,
          name: user.name,
          groups: [...user.groups],
        };
      },
    };
  };

  // The login prompt is also requested when the existing IdP session belongs to someone who may not
  // use the requesting client (a company IdP only lets its own staff into the partner's app).
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(
    new interactionPolicy.Check(
      NOT_ALLOWED_REASON,
      'the signed-in account may not use this client',
      (ctx: KoaContextWithOIDC) => {
        const { accountId } = ctx.oidc.session ?? {};
        if (!accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return mayUse(usersBySub.get(accountId), ctx.oidc.client?.clientId)
          ? interactionPolicy.Check.NO_NEED_TO_PROMPT
          : interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );

  const configuration: Configuration = {
    adapter: createMemoryAdapter(),
    jwks: { keys: [generateSigningJwk()] },
    cookies: {
      keys: [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')],
      // Plain http in the demo: SameSite=None cookies would be refused by browsers without Secure,
      // and every step of the flow is a top-level navigation, so Lax works.
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    clients: opts.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      client_name: c.name,
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    clientBasedCORS: () => false,
    findAccount,
    scopes: ['openid', 'email', 'profile'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'groups'],
    },
    // Put scope-requested claims (email, name, groups) into the ID token too, so a relying party
    // does not need to call userinfo.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: false },
      revocation: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = page(
            'Sign out',
            `<h1>Sign out</h1>\n<p class="sub">Do you want to sign out of ${escapeHtml(ctx.host)}?</p>\n${form}\n<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`,
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = messagePage('Signed out', 'You have been signed out.');
        },
      },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Session: 8 * 3600,
      Grant: 14 * 24 * 3600,
      RefreshToken: 14 * 24 * 3600,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = messagePage('Sign-in error', out.error_description ?? out.error);
    },
  };

  const provider = new Provider(issuer, configuration);
  // Koa prints unhandled errors to stderr unless someone listens.
  provider.app.on('error', (err: Error) => log(`demo-idp: ${err.message}`));
  provider.on('server_error', (_ctx: unknown, err: Error) => log(`demo-idp server_error: ${err.stack ?? err.message}`));
  for (const event of ['authorization.error', 'grant.error', 'end_session.error', 'userinfo.error', 'jwks.error', 'discovery.error']) {
    provider.on(event, (_ctx: unknown, err: Error & { error_description?: string }) =>
      log(`demo-idp ${event}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`),
    );
  }

  const app = express();
  app.disable('x-powered-by');

  // Browsers ask for a favicon; answer instead of logging a 404 on every page.
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());
  app.get('/demo-idp.css', (_req, res) => {
    res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' });
    res.send(CSS);
  });

  async function interactionFor(req: Request, res: Response) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== req.params.uid) throw new errors.SessionNotFound('interaction mismatch');
    return details;
  }

  app.get('/interaction/:uid', async (req, res) => {
    const details = await interactionFor(req, res);
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : undefined;

    if (details.prompt.name === 'login') {
      let error: string | undefined;
      let email = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
      if (details.prompt.reasons.includes(NOT_ALLOWED_REASON)) {
        error = `This account cannot sign in to ${clientName(clientId)}.`;
        const current = details.session?.accountId ? usersBySub.get(details.session.accountId) : undefined;
        if (!email && current) email = current.email;
      }
      setPageHeaders(res);
      res.status(200).send(loginPage({ uid: details.uid, clientName: clientName(clientId), email, error, issuer }));
      return;
    }

    if (details.prompt.name === 'consent') {
      const accountId = details.session?.accountId;
      if (!accountId || !mayUse(usersBySub.get(accountId), clientId)) {
        // Defence in depth: the login policy check should already have prevented this.
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'account not allowed for this client' }, { mergeWithLastSubmission: false });
        return;
      }
      // Company IdP: consent is implied, grant what was asked for.
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId });
      if (!grant) throw new errors.SessionNotFound('grant not found');
      const missing = details.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      if (missing.missingResourceScopes) {
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
      }
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }

    throw new Error(`unsupported prompt ${details.prompt.name}`);
  });

  app.post('/interaction/:uid/login', express.urlencoded({ extended: false, limit: '10kb' }), async (req, res) => {
    const details = await interactionFor(req, res);
    if (details.prompt.name !== 'login') throw new errors.SessionNotFound('interaction is not a login prompt');
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : undefined;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const email = typeof body.email === 'string' ? body.email : '';
    const password = typeof body.password === 'string' ? body.password : '';

    const user = usersByEmail.get(normalizeEmail(email));
    const render = (error: string): void => {
      setPageHeaders(res);
      res.status(200).send(loginPage({ uid: details.uid, clientName: clientName(clientId), email, error, issuer }));
    };

    if (!user || !passwordMatches(password, user.password)) {
      log(`demo-idp: failed sign-in for ${JSON.stringify(email)}`);
      render(MSG_BAD_CREDENTIALS);
      return;
    }
    if (!mayUse(user, clientId)) {
      log(`demo-idp: ${user.email} refused for client ${String(clientId)}`);
      render(`This account cannot sign in to ${clientName(clientId)}.`);
      return;
    }

    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: subjectFor(user.email), remember: false, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
  });

  app.use(provider.callback());

  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof errors.SessionNotFound) {
      setPageHeaders(res);
      res.status(400).send(messagePage('Sign-in expired', 'This sign-in request has expired or is not valid. Go back to the application and start again.'));
      return;
    }
    log(`demo-idp interaction error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    setPageHeaders(res);
    res.status(500).send(messagePage('Sign-in error', 'Something went wrong. Please try again.'));
  });

  server.on('request', app);
  log(`demo-idp listening, issuer ${issuer}`);

  let closing: Promise<void> | undefined;
  return {
    issuer,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
