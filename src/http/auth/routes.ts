import { Router, type Request } from 'express';
import { AppError } from '../../domain/errors.js';
import { requestContext, safeReturnTo } from '../middleware/context.js';
import { completeSignIn, refuseSignIn, save, type SignInDeps } from './complete.js';
import type { ConnectionLookup, SsoConnection } from './connection.js';

export type { SsoConnection } from './connection.js';

const unknownLink = () => new AppError('NOT_FOUND', 404, 'This sign-in link is not known. Start again from the sign-in page.');

/** Sign-in page with home-realm discovery, the start of every connection, the OIDC callback, sign-out. */
export function authRoutes(deps: SignInDeps & { connections: ConnectionLookup }): Router {
  const router = Router();

  const begin = async (req: Request, connection: SsoConnection, returnTo: string, hint?: string) => {
    if (connection.protocol === 'saml') {
      // The request id lives in the Store (InResponseTo), and the answer is a cross-site POST
      // that may arrive without this browser's cookie: nothing to keep in the session.
      return (await connection.start(returnTo)).url;
    }
    const { url, transaction } = await connection.start(returnTo, hint);
    req.session.signIn = transaction;
    await save(req);
    return url;
  };

  router.get('/login', async (req, res) => {
    if (req.session.user) return res.redirect('/admin');
    const notice = req.session.signInNotice;
    if (notice) {
      delete req.session.signInNotice;
      await save(req);
    }
    res.render('auth/login', { title: 'Sign in', email: '', error: undefined, notice, returnTo: safeReturnTo(req.query.returnTo) });
  });

  router.post('/login', async (req, res) => {
    const email = String(req.body?.email ?? '').trim();
    const returnTo = safeReturnTo(req.body?.returnTo);
    const partner = await deps.signIn.partnerForEmail(email);
    const choices = partner ? await deps.connections.forPartner(partner.id) : [];
    if (choices.length === 0) {
      res.status(400).render('auth/login', {
        title: 'Sign in', email, returnTo,
        error: email.includes('@')
          ? 'We do not know a sign-in for that email domain. Use your work email, or ask your administrator for your sign-in link.'
          : 'Enter your work email address, like name@company.example.',
      });
      return;
    }
    if (choices.length > 1) {
      res.render('auth/choose', {
        title: 'Choose how to sign in', partnerName: partner!.name,
        choices: choices.map((c) => ({ name: c.config.displayName, href: `/auth/${encodeURIComponent(c.config.id)}/start?returnTo=${encodeURIComponent(returnTo)}` })),
      });
      return;
    }
    res.redirect(await begin(req, choices[0]!, returnTo, email));
  });

  router.get('/auth/:connection/start', async (req, res) => {
    const connection = await deps.connections.get(req.params.connection);
    if (!connection) throw unknownLink();
    res.redirect(await begin(req, connection, safeReturnTo(req.query.returnTo)));
  });

  router.get('/auth/:connection/callback', async (req, res) => {
    const connection = await deps.connections.get(req.params.connection);
    if (!connection || connection.protocol !== 'oidc') throw unknownLink();
    const tx = req.session.signIn;
    if (!tx || tx.connectionId !== connection.config.id) {
      await deps.signIn.failed(connection.config.id, connection.config.partner, 'no-transaction', requestContext(req));
      throw new AppError('SIGNIN_EXPIRED', 400, 'Your sign-in took too long or was started in another window. Please sign in again.');
    }
    delete req.session.signIn; // one use, whatever happens next
    await save(req);
    let identity;
    try {
      identity = await connection.finish(req.originalUrl, tx);
    } catch (e) {
      return refuseSignIn(deps, req, connection, oidcFailureReason(e));
    }
    await completeSignIn(deps, req, res, connection, identity, tx.returnTo, { protocol: 'oidc' });
  });

  router.post('/logout', async (req, res) => {
    const user = req.session.user;
    const sso = req.session.sso;
    const connection = user ? await deps.connections.get(user.connectionId) : undefined;
    if (user) await deps.signIn.signedOut(user, requestContext(req));
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    if (connection?.protocol === 'saml' && sso?.protocol === 'saml') {
      // Single Logout: the IdP ends its session and sends the browser back to our SLO endpoint.
      const url = await connection.logoutUrl(sso.logout, '/signed-out').catch(() => undefined);
      if (url) return res.redirect(303, url);
    }
    res.redirect(303, connection ? `/signed-out?connection=${encodeURIComponent(connection.config.id)}` : '/signed-out');
  });

  router.get('/signed-out', async (req, res) => {
    if (req.session.user) return res.redirect('/admin');
    const connection = typeof req.query.connection === 'string' ? await deps.connections.get(req.query.connection) : undefined;
    const endSession = connection?.protocol === 'oidc' ? await connection.endSessionUrl() : undefined;
    res.render('auth/signed-out', { title: 'Signed out', idpName: connection?.config.displayName, endSession, idpUnconfirmed: req.query.idp === 'unconfirmed' });
  });

  return router;
}

/**
 * A short code for the audit log. openid-client names the parameter or claim that failed in its
 * message or its cause's message (the rest of `cause` holds the token's claims: never logged); the
 * IdP's own error is in `error`.
 */
function oidcFailureReason(e: unknown): string {
  const err = e as { message?: string; code?: string; error?: string; name?: string; cause?: { message?: unknown } };
  const messages = `${err.message ?? ''} ${typeof err.cause?.message === 'string' ? err.cause.message : ''}`;
  const which = /"(state|iss|nonce|aud|azp|sub|exp|iat)"/.exec(messages)?.[1];
  if (which) return `${which}-mismatch`;
  return String(err.error ?? err.code ?? err.name ?? 'error');
}
