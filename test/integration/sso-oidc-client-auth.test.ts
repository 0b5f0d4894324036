import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields, formTarget, isRedirect, type Res } from '../support/http-client.js';
import { startProduct, type Product } from '../support/product.js';

// The token endpoint client authentications resetbridge offers, against a real oidc-provider that
// insists on each one, and the userinfo fallback: this provider keeps email and groups out of
// the ID token, so they can only come from userinfo.

let server: Server;
let issuer: string;
let product: Product;
const jwtKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const postSecret = randomBytes(24).toString('base64url');
const seenAuth: Record<string, string> = {};

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
  product = await startProduct({
    sso: {
      connections: [
        { id: 'contoso-post', type: 'oidc', partner: 'contoso', displayName: 'Contoso (post)', issuer, clientId: 'rb-post', clientSecret: postSecret, tokenEndpointAuth: 'client_secret_post', allowInsecureIssuer: true },
        { id: 'contoso-jwt', type: 'oidc', partner: 'contoso', displayName: 'Contoso (jwt)', issuer, clientId: 'rb-jwt', tokenEndpointAuth: 'private_key_jwt', privateKey: jwtKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), privateKeyId: 'rb-1', allowInsecureIssuer: true },
      ],
    },
  });
  const redirect = (id: string) => [`${product.url}/auth/${id}/callback`];
  const configuration: Configuration = {
    clients: [
      { client_id: 'rb-post', client_secret: postSecret, redirect_uris: redirect('contoso-post'), token_endpoint_auth_method: 'client_secret_post', grant_types: ['authorization_code'], response_types: ['code'] },
      {
        client_id: 'rb-jwt', redirect_uris: redirect('contoso-jwt'), token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [{ ...jwtKey.publicKey.export({ format: 'jwk' }), kid: 'rb-1', use: 'sig', alg: 'ES256' }] }, grant_types: ['authorization_code'], response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'op', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: `${sub}@contoso-reseller.example`, name: `Admin ${sub}`, groups: ['resetbridge-admins'] }),
    }),
    claims: { openid: ['sub'], email: ['email'], profile: ['name', 'groups'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
  };
  const provider = new Provider(issuer, configuration);
  provider.on('grant.success', (ctx) => {
    seenAuth[String(ctx.oidc.client?.clientId)] = String(ctx.oidc.client?.clientAuthMethod);
  });
  server.on('request', provider.callback());
}, 30_000);
afterAll(async () => {
  await product?.stop();
  await new Promise<void>((resolve) => {
    server?.close(() => resolve());
    server?.closeAllConnections();
  });
});

/** Drives oidc-provider's development sign-in and consent pages until it sends the browser back. */
async function signInThroughProvider(client: HttpClient, start: Res, login: string): Promise<Res> {
  let res = start;
  for (let step = 0; step < 12; step++) {
    if (isRedirect(res)) {
      if (!res.location.startsWith(issuer)) return client.get(res.location);
      res = await client.get(res.location);
      continue;
    }
    const selector = 'form[method="post"]';
    const fields = formFields(res.text, selector);
    res = await client.post(formTarget(res.text, res.url, selector).action, fields.prompt === 'login' ? { ...fields, login, password: 'any' } : fields);
  }
  throw new Error(`no way back from the provider: ${res.status} ${res.url}`);
}

describe('OIDC token endpoint authentication and userinfo', () => {
  for (const [connection, clientId, method] of [['contoso-post', 'rb-post', 'client_secret_post'], ['contoso-jwt', 'rb-jwt', 'private_key_jwt']] as const) {
    it(`signs in with ${method}, taking email and groups from userinfo when the ID token lacks them`, async () => {
      const client = new HttpClient();
      const callback = await signInThroughProvider(client, await client.get(`${product.url}/auth/${connection}/start`), 'dora');
      expect(callback.status).toBe(303);
      expect(seenAuth[clientId]).toBe(method);
      const landing = await client.follow(callback);
      expect(landing.text).toContain('Contoso Reseller');
      expect(landing.text).toContain('Admin dora');
      const event = (await product.store.listAudit()).filter((e) => e.type === 'admin.signin').at(-1);
      expect(event).toMatchObject({ outcome: 'success', actor: 'admin:dora@contoso-reseller.example', target: `connection:${connection}` });
    });
  }
});
