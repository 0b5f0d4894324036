import * as client from 'openid-client';
import type { OidcConnectionConfig } from '../config/schema.js';

export interface OidcTransaction {
  connectionId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

export interface OidcIdentity {
  sub: string;
  email: string;
  name: string;
  groups: string[];
}

/** One partner's OpenID Connect connection: discovery once, then code flow with PKCE, state and nonce. */
export class OidcConnection {
  private discovered: Promise<client.Configuration> | undefined;

  constructor(readonly config: OidcConnectionConfig, private readonly publicUrl: string) {}

  get redirectUri(): string {
    return `${this.publicUrl.replace(/\/$/, '')}/auth/${this.config.id}/callback`;
  }

  private configuration(): Promise<client.Configuration> {
    const c = this.config;
    this.discovered ??= client
      .discovery(new URL(c.issuer), c.clientId, undefined, client.ClientSecretBasic(c.clientSecret), c.allowInsecureIssuer ? { execute: [client.allowInsecureRequests] } : undefined)
      .catch((e: unknown) => {
        this.discovered = undefined; // try again on the next sign-in
        throw e;
      });
    return this.discovered;
  }

  async start(returnTo: string, loginHint?: string): Promise<{ url: string; transaction: OidcTransaction }> {
    const config = await this.configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const transaction: OidcTransaction = {
      connectionId: this.config.id, state: client.randomState(), nonce: client.randomNonce(), codeVerifier, returnTo,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.config.scope,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
      ...(loginHint ? { login_hint: loginHint } : {}),
    });
    return { url: url.href, transaction };
  }

  /** Validates the callback (state, nonce, iss, PKCE, id token signature) and returns who signed in. */
  async finish(callbackPathAndQuery: string, tx: OidcTransaction): Promise<OidcIdentity> {
    const config = await this.configuration();
    const currentUrl = new URL(callbackPathAndQuery, this.publicUrl);
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: tx.codeVerifier, expectedState: tx.state, expectedNonce: tx.nonce, idTokenExpected: true,
    });
    let claims: Record<string, unknown> = { ...tokens.claims() };
    if (!claims.email || claims[this.config.roleClaim] === undefined) {
      claims = { ...claims, ...(await client.fetchUserInfo(config, tokens.access_token, String(claims.sub))) };
    }
    const raw = claims[this.config.roleClaim];
    const groups = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : [];
    return { sub: String(claims.sub), email: String(claims.email ?? ''), name: String(claims.name ?? claims.email ?? claims.sub), groups };
  }

  rolesFor(groups: string[]): string[] {
    return Object.entries(this.config.roles).filter(([, values]) => values.some((v) => groups.includes(v))).map(([role]) => role);
  }
}
