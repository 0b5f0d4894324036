// The SCIM plugin as the product runs it: loaded by the registry from configuration with the token as an
// env: reference, driven by the sync dispatcher, against a real SCIM server.
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account, Customer } from '../../src/domain/types.js';
import { SyncDispatcher } from '../../src/sync/dispatcher.js';
import { DirectoryConfigError, loadDirectories } from '../../src/sync/registry.js';
import type { DirectoryRegistry } from '../../src/sync/registry.js';
import { startScimServer } from '../support/scim-server.js';
import type { ScimServer } from '../support/scim-server.js';

const PLUGINS = resolve(import.meta.dirname, '../../plugins');
const INITIAL = 'Initial-Scim-Pass-1';
const NEW = 'Engine-Scim-Passphrase-4';

const customer: Customer = { id: 'c1', partnerId: 'p1', name: 'Acme', directory: { instance: 'acme-scim', mapping: 'email' } };
const account: Account = {
  id: 'a1', partnerId: 'p1', customerId: 'c1', name: 'Alice', login: 'alice', email: 'alice@acme.example',
};

let server: ScimServer;
let registry: DirectoryRegistry | undefined;
let logs: Array<{ level: string; obj: object; msg?: string }>;
const logger = {
  info: (obj: object, msg?: string) => void logs.push({ level: 'info', obj, ...(msg ? { msg } : {}) }),
  warn: (obj: object, msg?: string) => void logs.push({ level: 'warn', obj, ...(msg ? { msg } : {}) }),
  error: (obj: object, msg?: string) => void logs.push({ level: 'error', obj, ...(msg ? { msg } : {}) }),
};

beforeEach(async () => {
  logs = [];
  server = await startScimServer({
    minLength: 12,
    users: [{ userName: 'alice', password: INITIAL, emails: ['alice@acme.example'] }],
  });
});
afterEach(async () => {
  await registry?.close();
  registry = undefined;
  await server.stop();
});

async function load(env: NodeJS.ProcessEnv = { ACME_SCIM_TOKEN: server.token }) {
  registry = await loadDirectories([{
    id: 'acme-scim',
    plugin: 'scim',
    config: { baseUrl: server.url, token: 'env:ACME_SCIM_TOKEN', allowInsecureHttp: true, timeoutMs: 2000 },
  }], { pluginDirs: [PLUGINS], dataDir: '/nonexistent', logger, env });
  return registry;
}

describe('scim plugin in the sync engine', () => {
  it('loads with the token from the environment and never shows it in the redacted config', async () => {
    const r = await load();
    expect(r.redactedConfig('acme-scim')).toMatchObject({ token: '••••', baseUrl: server.url });
    expect(await r.get('acme-scim')!.adapter.testConnection()).toMatchObject({ ok: true });
  });

  it('stops loading with the variable named when the token variable is missing', async () => {
    const err = await load({}).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DirectoryConfigError);
    expect((err as Error).message).toContain('ACME_SCIM_TOKEN');
  });

  it('waits as long as Retry-After asks after a 503, then writes the password', async () => {
    const slept: number[] = [];
    const dispatcher = new SyncDispatcher(await load(), {
      logger, maxAttempts: 3, deadlineMs: 60_000, sleep: async (ms) => void slept.push(ms),
    });
    server.failNext(1, { status: 503, retryAfter: '3', detail: 'Maintenance' }, 'PATCH');
    expect(await dispatcher.apply(customer, account, NEW)).toEqual({ kind: 'applied' });
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(3000);
    expect(await server.checkPassword(server.idOf('alice')!, NEW)).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(NEW);
  });

  it('shows the user the policy words and logs neither password nor token', async () => {
    const dispatcher = new SyncDispatcher(await load(), { logger, sleep: async () => undefined });
    const outcome = await dispatcher.apply(customer, account, 'Tiny-Pass-9');
    expect(outcome).toEqual({ kind: 'policy', message: 'This password is too short. Use at least 12 characters.' });
    const logged = JSON.stringify(logs);
    expect(logged).toContain('invalidValue');
    expect(logged).not.toContain('Tiny-Pass-9');
    expect(logged).not.toContain(server.token);
  });

  it('reports a refused token as a configuration problem without retrying', async () => {
    const dispatcher = new SyncDispatcher(await load({ ACME_SCIM_TOKEN: 'not-the-token' }), { logger, sleep: async () => undefined });
    const before = server.requests.length;
    expect(await dispatcher.apply(customer, account, NEW)).toEqual({ kind: 'config' });
    expect(server.requests.length - before).toBe(1);
    expect(JSON.stringify(logs)).toContain('AUTH_FAILED');
    expect(JSON.stringify(logs)).not.toContain('not-the-token');
  });
});
