import type { PassportSamlConfig, Profile } from '@node-saml/passport-saml';
import type { SamlLogoutInfo } from '../../domain/types.js';
import type { SignInTransaction } from '../session.js';

/** Who a partner's IdP says signed in. */
export interface SsoIdentity {
  sub: string;
  email: string;
  name: string;
  groups: string[];
}

export type { SamlLogoutInfo } from '../../domain/types.js';

interface ConnectionBase {
  readonly config: { id: string; partner: string; displayName: string };
  rolesFor(groups: string[]): string[];
}

/** What the routes need from an OpenID Connect connection (src/auth/oidc.ts). */
export interface OidcSso extends ConnectionBase {
  readonly protocol: 'oidc';
  start(returnTo: string, loginHint?: string): Promise<{ url: string; transaction: SignInTransaction }>;
  finish(callbackPathAndQuery: string, tx: SignInTransaction): Promise<SsoIdentity>;
  endSessionUrl(): Promise<string | undefined>;
}

/** What the routes need from a SAML connection (src/auth/saml.ts). */
export interface SamlSso extends ConnectionBase {
  readonly protocol: 'saml';
  start(returnTo: string): Promise<{ url: string }>;
  samlOptions(): Promise<PassportSamlConfig>;
  identify(profile: Profile): Promise<SsoIdentity & { logout: SamlLogoutInfo }>;
  logoutUrl(info: SamlLogoutInfo, returnTo: string): Promise<string | undefined>;
  metadata(): string;
  /** IdP origins our forms may be redirected to (for CSP form-action). */
  formOrigins(): string[];
  /** A short audit code for why a posted response was refused. */
  failureReason(err: unknown, samlResponse: unknown): string;
}

export type SsoConnection = OidcSso | SamlSso;

/**
 * Finds connections at request time (configured ones and those made in the console), so a new,
 * edited or disabled connection counts at once, on every instance. Disabled ones are not found.
 */
export interface ConnectionLookup {
  get(id: string): Promise<SsoConnection | undefined>;
  /** The partner's enabled connections. */
  forPartner(partnerId: string): Promise<SsoConnection[]>;
}

/** A lookup over a fixed list (no console-made connections). */
export function fixedConnections(connections: SsoConnection[]): ConnectionLookup {
  const byId = new Map(connections.map((c) => [c.config.id, c]));
  return {
    get: async (id) => byId.get(id),
    forPartner: async (partnerId) => connections.filter((c) => c.config.partner === partnerId),
  };
}

declare module 'express-session' {
  interface SessionData {
    /** How the admin signed in, for sign-out at the IdP. */
    sso?: { protocol: 'oidc' } | { protocol: 'saml'; logout: SamlLogoutInfo };
    /** A one-time message for the sign-in page (why the last session ended). */
    signInNotice?: string;
  }
}
