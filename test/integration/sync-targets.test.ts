// One new password, two real directories: a slapd (ppolicy) as the primary and a SCIM server as the
// secondary, behind a relay the test can take down and bring back like a network outage.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, SyncRecord } from '../../src/domain/types.js';
import { HttpClient, formFields } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { startScimServer, type ScimServer } from '../support/scim-server.js';
import { startSlapd, type Slapd } from '../support/slapd.js';
import { until } from '../support/wait.js';

const LDAP_ENV = 'SYNC_TEST_LDAP_PASSWORD';
const SCIM_ENV = 'SYNC_TEST_SCIM_TOKEN';
const INITIAL = 'Before-The-Reset-Passw0rd-16';
const LIFETIME_SECONDS = 10;

let slapd: Slapd;
let scim: ScimServer;
let relay: Relay;
let product: Product;
let dana: HttpClient;
let dir: string;
let customerId: string;
let accounts: Account[];
let next = 0;

/** A TCP relay in front of the SCIM server: `down()` refuses connections as a stopped server does. */
interface Relay { port: number; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }

async function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () => new Promise<void>((resolve) => {
    server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(port, '127.0.0.1', () => {
      port = (server!.address() as { port: number }).port;
      resolve();
    });
  });
  const down = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  await listen();
  return { get port() { return port; }, down, up: listen, close: down };
}


const syncsFile = () => join(product.dataDir, 'store', 'syncs.json');
const storedSyncs = () => (JSON.parse(readFileSync(syncsFile(), 'utf8')) as { syncs: SyncRecord[] }).syncs;
const latestSync = async (account: Account) => (await product.store.listSyncs({ partnerId: 'northwind', accountId: account.id, limit: 1 }))[0];

/** Every file under the data folder, as bytes. */
function dataFiles(root = product.dataDir): Array<{ file: string; bytes: Buffer }> {
  return readdirSync(root).flatMap((name) => {
    const file = join(root, name);
    return statSync(file).isDirectory() ? dataFiles(file) : [{ file, bytes: readFileSync(file) }];
  });
}

/** A fresh account of the bound company, present in both directories with its old password. */
async function nextAccount(): Promise<{ account: Account; dn: string; scimId: string }> {
  const account = accounts[next++]!;
  const dn = await slapd.addUser(account.login, INITIAL);
  const scimId = await scim.addUser({ userName: `${account.login}@hr.example`, emails: [account.email], password: 'Hr-Initial-Passw0rd' });
  return { account, dn, scimId };
}

async function linkFor(account: Account): Promise<string> {
  await resetThroughConsole(dana, product, `/admin/customers/${customerId}/accounts/${account.id}`);
  return resetLinkFor(product, account.email);
}

const syncPage = async () => parse((await dana.get(`${product.url}/idp-admin/sync?partner=northwind&customer=${customerId}`)).text);
const rowOf = async (syncId: string) => (await syncPage()).querySelector(`#sync-${syncId}`);
const targetText = (row: ReturnType<typeof parse> | null, instance: string) =>
  row?.querySelector(`li[data-instance="${instance}"]`)?.text.replace(/\s+/g, ' ').trim() ?? '';

beforeAll(async () => {
  slapd = await startSlapd({ minLength: 16, inHistory: 3 });
  scim = await startScimServer({ minLength: 8, historySize: 2 });
  relay = await startRelay(Number(new URL(scim.url).port));
  dir = await mkdtemp(join(tmpdir(), 'sync-targets-'));
  await writeFile(join(dir, 'ca.pem'), slapd.caCert);
  process.env[LDAP_ENV] = slapd.servicePassword;
  process.env[SCIM_ENV] = scim.token;
  product = await startProduct({
    directories: [
      {
        id: 'corp-ldap', plugin: 'ldap',
        config: {
          mode: 'openldap', url: slapd.ldapUrl, tls: { caCert: `file:${join(dir, 'ca.pem')}` }, bindDn: slapd.serviceDn,
          bindPassword: `env:${LDAP_ENV}`, baseDn: slapd.baseDn, policyDn: slapd.policyDn,
        },
      },
      {
        id: 'hr-scim', plugin: 'scim',
        config: { baseUrl: `http://127.0.0.1:${relay.port}${new URL(scim.url).pathname}`, token: `env:${SCIM_ENV}`, allowInsecureHttp: true, timeoutMs: 3000 },
      },
    ],
    // Deadlines with room to spare on a busy machine: the cases below time the directories' answers.
    sync: { retryLifetimeSeconds: LIFETIME_SECONDS, retryBaseMs: 200, retryMaxMs: 400, pollMs: 100, secondaryDeadlineMs: 3000 },
  } as never);
  ({ client: dana } = await signInAsAdmin(product, 'dana@northwind-partners.example', 'northwind-demo'));
  const customer = (await product.store.listCustomers('northwind', { page: 1, pageSize: 1 })).items[0]!;
  customerId = customer.id;
  accounts = await product.store.listAccounts('northwind', customerId);
  // As the binding form below sets it, so each case can also run on its own.
  await product.store.setCustomerDirectory('northwind', customerId, {
    instance: 'corp-ldap', mapping: 'login', secondaries: [{ instance: 'hr-scim', mapping: 'email' }], revokeSessions: true,
  });
}, 60_000);

