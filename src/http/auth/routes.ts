import { Router, type Request } from 'express';
import { AppError } from '../../domain/errors.js';
import type { SignInService } from '../../services/signin.js';
import { requestContext, safeReturnTo } from '../middleware/context.js';
import type { SignInTransaction } from '../session.js';

/** What the routes need from a partner's SSO connection (OIDC today, SAML later). */
export interface SsoConnection {
  readonly config: { id: string; partner: string; displayName: string };
  start(returnTo: string, loginHint?: string): Promise<{ url: string; transaction: SignInTransaction }>;
  finish(callbackPathAndQuery: string, tx: SignInTransaction): Promise<{ sub: string; email: string; name: string; groups: string[] }>;
  rolesFor(groups: string[]): string[];
}

const regenerate = (req: Request) => new Promise<void>((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
const save = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));

export function authRoutes(deps: { connections: SsoConnection[]; signIn: SignInService }): Router {
  const router = Router();
  const byId = new Map(deps.connections.map((c) => [c.config.id, c]));

  const begin = async (req: Request, connection: SsoConnection, returnTo: string, hint?: string) => {
    const { url, transaction } = await connection.start(returnTo, hint);
    req.session.signIn = transaction;
    await save(req);
    return url;
  };

  router.get('/login', (req, res) => {
    if (req.session.user) return res.redirect('/admin');
    res.render('auth/login', { title: 'Sign in', email: '', error: undefined, returnTo: safeReturnTo(req.query.returnTo) });
  });

  router.post('/login', async (req, res) => {
    const email = String(req.body?.email ?? '').trim();
    const returnTo = safeReturnTo(req.body?.returnTo);
    const partner = await deps.signIn.partnerForEmail(email);
    const connection = partner && deps.connections.find((c) => c.config.partner === partner.id);
    if (!connection) {
      res.status(400).render('auth/login', {
        title: 'Sign in', email, returnTo,
        error: email.includes('@')
          ? 'We do not know a sign-in for that email domain. Use your work email, or ask your administrator for your sign-in link.'
          : 'Enter your work email address, like name@company.example.',
      });
      return;
    }
    res.redirect(await begin(req, connection, returnTo, email));
  });

  router.get('/auth/:connection/start', async (req, res) => {
    const connection = byId.get(req.params.connection);
    if (!connection) throw new AppError('NOT_FOUND', 404, 'This sign-in link is not known. Start again from the sign-in page.');
    res.redirect(await begin(req, connection, safeReturnTo(req.query.returnTo)));
  });

  router.get('/auth/:connection/callback', async (req, res) => {
    const connection = byId.get(req.params.connection);
    const tx = req.session.signIn;
    if (!connection) throw new AppError('NOT_FOUND', 404, 'This sign-in link is not known. Start again from the sign-in page.');
    const ctx = requestContext(req);
    if (!tx || tx.connectionId !== connection.config.id) {
      await deps.signIn.failed(connection.config.id, connection.config.partner, 'no-transaction', ctx);
      throw new AppError('SIGNIN_EXPIRED', 400, 'Your sign-in took too long or was started in another window. Please sign in again.');
    }
    delete req.session.signIn;
    let identity;
    try {
      identity = await connection.finish(req.originalUrl, tx);
    } catch (e) {
      const reason = String((e as { code?: string }).code ?? (e as Error).name ?? 'error').slice(0, 60);
      await deps.signIn.failed(connection.config.id, connection.config.partner, reason, ctx);
      throw new AppError('SIGNIN_FAILED', 400, 'We could not complete your sign-in with your company account. Please sign in again.');
    }
    const user = await deps.signIn.admit({
      connectionId: connection.config.id, partnerId: connection.config.partner, sub: identity.sub,
      email: identity.email, name: identity.name, roles: connection.rolesFor(identity.groups),
    }, ctx);
    await regenerate(req); // a new session id at sign-in: no fixation
    req.session.user = user;
    req.session.signedInAt = Date.now();
    await save(req);
    res.redirect(safeReturnTo(tx.returnTo));
  });

  router.post('/logout', async (req, res) => {
    const user = req.session.user;
    if (user) await deps.signIn.signedOut(user, requestContext(req));
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.redirect('/login');
  });

  return router;
}
