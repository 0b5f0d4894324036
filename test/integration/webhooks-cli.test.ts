// `resetbridge webhooks …`: a subscription made at the command line is delivered to by the server.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, AdminUser } from '../../src/domain/types.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { startProduct } from '../support/product.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const cli = (args: string[], env: Record<string, string>) => cliRun(['webhooks', ...args], env);

async function cliRun(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(root, 'bin', 'resetbridge.js'), ...args], {
      cwd: root, env: { ...process.env, ...env }, timeout: 60_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('resetbridge webhooks (embedded store, instance stopped)', () => {
  let dataDir: string;
  let smtp: SmtpSink;
  let receiver: WebhookReceiver;
  const env = () => ({ RESETBRIDGE_DATA_DIR: dataDir, DATABASE_URL: '' });
  const start = () => startProduct({ webhooks: { pollMs: 50 } }, { dataDir, smtp });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-webhooks-cli-'));
    smtp = await SmtpSink.start();
    receiver = await WebhookReceiver.start();
    await (await start()).stop();
  });
  afterAll(async () => {
    await receiver?.close();
    await smtp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a subscription whose secret verifies what the server sends, also for resets issued at the command line; lists it without the secret, deletes it', async () => {
    const created = await cli(['create', '--name', 'Platform (CLI)', '--url', receiver.url, '--events', 'reset.issued, reset.completed', '--partner', 'northwind', '--json'], env());
    expect(created.code, created.stderr).toBe(0);
    const { id, secret, events, partnerId } = JSON.parse(created.stdout) as { id: string; secret: string; events: string[]; partnerId: string };
    expect(events).toEqual(['reset.issued', 'reset.completed']);
    expect(partnerId).toBe('northwind');

    const product = await start();
    let account: Account;
    let other: Account;
    try {
      const c = (await product.store.listCustomers('northwind', { page: 1, pageSize: 1 })).items[0]!;
      [account, other] = await product.store.listAccounts('northwind', c.id) as [Account, Account];
      const admin: AdminUser = { sub: 'alice', connectionId: 'test', partnerId: 'northwind', email: 'alice@northwind-partners.example', name: 'Alice', roles: ['partner-admin'] };
      await product.services.reset.issue(admin, c.id, account.id, { ip: '127.0.0.1', userAgent: 'test' });
      const got = await receiver.waitFor('reset.issued', (r) => r.json.type === 'reset.issued');
      expect(verifyWebhookSignature({ secret, header: got.headers['resetbridge-signature'] as string, body: got.body })).toBe(true);
    } finally {
      await product.stop();
    }

    const listed = await cli(['list', '--json'], env());
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).not.toContain('sealedSecret');

    const refused = await cli(['create', '--name', 'Plain', '--url', 'http://receiver.example/x', '--events', 'reset.issued'], env());
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Use an https:// URL');

    // A reset issued at the command line, with the instance stopped, is delivered once it starts.
    const reset = await cliRun(['reset', '--partner', 'northwind', '--account', other.id, '--yes', '--mail-wait', '0'], env());
    expect(reset.code, reset.stderr).toBe(0);
    const again = await start();
    try {
      const got = await receiver.waitFor('reset.issued from the command line', (r) => r.json.type === 'reset.issued' && JSON.stringify(r.json).includes(other.id));
      expect(verifyWebhookSignature({ secret, header: got.headers['resetbridge-signature'] as string, body: got.body })).toBe(true);
    } finally {
      await again.stop();
    }

    expect((await cli(['delete', id], env())).code).toBe(0);
    expect((await cli(['list', '--json'], env())).stdout).not.toContain(id);
  });
});