afterAll(async () => {
  await product?.stop();
  await relay?.close();
  await scim?.stop();
  await slapd?.dispose();
  await rm(dir, { recursive: true, force: true });
  delete process.env[LDAP_ENV];
  delete process.env[SCIM_ENV];
});

describe('a binding with a primary and a secondary directory', { timeout: 60_000 }, () => {
  it('is set on the IdP admin binding form with one more row per secondary', async () => {
    const path = `/idp-admin/customers/northwind/${customerId}/directory`;
    const form = await dana.get(product.url + path);
    expect(form.text).toContain('Further directory 1');
    await product.store.setCustomerDirectory('northwind', customerId, { instance: 'demo-directory', mapping: 'login' });
    const saved = await dana.post(product.url + path, {
      ...formFields(form.text), instance: 'corp-ldap', mapping: 'login', secondaryInstance: 'hr-scim', secondaryMapping: 'email', revokeSessions: 'on',
    });
    expect(saved.status).toBe(303);
    expect((await product.store.getCustomer('northwind', customerId))?.directory).toEqual({
      instance: 'corp-ldap', mapping: 'login', secondaries: [{ instance: 'hr-scim', mapping: 'email' }], revokeSessions: true,
    });
    const again = parse((await dana.follow(saved)).text);
    expect(again.querySelector('#secondary-instance-0 option[selected]')?.getAttribute('value')).toBe('hr-scim');
    // A browser sends one field pair per row; a row left on None is dropped.
    const rows = new URLSearchParams({ ...formFields(form.text), instance: 'corp-ldap', mapping: 'login' });
    for (const [instance, mapping] of [['hr-scim', 'email'], ['', 'login'], ['demo-directory', '{login}@demo.example']]) {
      rows.append('secondaryInstance', instance!);
      rows.append('secondaryMapping', mapping!);
    }
    const two = await fetch(product.url + path, {
      method: 'POST', redirect: 'manual', body: rows.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: await dana.cookies(product.url + path) },
    });
    expect(two.status).toBe(303);
    expect((await product.store.getCustomer('northwind', customerId))?.directory?.secondaries).toEqual([
      { instance: 'hr-scim', mapping: 'email' }, { instance: 'demo-directory', mapping: '{login}@demo.example' },
    ]);
    await product.store.setCustomerDirectory('northwind', customerId, {
      instance: 'corp-ldap', mapping: 'login', secondaries: [{ instance: 'hr-scim', mapping: 'email' }], revokeSessions: true,
    });
    const twice = await dana.post(product.url + path, {
      ...formFields(form.text), instance: 'corp-ldap', mapping: 'login', secondaryInstance: 'corp-ldap', secondaryMapping: 'email',
    });
    expect(twice.status).toBe(422);
    expect(twice.text).toContain('is named twice');
  });

  it('writes the password to both, wipes it at once, and shows both ticks to the partner admin', async () => {
    const { account, dn, scimId } = await nextAccount();
    const link = await linkFor(account);
    const password = 'orchard lantern velvet 42';
    const done = await submitPassword(new HttpClient(), link, password);
    expect(done.status).toBe(200);
    expect(done.text).toContain('Your password has been changed. You can now sign in with your new password.');
    expect(await slapd.canBind(dn, password)).toBe(true);
    expect(await scim.checkPassword(scimId, password)).toBe(true);

    const sync = (await latestSync(account))!;
    expect(sync.state).toBe('done');
    expect(sync.sealed).toBeUndefined();
    expect(sync.targets.map((t) => [t.instance, t.status, t.sessions])).toEqual([['corp-ldap', 'applied', 'not-supported'], ['hr-scim', 'applied', 'not-supported']]);
    const accountPage = await dana.get(`${product.url}/admin/customers/${customerId}/accounts/${account.id}`);
    expect(parse(accountPage.text).querySelector('#sync-status')?.text.trim()).toBe('corp-ldap ✓, hr-scim ✓');
    const events = (await product.store.listAudit('northwind')).filter((e) => e.detail?.syncId === sync.id).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['sync.attempt', 'reset.redeemed']));
    expect(events.filter((e) => e === 'sync.attempt')).toHaveLength(2);
    for (const { file, bytes } of dataFiles()) expect(bytes.includes(password), file).toBe(false);
    expect(product.logLines.join('\n')).not.toContain(password);
  });

  it("shows the primary's rules on the form and refuses a password it would refuse before any directory is touched", async () => {
    const { account, dn } = await nextAccount();
    const link = await linkFor(account);
    const user = new HttpClient();
    const form = await user.get(link);
    expect(parse(form.text).querySelector('#requirements')?.text).toContain('At least 16 characters');
    const before = scim.requests.length;
    const refused = await submitPassword(user, link, 'thirteen char');
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Use at least 16 characters');
    expect(scim.requests.length).toBe(before);
    expect(await slapd.canBind(dn, INITIAL)).toBe(true);
    expect(await latestSync(account)).toBeUndefined();
  });

  it('leaves the secondary alone when the primary refuses the password, and the link keeps working', async () => {
    const { account, dn, scimId } = await nextAccount();
    const link = await linkFor(account);
    const user = new HttpClient();
    const before = scim.requests.length;
    // The current password counts as history at the primary: a refusal the form cannot know of.
    const refused = await submitPassword(user, link, INITIAL);
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Your password was not changed');
    expect(scim.requests.length).toBe(before);
    const sync = (await latestSync(account))!;
    expect(sync.targets.map((t) => t.status)).toEqual(['failed', 'skipped']);
    expect(sync.sealed).toBeUndefined();

    const done = await submitPassword(user, link, 'granite meadow signal 7');
    expect(done.text).toContain('Your password has been changed.');
    expect(await slapd.canBind(dn, 'granite meadow signal 7')).toBe(true);
    expect(await scim.checkPassword(scimId, 'granite meadow signal 7')).toBe(true);
  });

  it('says plainly that nothing changed when the primary cannot be reached, touching nothing else', async () => {
    const { account, dn } = await nextAccount();
    const link = await linkFor(account);
    const user = new HttpClient();
    await user.get(link);
    const before = scim.requests.length;
    await slapd.stop();
    try {
      const down = await submitPassword(user, link, 'copper harbour lantern 9');
      expect(down.status).toBe(503);
      expect(down.text).toContain('Your password has not been changed');
      expect(scim.requests.length).toBe(before);
    } finally {
      await slapd.start();
    }
    expect(await slapd.canBind(dn, INITIAL)).toBe(true);
    const done = await submitPassword(user, link, 'copper harbour lantern 9');
    expect(done.text).toContain('Your password has been changed.');
  });

  it('delivers to a secondary that was down once it is back, through the retry outbox, holding the password only sealed meanwhile', async () => {
    const { account, dn, scimId } = await nextAccount();
    const link = await linkFor(account);
    const password = 'saffron kettle orbit 31';
    await relay.down();
    let sealed: string;
    try {
      const done = await submitPassword(new HttpClient(), link, password);
      expect(done.text).toContain('Your password has been changed. It may take a few minutes to work everywhere.');
      expect(await slapd.canBind(dn, password)).toBe(true);
      const waiting = storedSyncs().find((s) => s.accountId === account.id)!;
      sealed = waiting.sealed!;
      expect(sealed).toMatch(/^v1\.s[0-9a-f]{8}\./);
      const bytes = readFileSync(syncsFile());
      expect(bytes.includes(password)).toBe(false);
      expect(bytes.includes(Buffer.from(password).toString('base64'))).toBe(false);
      expect(targetText(await rowOf(waiting.id), 'hr-scim')).toMatch(/retrying \(attempt \d+\)/);
      const accountPage = await dana.get(`${product.url}/admin/customers/${customerId}/accounts/${account.id}`);
      expect(parse(accountPage.text).querySelector('#sync-status')?.text).toMatch(/corp-ldap ✓, hr-scim — retrying \(attempt \d+\)/);
    } finally {
      await relay.up();
    }
    await until('delivery to the secondary', () => scim.checkPassword(scimId, password));
    const sync = await until('the sync to finish', async () => { const s = await latestSync(account); return s?.state === 'done' && s; });
    expect(sync.targets[1]).toMatchObject({ status: 'applied' });
    expect(sync.targets[1]!.attempts).toBeGreaterThan(1);
    // The record in memory is done a moment before its file write lands: wait for the file itself.
    await until('the ciphertext to leave the file', async () => !readFileSync(syncsFile(), 'utf8').includes(sealed));
    const auditOf = async () => (await product.store.listAudit('northwind')).filter((e) => e.detail?.syncId === sync.id);
    await until('the wipe to be audited', async () => (await auditOf()).some((e) => e.type === 'sync.secret-wiped'));
    expect((await auditOf()).filter((e) => e.type === 'sync.secret-wiped')).toHaveLength(1);
  });

  it('reports "probably applied" when a retry finds its own password in place after an attempt whose answer was lost', async () => {
    const { account, scimId } = await nextAccount();
    const link = await linkFor(account);
    const password = 'walnut cipher meadow 26';
    const before = scim.requests.length;
    // The change reaches the SCIM server, which holds it a moment; the connection breaks meanwhile, so
    // the answer is lost, and the server applies the change after all.
    scim.delayNext(2, 1500);
    const submitted = submitPassword(new HttpClient(), link, password);
    await until('the change to reach the SCIM server', async () => scim.requests.slice(before).some((r) => r.method === 'PATCH'));
    await relay.down();
    try {
      expect((await submitted).text).toContain('It may take a few minutes to work everywhere.');
      const waiting = (await latestSync(account))!;
      // Waiting for its next try (or in it): either way known to have maybe landed.
      expect(waiting.targets[1]).toMatchObject({ maybeApplied: true, lastResult: 'transient' });
      await until('the held change to land', () => scim.checkPassword(scimId, password));
    } finally {
      await relay.up();
    }
    const sync = await until('the retry', async () => { const s = await latestSync(account); return s?.state === 'done' && s; });
    // The SCIM server counts the current password as history: the retry is refused as "used before".
    expect(sync.targets[1]).toMatchObject({ status: 'probable', lastResult: 'probable' });
    const retried = (await product.store.listAudit('northwind'))
      .filter((e) => e.detail?.syncId === sync.id && e.type === 'sync.attempt' && e.detail.instance === 'hr-scim');
    expect(retried.at(-1)?.detail).toMatchObject({ isRetry: true, result: 'probable' });
    expect(targetText(await rowOf(sync.id), 'hr-scim')).toContain('✓ (probably: it already had the new password)');
  });

  it('hands a secondary that stays down past the lifetime to the IdP admin and wipes the sealed password', async () => {
    const { account, scimId } = await nextAccount();
    const link = await linkFor(account);
    const password = 'thimble quarry nectar 58';
    await relay.down();
    try {
      const done = await submitPassword(new HttpClient(), link, password);
      expect(done.text).toContain('It may take a few minutes to work everywhere.');
      const sealed = storedSyncs().find((s) => s.accountId === account.id)!.sealed!;
      expect(sealed).toBeTruthy();
      const sync = await until('the lifetime to run out', async () => { const s = await latestSync(account); return s?.state === 'attention' && s; }, (LIFETIME_SECONDS + 10) * 1000);
      expect(sync.targets[1]).toMatchObject({ status: 'attention', lastResult: 'expired' });
      expect(sync.sealed).toBeUndefined();
      await until('the ciphertext to leave the file', async () => !readFileSync(syncsFile(), 'utf8').includes(sealed));

      const row = await rowOf(sync.id);
      expect(row?.querySelector('td:nth-child(3)')?.text.trim()).toBe('Needs attention');
      expect(targetText(row, 'hr-scim')).toContain('needs attention');
      expect(targetText(row, 'hr-scim')).toContain(`Not delivered within ${LIFETIME_SECONDS} seconds`);
      const page = (await dana.get(`${product.url}/idp-admin/sync?partner=northwind&customer=${customerId}`)).text;
      const retry = await dana.post(`${product.url}/idp-admin/sync/northwind/${sync.id}/retry`, {
        ...formFields(page, `form[action$="${sync.id}/retry"]`), instance: 'hr-scim',
      });
      expect(retry.status).toBe(303);
      expect((await dana.follow(retry)).text).toContain('The user must reset their password again.');
      const giveUp = await dana.post(`${product.url}/idp-admin/sync/northwind/${sync.id}/give-up`, formFields(page, `form[action$="${sync.id}/give-up"]`));
      expect((await dana.follow(giveUp)).text).toContain('hr-scim will not get this password.');
      expect((await latestSync(account))?.targets[1]?.status).toBe('given-up');
    } finally {
      await relay.up();
    }
    expect(await scim.checkPassword(scimId, password)).toBe(false);
  });

  it('puts a secondary that refuses the request on configuration at once in front of the admin, and Retry now delivers it', async () => {
    const { account, scimId } = await nextAccount();
    const link = await linkFor(account);
    const password = 'lichen beacon parlour 64';
    scim.failNext(1, { status: 401, detail: 'bad token' });
    const done = await submitPassword(new HttpClient(), link, password);
    expect(done.text).toContain('It does not work everywhere yet');
    const sync = (await latestSync(account))!;
    expect(sync.targets[1]).toMatchObject({ status: 'attention', lastResult: 'config', attempts: 1 });
    expect(sync.sealed).toBeTruthy();
    const quiet = scim.requests.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(scim.requests.length).toBe(quiet);

    const page = (await dana.get(`${product.url}/idp-admin/sync?status=attention`)).text;
    expect(targetText(parse(page).querySelector(`#sync-${sync.id}`), 'hr-scim')).toContain('Last error: The SCIM server refused the bearer token.');
    const retry = await dana.post(`${product.url}/idp-admin/sync/northwind/${sync.id}/retry`, formFields(page, `form[action$="${sync.id}/retry"]`));
    expect((await dana.follow(retry)).text).toContain('hr-scim will be tried again now.');
    await until('the retried delivery', () => scim.checkPassword(scimId, password));
    const after = await until('the sync to finish', async () => { const s = await latestSync(account); return s?.state === 'done' && s; });
    expect(after.sealed).toBeUndefined();
    const types = async () => (await product.store.listAudit('northwind')).filter((e) => e.detail?.syncId === sync.id).map((e) => e.type);
    await until('the wipe to be audited', async () => (await types()).includes('sync.secret-wiped'));
    expect(await types()).toEqual(expect.arrayContaining(['sync.needs-attention', 'sync.retry-requested', 'sync.secret-wiped']));
  });
});

