// The ldap plugin as the product runs it: loaded from configuration (service password by env:, CA by
// file:), driven by the sync engine, and at the end of a whole admin-initiated reset, against a real slapd.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, Customer } from '../../src/domain/types.js';
import { SyncDispatcher } from '../../src/sync/dispatcher.js';
import { loadDirectories } from '../../src/sync/registry.js';
import { HttpClient } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct } from '../support/product.js';
import { startSlapd, type Slapd } from '../support/slapd.js';

const PLUGINS = resolve(import.meta.dirname, '../../plugins');
const ENV = 'CORP_LDAP_PASSWORD';
let slapd: Slapd;
let dir: string;
let caFile: string;
const logs: string[] = [];
const logger = {
  info: (o: object, m?: string) => void logs.push(JSON.stringify([o, m])),
  warn: (o: object, m?: string) => void logs.push(JSON.stringify([o, m])),
  error: (o: object, m?: string) => void logs.push(JSON.stringify([o, m])),
};

beforeAll(async () => {
  // Stricter than the product's own 12, so the directory's refusal reaches the page.
  slapd = await startSlapd({ minLength: 16, inHistory: 3 });
  dir = await mkdtemp(join(tmpdir(), 'ldap-product-'));
  caFile = join(dir, 'corp-ca.pem');
  await writeFile(caFile, slapd.caCert);
});
afterAll(async () => {
  await slapd?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const instance = () => ({
  id: 'corp-ldap',
  plugin: 'ldap',
  config: {
    mode: 'openldap', url: slapd.ldapUrl, tls: { caCert: `file:${caFile}` },
    bindDn: slapd.serviceDn, bindPassword: `env:${ENV}`, baseDn: slapd.baseDn,
  },
});

describe('ldap plugin in the sync engine', () => {
  it('loads from configuration, hides the service password, and writes through the dispatcher', async () => {
    const registry = await loadDirectories([instance()], { pluginDirs: [PLUGINS], dataDir: dir, logger, env: { [ENV]: slapd.servicePassword } });
    try {
      expect(registry.redactedConfig('corp-ldap')).toMatchObject({ bindPassword: '••••', tls: { caCert: '••••' }, url: slapd.ldapUrl });
      expect(await registry.get('corp-ldap')!.adapter.testConnection()).toMatchObject({ ok: true });

      const dn = await slapd.addUser('engine.user', 'Engine-Initial-Passw0rd');
      const customer: Customer = { id: 'c1', partnerId: 'p1', name: 'Corp', directory: { instance: 'corp-ldap', mapping: 'login' } };
      const account: Account = { id: 'a1', partnerId: 'p1', customerId: 'c1', name: 'E', login: 'engine.user', email: 'e@corp.example' };
      const dispatcher = new SyncDispatcher(registry, { logger, sleep: async () => undefined });

      expect(await dispatcher.apply(customer, account, 'Only-13-chars')).toEqual({
        kind: 'policy', message: "This password is too short for your organisation's directory. Choose a longer one.",
      });
      expect(await dispatcher.apply(customer, account, 'A-long-enough-engine-passphrase')).toEqual({ kind: 'applied' });
      expect(await slapd.canBind(dn, 'A-long-enough-engine-passphrase')).toBe(true);
      const logged = logs.join('\n');
      for (const secret of ['Only-13-chars', 'A-long-enough-engine-passphrase', slapd.servicePassword]) expect(logged).not.toContain(secret);
    } finally {
      await registry.close();
    }
  });
});

describe('the product pointed at a slapd by configuration', () => {
  it("carries an admin's reset through to the directory, showing the directory's refusal on the way", async () => {
    process.env[ENV] = slapd.servicePassword;
    const product = await startProduct({ directories: [instance()] });
    try {
      // The binding lives on the customer record; set it as the IdP admin's binding page does.
      const partner = (await product.store.listPartners()).find((p) => p.id === 'northwind')!;
      const customer = (await product.store.listCustomers(partner.id, { page: 1, pageSize: 1 })).items[0]!;
      const account = (await product.store.listAccounts(partner.id, customer.id))[0]!;
      await product.store.setCustomerDirectory(partner.id, customer.id, { instance: 'corp-ldap', mapping: 'login' });
      const dn = await slapd.addUser(account.login, 'Before-The-Reset-Passw0rd');

      const { client: admin } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo');
      await resetThroughConsole(admin, product, `/admin/customers/${customer.id}/accounts/${account.id}`);
      const link = await resetLinkFor(product, account.email);

      const user = new HttpClient();
      const refused = await submitPassword(user, link, 'thirteen-char');
      expect(refused.status).toBe(422);
      expect(refused.text).toContain('Your password was not changed');
      expect(refused.text).toMatch(/This password is too short for your organisation(&#39;|')s directory/);

      const done = await submitPassword(user, link, 'quiet harbour lantern 7');
      expect(done.text).toContain('Your password has been changed.');
      expect(await slapd.canBind(dn, 'quiet harbour lantern 7')).toBe(true);
      expect(await slapd.canBind(dn, 'Before-The-Reset-Passw0rd')).toBe(false);

      // The operator command reads the same configuration and asks the directory itself.
      const configFile = join(dir, 'cli.yaml');
      await writeFile(configFile, JSON.stringify({ dataDir: product.dataDir, directories: [instance()], log: { level: 'silent' } }));
      const verify = promisify(execFile)(process.execPath, [resolve('bin/resetbridge.js'), 'directory', 'verify', account.login, '--config', configFile]);
      verify.child.stdin!.end('quiet harbour lantern 7\n');
      expect((await verify).stdout).toContain(`accepted: ${account.login}`);
      expect(product.logLines.join('\n')).not.toContain('quiet harbour lantern 7');
    } finally {
      await product.stop();
      delete process.env[ENV];
    }
  });
});
