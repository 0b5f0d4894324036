// `resetbridge clients …`: the operator's way to make, list, rotate and revoke API clients.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, freshSchema, type TestSchema } from '../contract/store-postgres-fixture.js';
import { startProduct, type Product } from '../support/product.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { apiClient } from './api-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function cli(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(root, 'bin', 'resetbridge.js'), 'clients', ...args], {
      cwd: root, env: { ...process.env, ...env }, timeout: 60_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('resetbridge clients (embedded store, instance stopped)', () => {
  let dataDir: string;
  let smtp: SmtpSink;
  // DATABASE_URL emptied: these commands must use the embedded store even where PostgreSQL tests run.
  const env = () => ({ RESETBRIDGE_DATA_DIR: dataDir, DATABASE_URL: '' });
  const start = () => startProduct({}, { dataDir, smtp });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-cli-'));
    smtp = await SmtpSink.start();
    await (await start()).stop();
  });
  afterAll(async () => {
    await smtp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a client whose token works once the instance is back, lists it, rotates and revokes it', async () => {
    const created = await cli(['create', '--name', 'Platform (CLI)', '--scopes', 'tenants:read, resets:read', '--partner', 'northwind', '--json'], env());
    expect(created.code, created.stderr).toBe(0);
    const { id, token, scopes, partnerId } = JSON.parse(created.stdout) as { id: string; token: string; scopes: string[]; partnerId: string };
    expect(scopes).toEqual(['tenants:read', 'resets:read']);
    expect(partnerId).toBe('northwind');

    let product: Product = await start();
    try {
      const partners = await apiClient(product, token)('GET', '/partners');
      expect(partners.status).toBe(200);
      expect(partners.body.items.map((p: { id: string }) => p.id)).toEqual(['northwind']);
      const event = (await product.store.listAudit('northwind')).find((e) => e.type === 'api-client.created' && e.target === `api-client:${id}`);
      expect(event?.actor).toMatch(/^operator:cli/);
    } finally {
      await product.stop();
    }

    const listed = await cli(['list'], env());
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\tactive\\tPlatform \\(CLI\\)\\ttenants:read,resets:read\\tnorthwind\\t\\d{4}-`, 'm'));

    const rotated = await cli(['rotate', id], env());
    const newToken = /Authorization: Bearer (\S+)/.exec(rotated.stdout)?.[1];
    expect(newToken).toMatch(new RegExp(`^${id}\\.`));
    expect(newToken).not.toBe(token);
    product = await start();
    try {
      expect((await apiClient(product, token)('GET', '/partners')).status).toBe(401);
      expect((await apiClient(product, newToken)('GET', '/partners')).status).toBe(200);
    } finally {
      await product.stop();
    }

    expect((await cli(['revoke', id], env())).stdout).toContain(`revoked ${id}`);
    product = await start();
    try {
      expect((await apiClient(product, newToken)('GET', '/partners')).status).toBe(401);
    } finally {
      await product.stop();
    }
  }, 90_000);

  it('refuses an unknown scope or partner, naming what is wrong, and creates nothing', async () => {
    const badScope = await cli(['create', '--name', 'Bad', '--scopes', 'tenants:admin'], env());
    expect(badScope.code).not.toBe(0);
    expect(badScope.stderr).toContain('Unknown scope tenants:admin');
    const badPartner = await cli(['create', '--name', 'Bad', '--scopes', 'tenants:read', '--partner', 'nowhere'], env());
    expect(badPartner.stderr).toContain('There is no partner nowhere');
    expect((await cli(['list', '--json'], env())).stdout).not.toContain('"name":"Bad"');
  }, 60_000);
});

describe.skipIf(!databaseUrl)('resetbridge clients (PostgreSQL, instance running)', () => {
  let schema: TestSchema;
  let product: Product;

  beforeAll(async () => {
    schema = await freshSchema();
    product = await startProduct({}, { databaseUrl: schema.url });
  });
  afterAll(async () => {
    await product?.stop();
    await schema?.drop();
  });

  it('takes effect on the running instance at once: created, then revoked', async () => {
    const env = { DATABASE_URL: schema.url };
    const created = await cli(['create', '--name', 'Live', '--scopes', 'tenants:read', '--json'], env);
    const { id, token } = JSON.parse(created.stdout) as { id: string; token: string };
    expect((await apiClient(product, token)('GET', '/partners')).status).toBe(200);
    await cli(['revoke', id], env);
    expect((await apiClient(product, token)('GET', '/partners')).status).toBe(401);
  }, 60_000);
});