describe('the Sync page', () => {
  beforeAll(async () => {
    // One change that needs attention (the secondary refuses the token) and one that went through.
    for (const fail of [true, false]) {
      const { account } = await nextAccount();
      const link = await linkFor(account);
      if (fail) scim.failNext(1, { status: 401, detail: 'bad token' });
      await submitPassword(new HttpClient(), link, `paper lantern ${account.id} 9`);
    }
  });

  it('filters by partner, company and status', async () => {
    const all = await product.store.listSyncs({ partnerId: 'northwind', customerId, limit: 100 });
    const attention = all.filter((s) => s.state === 'attention');
    const done = all.filter((s) => s.state === 'done');
    expect(attention.length).toBeGreaterThan(0);
    expect(done.length).toBeGreaterThan(0);
    const rowIds = async (query: string) => parse((await dana.get(`${product.url}/idp-admin/sync?${query}`)).text)
      .querySelectorAll('tr[id^="sync-"]').map((r) => r.getAttribute('id')!.slice(5));
    expect((await rowIds(`partner=northwind&customer=${customerId}&status=attention`)).sort()).toEqual(attention.map((s) => s.id).sort());
    expect(await rowIds(`partner=northwind&customer=${customerId}&status=done`)).toEqual(expect.arrayContaining(done.map((s) => s.id)));
    expect(await rowIds('partner=contoso')).toEqual([]);
    expect((await rowIds('')).length).toBeGreaterThanOrEqual(all.length);
  });

  it('is closed to a partner admin without the idp-admin role, and its actions need the form token', async () => {
    const { client: alice } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo');
    expect((await alice.get(`${product.url}/idp-admin/sync`)).status).toBe(403);
    const [sync] = await product.store.listSyncs({ partnerId: 'northwind', state: 'attention', limit: 1 });
    const forged = await dana.post(`${product.url}/idp-admin/sync/northwind/${sync!.id}/give-up`, { instance: 'hr-scim' });
    expect(forged.status).toBe(403);
    expect((await product.store.getSync('northwind', sync!.id))?.state).toBe('attention');
  });
});
