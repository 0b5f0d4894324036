import type { Request, Response } from 'express';
import type { SessionData } from 'express-session';
import { AppError } from '../../domain/errors.js';
import type { Clock } from '../../domain/ports.js';
import type { AdminUser } from '../../domain/types.js';
import type { SignInService } from '../../services/signin.js';
import { requestContext, safeReturnTo } from '../middleware/context.js';
import type { SsoConnection, SsoIdentity } from './connection.js';

export const regenerate = (req: Request) => new Promise<void>((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
export const save = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));

export interface SignInDeps {
  signIn: SignInService;
  clock: Clock;
}

/** Records why a sign-in failed (a reason code, never the token or assertion) and shows a plain page. */
export async function refuseSignIn(deps: SignInDeps, req: Request, connection: SsoConnection, reason: string): Promise<never> {
  await deps.signIn.failed(connection.config.id, connection.config.partner, reason.slice(0, 60), requestContext(req));
  throw new AppError('SIGNIN_FAILED', 400, 'We could not complete your sign-in with your company account. Please sign in again.');
}

/**
 * Admits (or refuses) the identity the connection vouched for, then starts a new session under a
 * new id: nothing from before sign-in carries over, so a planted session id is worthless.
 */
export async function completeSignIn(
  deps: SignInDeps, req: Request, res: Response,
  connection: SsoConnection, identity: SsoIdentity, returnTo: string, sso: NonNullable<SessionData['sso']>,
): Promise<void> {
  const user = await deps.signIn.admit({
    connectionId: connection.config.id, partnerId: connection.config.partner, sub: identity.sub,
    email: identity.email, name: identity.name, roles: connection.rolesFor(identity.groups),
  }, requestContext(req));
  await regenerate(req);
  req.session.user = user;
  req.session.signedInAt = deps.clock.now().getTime();
  req.session.sso = sso;
  await save(req);
  res.redirect(303, landing(user, safeReturnTo(returnTo)));
}

/** An IdP admin without the partner console lands on their own pages rather than on a refusal. */
function landing(user: AdminUser, returnTo: string): string {
  if (returnTo === '/admin' && !user.roles.includes('partner-admin') && user.roles.includes('idp-admin')) return '/idp-admin';
  return returnTo;
}
