import type { RequestHandler } from 'express';
import type { Clock } from '../../domain/ports.js';
import type { SignInService } from '../../services/signin.js';
import { requestContext } from '../middleware/context.js';
import { regenerate } from './complete.js';

/**
 * Ends a signed-in session that is past its absolute lifetime (even while in use), or whose
 * partner, or the connection it signed in through, has been disabled (or deleted) since. The idle timeout is the session store's: an idle session's
 * record has expired there and is never loaded.
 */
export function sessionTimeouts(deps: {
  signIn: SignInService; clock: Clock; absoluteHours: number;
  /** Whether the connection is still there and enabled; unset, connections never go away. */
  connectionActive?: (id: string) => Promise<boolean>;
}): RequestHandler {
  return async (req, _res, next) => {
    const user = req.session?.user;
    if (!user) return next();
    const age = deps.clock.now().getTime() - (req.session.signedInAt ?? 0);
    const reason = age > deps.absoluteHours * 3600_000 ? 'absolute-timeout'
      : !(await deps.signIn.stillAllowed(user)) ? 'partner-disabled'
        : deps.connectionActive && !(await deps.connectionActive(user.connectionId)) ? 'connection-disabled'
          : undefined;
    if (!reason) return next();
    await deps.signIn.signedOut(user, requestContext(req), reason);
    await regenerate(req);
    req.session.signInNotice = reason === 'absolute-timeout'
      ? `Your session ended: sessions last at most ${deps.absoluteHours} hours. Sign in again.`
      : reason === 'connection-disabled'
        ? 'The company sign-in you used has been turned off. Sign in another way, or ask your administrator.'
        : 'Your organisation does not have access to resetbridge at the moment. Ask your administrator.';
    next();
  };
}
