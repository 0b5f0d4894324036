import type { RequestHandler } from 'express';
import type { AdminUser } from '../domain/types.js';

export interface SignInTransaction {
  connectionId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

declare module 'express-session' {
  interface SessionData {
    user?: AdminUser;
    signedInAt?: number;
    signIn?: SignInTransaction;
    flash?: string;
  }
}

/** Ends a session past its absolute lifetime even while it is being used. */
export function absoluteTimeout(hours: number): RequestHandler {
  return (req, _res, next) => {
    const at = req.session?.signedInAt;
    if (req.session?.user && at && Date.now() - at > hours * 3600_000) {
      req.session.destroy(() => next());
      return;
    }
    next();
  };
}
