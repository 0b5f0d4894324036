import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields } from '../support/http-client.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = path.join(os.tmpdir(), `resetbridge-dkim-${process.pid}.pem`);
let product: Product;

beforeAll(async () => {
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  product = await startProduct();
});
afterAll(async () => {
  await product?.stop();
});

/** A DNS resolver that knows one DKIM record: the public half of the test key. */
const resolver = async (name: string, type: string) => {
  if (type === 'TXT' && name === 'rb2026._domainkey.partners.example') {
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    return [[`v=DKIM1; k=rsa; p=${p}`]];
  }
  throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
};

describe('mail signing', () => {
  it('signs every mail with DKIM so that a receiver verifies it against the published key', async () => {
    // Reconfigure: the same product settings plus DKIM (a second instance on the same SMTP sink).
    const signed = await startProduct({
      mail: {
        from: 'Partners <no-reply@partners.example>',
        transport: { type: 'smtp', host: '127.0.0.1', port: product.smtp.port, secure: false, pool: false },
        pollMs: 100,
        dkim: { domainName: 'partners.example', keySelector: 'rb2026', privateKey: `file:${keyFile}` },
      },
    } as never);
    try {
      const account = (await signed.store.listAccounts('northwind', (await signed.store.listCustomers('northwind', { page: 1, pageSize: 1 })).items[0]!.id))[0]!;
      const client = new HttpClient();
      const form = await client.get(`${signed.url}/forgot/northwind`);
      await client.post(`${signed.url}/forgot/northwind`, { ...formFields(form.text), identifier: account.login });
      await product.smtp.waitFor((m) => recipient(m).includes(account.email));
      const raw = product.smtp.raw[product.smtp.messages.findIndex((m) => recipient(m).includes(account.email))]!;
      expect(raw.toString('latin1')).toMatch(/^DKIM-Signature: .*d=partners\.example/m);
      const result = await dkimVerify(raw, { resolver });
      expect(result.results[0]?.status.result).toBe('pass');
      const tampered = Buffer.from(raw.toString('latin1').replace('Someone asked', 'Somebody asked'), 'latin1');
      expect((await dkimVerify(tampered, { resolver })).results[0]?.status.result).not.toBe('pass');
    } finally {
      await signed.stop();
    }
  });

  it('refuses a DKIM key that is not a PEM private key, naming the setting', async () => {
    writeFileSync(`${keyFile}.bad`, 'not a key');
    await expect(startProduct({
      mail: { transport: { type: 'file', dir: 'mail' }, dkim: { domainName: 'x.example', keySelector: 's', privateKey: `file:${keyFile}.bad` } },
    } as never)).rejects.toThrow(/mail\.dkim\.privateKey: not a PEM private key/);
  });
});
