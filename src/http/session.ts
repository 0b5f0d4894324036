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
