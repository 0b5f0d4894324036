// A real OAuth 2.0 authorization server for tests: oidc-provider in-process, client credentials
// enabled, resource indicators on, so it issues JWT access tokens (RFC 9068) for an API audience.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type Configuration, type JWK } from 'oidc-provider';

export interface OAuthTestClient {
  clientId: string;
  /** Scopes the client may get (for any resource). */
  scopes: string[];
  /** Put into every token of this client as the `partner` claim. */
  partner?: string;
}

export interface OAuthServer {
  issuer: string;
  /** A client credentials grant; the access token, or throws with the server's answer. */
  token(clientId: string, opts?: { scope?: string; resource?: string }): Promise<string>;
  close(): Promise<void>;
}

const SECRET = 'client-credentials-secret';

/** JWT access tokens and client credentials are never stored: a store that keeps nothing is enough. */
class NoStore implements Adapter {
  async upsert(): Promise<void> {}
  async find(): Promise<undefined> { return undefined; }
  async findByUid(): Promise<undefined> { return undefined; }
  async findByUserCode(): Promise<undefined> { return undefined; }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

function signingKey(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

/** Starts the server; every resource indicator is accepted, so a client may ask for a token for another API. */
export async function startOAuthServer(clients: OAuthTestClient[], opts: { accessTokenTtlSeconds?: number } = {}): Promise<OAuthServer> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const byId = new Map(clients.map((c) => [c.clientId, c]));

  const configuration: Configuration = {
    adapter: NoStore,
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: clients.map((c) => ({
      client_id: c.clientId, client_secret: SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:unused',
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource, client) => ({
          scope: byId.get(client.clientId)?.scopes.join(' ') ?? '',
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: opts.accessTokenTtlSeconds ?? 300,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    ttl: { ClientCredentials: opts.accessTokenTtlSeconds ?? 300 },
    extraTokenClaims: (_ctx, token) => {
      const partner = byId.get(String((token as { clientId?: string }).clientId))?.partner;
      return partner ? { partner } : undefined;
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.app.on('error', () => undefined);
  handler = provider.callback();

  return {
    issuer,
    async token(clientId, { scope, resource } = {}) {
      const form = new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}), ...(resource ? { resource } : {}) });
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${SECRET}`).toString('base64')}` },
        body: form.toString(),
      });
      const body = await res.json() as { access_token?: string };
      if (!res.ok || !body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
