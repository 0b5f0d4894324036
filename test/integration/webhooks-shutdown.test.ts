// SIGTERM while a webhook is being posted: the instance waits for the answer and records it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { AdminUser } from '../../src/domain/types.js';
import { webhookSecretBox } from '../../src/services/webhooks.js';
import { LowdbStore } from '../../src/store/lowdb/index.js';
import { newSecrets, startProduct } from '../support/product.js';
import { until } from '../support/wait.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-webhooks-stop-'));
let receiver: WebhookReceiver | undefined;

afterAll(async () => {
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('finishes a delivery in flight before it stops, and logs it as delivered', async () => {
  receiver = await WebhookReceiver.start();
  receiver.answers.push({ status: 200, delayMs: 1500 });
  const secrets = newSecrets();
  const product = await startProduct({ webhooks: { pollMs: 50 } }, { dataDir, secrets });
  const box = webhookSecretBox(Buffer.from(secrets.dataKey, 'base64'));
  await product.store.saveWebhook({
    id: 'whk_00000000000000000001', name: 'Slow receiver', url: receiver.url, events: ['reset.issued'],
    sealedSecret: box.seal('whsec_test'), createdAt: new Date().toISOString(), createdBy: 'test',
  });
  const c = (await product.store.listCustomers('northwind', { page: 1, pageSize: 1 })).items[0]!;
  const account = (await product.store.listAccounts('northwind', c.id))[0]!;
  const admin: AdminUser = { sub: 'alice', connectionId: 'test', partnerId: 'northwind', email: 'alice@northwind-partners.example', name: 'Alice', roles: ['partner-admin'] };
  await product.services.reset.issue(admin, c.id, account.id, { ip: '127.0.0.1', userAgent: 'test' });

  await until('the POST to arrive', () => receiver!.received.length > 0);
  const stopping = Date.now();
  await product.stop();
  // The receiver held its answer for 1.5 s from arrival; stopping waited for it.
  expect(Date.now() - stopping).toBeGreaterThan(1000);

  const store = await LowdbStore.open(dataDir);
  try {
    const [delivery] = await store.listWebhookDeliveries('whk_00000000000000000001', 10);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(delivery?.log.map((a) => a.statusCode)).toEqual([200]);
  } finally {
    await store.close();
  }
});
