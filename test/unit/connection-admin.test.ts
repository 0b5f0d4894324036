import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectionProbe } from '../../src/auth/connection-probe.js';
import { connectionSecretBox } from '../../src/auth/connection-secrets.js';
import { AuditLog } from '../../src/services/audit.js';
import { ConnectionAdminService } from '../../src/services/connections.js';
import { sharedI18n, type Message } from '../../src/i18n/index.js';
import { LowdbStore } from '../../src/store/lowdb/index.js';

// In production (no http:// IdPs allowed) the console refuses a plain-http issuer or metadata URL
// before reading anything from it, each with a message at its field.

const dana = { sub: 'dana', connectionId: 'c', partnerId: 'northwind', email: 'dana@northwind.example', name: 'Dana', roles: ['idp-admin'] };
const ctx = { ip: '127.0.0.1', userAgent: 'test' };
let dir: string;
let store: LowdbStore;
let service: ConnectionAdminService;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-connections-'));
  store = await LowdbStore.open(dir);
  await store.importTenants({ partners: [{ id: 'northwind', name: 'Northwind', domains: ['northwind.example'] }] });
  const clock = { now: () => new Date() };
  service = new ConnectionAdminService({
    store, clock, audit: new AuditLog(store, clock), box: connectionSecretBox(randomBytes(32)),
    checks: connectionProbe({ allowInsecure: false }), configured: () => [], publicUrl: 'https://reset.example.com', allowInsecure: false,
  });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A field error as the English console shows it. */
const english = (e: string | Message | undefined) => (typeof e === 'object' ? sharedI18n().for('en').message(e) : e);

const common = { partnerId: 'northwind', displayName: 'Northwind', roleClaim: 'groups', partnerAdminValues: 'admins' };

describe('connections in production', () => {
  it('refuses an http:// OIDC issuer', async () => {
    const result = await service.save(dana, 'oidc', undefined, {
      ...common, id: 'nw-oidc', issuer: 'http://idp.northwind.example', clientId: 'rb', clientSecret: 's3cret-value', tokenEndpointAuth: 'client_secret_basic',
    }, ctx);
    expect(result.ok).toBe(false);
    expect(!result.ok && Object.keys(result.errors)).toEqual(['issuer']);
    expect(english(!result.ok ? result.errors.issuer : undefined)).toBe('The issuer must be an https:// URL.');
    expect(await store.listConnections()).toEqual([]);
  });

  it('refuses an http:// SAML metadata URL', async () => {
    const result = await service.save(dana, 'saml', undefined, {
      ...common, id: 'nw-saml', metadataSource: 'url', metadataUrl: 'http://idp.northwind.example/metadata', clockSkewSeconds: '60',
    }, ctx);
    expect(result.ok).toBe(false);
    expect(english(!result.ok ? result.errors.metadataUrl : undefined)).toMatch(/must be https:\/\//);
  });

  it('refuses an admin without the idp-admin role', async () => {
    await expect(service.list({ ...dana, roles: ['partner-admin'] })).rejects.toMatchObject({ status: 403 });
  });
});
