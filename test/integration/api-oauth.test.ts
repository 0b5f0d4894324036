// OAuth 2.0 client credentials: the API accepts JWT access tokens from the configured authorization
// server (a real oidc-provider here), and refuses every token it should not trust.
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProduct, type Product } from '../support/product.js';
import { startOAuthServer, type OAuthServer } from '../support/oauth-server.js';
import { apiClient, type ApiResponse } from './api-fixture.js';

const AUDIENCE = 'https://api.resetbridge.test';

let product: Product;
let auth: OAuthServer;
/** Another authorization server: its tokens and keys mean nothing to the product. */
let stranger: OAuthServer;
/** Moves the product's clock forward, to let tokens expire. */
let offsetMs = 0;

beforeAll(async () => {
  const clients = [
    { clientId: 'licensing-platform', scopes: ['tenants:write', 'resets:write', 'audit:read'] },
    { clientId: 'read-only', scopes: ['tenants:read'] },
    { clientId: 'contoso-portal', scopes: ['tenants:read', 'resets:write'], partner: 'contoso' },
  ];
  [auth, stranger] = await Promise.all([startOAuthServer(clients), startOAuthServer(clients)]);
  product = await startProduct({
    api: { oauth: { issuer: auth.issuer, audience: AUDIENCE, partnerClaim: 'partner', clockToleranceSeconds: 5, allowInsecureIssuer: true } },
  }, { clock: { now: () => new Date(Date.now() + offsetMs) } });
});
afterAll(async () => {
  await product?.stop();
  await auth?.close();
  await stranger?.close();
});

const call = (token: string) => apiClient(product, token);
const tokenFor = (clientId: string, scope?: string) => auth.token(clientId, { resource: AUDIENCE, ...(scope ? { scope } : {}) });

function expectRefused(res: ApiResponse, reason: RegExp): void {
  expect(res.status, res.text).toBe(401);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body.type).toBe('https://resetbridge.dev/problems/unauthorized');
  expect(res.body.detail).toMatch(reason);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="resetbridge", error="invalid_token", error_description="[^"]+"$/);
}

