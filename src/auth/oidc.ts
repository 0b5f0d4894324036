import { createPrivateKey, webcrypto } from 'node:crypto';
import * as client from 'openid-client';
import type { OidcConnectionConfig } from '../config/schema.js';
import { rolesFor, type SsoIdentity } from './identity.js';

export interface OidcTransaction {
  connectionId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

export type OidcIdentity = SsoIdentity;

/** One partner's OpenID Connect connection: discovery once, then code flow with PKCE, state and nonce. */
export class OidcConnection {
  readonly protocol = 'oidc';
  private discovered: Promise<client.Configuration> | undefined;

  constructor(readonly config: OidcConnectionConfig, private readonly publicUrl: string) {}

  get redirectUri(): string {
    return `${this.publicUrl.replace(/\/$/, '')}/auth/${this.config.id}/callback`;
  }

  private configuration(): Promise<client.Configuration> {
    const c = this.config;
    this.discovered ??= clientAuth(c)
      .then((auth) => client.discovery(new URL(c.issuer), c.clientId, undefined, auth, c.allowInsecureIssuer ? { execute: [client.allowInsecureRequests] } : undefined))
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

  /**
   * RP-initiated logout at the IdP, when it publishes an end_session_endpoint. It names the client
   * rather than passing an id_token_hint: no token ever travels in a URL.
   */
  async endSessionUrl(): Promise<string | undefined> {
    const config = await this.configuration().catch(() => undefined);
    if (!config?.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(config, { client_id: this.config.clientId }).href;
  }

  rolesFor(groups: string[]): string[] {
    return rolesFor(this.config.roles, groups);
  }
}

async function clientAuth(c: OidcConnectionConfig): Promise<client.ClientAuth> {
  if (c.tokenEndpointAuth === 'client_secret_post') return client.ClientSecretPost(c.clientSecret);
  if (c.tokenEndpointAuth === 'client_secret_basic') return client.ClientSecretBasic(c.clientSecret);
  const key = await importSigningKey(c.privateKey ?? '');
  return client.PrivateKeyJwt(c.privateKeyId ? { key, kid: c.privateKeyId } : key);
}

/** A PKCS#8 (or PKCS#1 / SEC1) PEM private key as a WebCrypto signing key: RSA → RS256, P-256 → ES256. */
export async function importSigningKey(pem: string): Promise<CryptoKey> {
  const keyObject = createPrivateKey(pem);
  const der = keyObject.export({ format: 'der', type: 'pkcs8' });
  const algorithm = keyObject.asymmetricKeyType === 'ec'
    ? { name: 'ECDSA', namedCurve: 'P-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']) as Promise<CryptoKey>;
}