describe('OAuth access tokens on the API', () => {
  it('accepts a token from the configured issuer, and audits the work as the token\'s client', async () => {
    const api = call(await tokenFor('licensing-platform', 'tenants:write resets:write'));
    const list = await api('GET', '/partners/northwind/customers?limit=2');
    expect(list.status, list.text).toBe(200);
    expect(list.body.items).toHaveLength(2);

    const created = await api('POST', '/partners/northwind/customers', { name: 'Token Made Ltd', externalId: 'oauth-1' });
    expect(created.status, created.text).toBe(201);
    const event = (await product.store.listAudit('northwind')).find((e) => e.target === `customer:${created.body.id}`);
    expect(event?.actor).toBe('api-client:oauth:licensing-platform');
  });

  it('refuses a token issued for another audience', async () => {
    const token = await auth.token('licensing-platform', { resource: 'https://other-api.example', scope: 'tenants:write' });
    expectRefused(await call(token)('GET', '/partners/northwind'), /another audience/);
  });

  it('refuses an expired token', async () => {
    const token = await tokenFor('licensing-platform', 'tenants:write');
    expect((await call(token)('GET', '/partners/northwind')).status).toBe(200);
    offsetMs = 10 * 60_000;
    try {
      expectRefused(await call(token)('GET', '/partners/northwind'), /expired/);
    } finally {
      offsetMs = 0;
    }
  });

  it("refuses a token from another issuer, and one made to look like ours but signed with another server's key", async () => {
    const foreign = await stranger.token('licensing-platform', { resource: AUDIENCE, scope: 'tenants:write' });
    expectRefused(await call(foreign)('GET', '/partners/northwind'), /signature|another issuer/);

    // Our issuer, our audience, our key id: only the signature gives it away.
    const ours = await tokenFor('licensing-platform', 'tenants:write');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT({ ...decodeJwt(ours), jti: randomUUID() })
      .setProtectedHeader({ ...decodeProtectedHeader(ours), alg: 'RS256' })
      .sign(privateKey);
    expectRefused(await call(forged)('GET', '/partners/northwind'), /signature/);
  });

  it('refuses unsigned and shared-secret (HS256) tokens', async () => {
    const claims = decodeJwt(await tokenFor('licensing-platform', 'tenants:write'));
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`;
    expectRefused(await call(unsigned)('GET', '/partners/northwind'), /algorithm|well-formed/);
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(Buffer.alloc(32, 7));
    expectRefused(await call(hs)('GET', '/partners/northwind'), /algorithm/);
  });

  it('answers 403 insufficient-scope to a token without the scope an operation needs', async () => {
    const api = call(await tokenFor('read-only', 'tenants:read'));
    expect((await api('GET', '/partners/northwind')).status).toBe(200);
    const res = await api('POST', '/partners/northwind/customers', { name: 'Not Allowed Ltd' });
    expect(res.status).toBe(403);
    expect(res.body.type).toBe('https://resetbridge.dev/problems/insufficient-scope');
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="tenants:write"');
    expect((await product.store.pageCustomers('northwind', { limit: 5, q: 'Not Allowed Ltd' })).items).toEqual([]);
  });

  it("confines a token carrying a partner claim to that partner: another partner's data answers 404", async () => {
    const api = call(await tokenFor('contoso-portal', 'tenants:read resets:write'));
    expect((await api('GET', '/partners/contoso')).status).toBe(200);
    const customer = (await product.store.listCustomers('northwind', { page: 1, pageSize: 1 })).items[0]!;
    const account = (await product.store.listAccounts('northwind', customer.id))[0]!;
    for (const [method, path] of [
      ['GET', '/partners/northwind'],
      ['GET', '/partners/northwind/customers'],
      ['GET', `/partners/northwind/customers/${customer.id}`],
      ['POST', `/partners/northwind/accounts/${account.id}/resets`],
    ] as const) {
      const res = await api(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.type).toBe('https://resetbridge.dev/problems/not-found');
    }
    expect(await product.store.listResets('northwind', account.id)).toEqual([]);
  });

  it("still accepts API clients' own credentials beside access tokens", async () => {
    const id = `rbc_${randomBytes(10).toString('hex')}`;
    const secret = randomBytes(32).toString('base64url');
    await product.store.saveApiClient({
      id, name: 'Own client', scopes: ['tenants:read'], secretHash: createHash('sha256').update(secret).digest('hex'),
      createdAt: new Date().toISOString(), createdBy: 'operator:test',
    });
    expect((await call(`${id}.${secret}`)('GET', '/partners/northwind')).status).toBe(200);
    expect((await call(`${id}.${'x'.repeat(43)}`)('GET', '/partners/northwind')).status).toBe(401);
  });

  it('answers 503 with Retry-After, not 401, while the issuer\'s keys cannot be read', async () => {
    // A port that was free a moment ago: nothing answers there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const down = await startProduct({
      api: { oauth: { issuer: auth.issuer, audience: AUDIENCE, jwksUri: `http://127.0.0.1:${port}/jwks`, allowInsecureIssuer: true } },
    });
    try {
      const res = await apiClient(down, await tokenFor('licensing-platform', 'tenants:write'))('GET', '/partners/northwind');
      expect(res.status, res.text).toBe(503);
      expect(res.body.type).toBe('https://resetbridge.dev/problems/unavailable');
      expect(res.headers.get('retry-after')).toBe('30');
    } finally {
      await down.stop();
    }
  });

  it('never writes the token to the log', async () => {
    const token = await tokenFor('licensing-platform', 'tenants:write');
    await call(token)('GET', '/partners/northwind');
    expect(product.logLines.join('\n')).not.toContain(token.split('.')[2]);
  });
});
