// The product as `npm start` runs it (src/main.ts in a child process), killed with SIGKILL at each
// step of a password change and started again on the same data folder. Afterwards the link cannot set
// a different password, no sealed password outlives its lifetime, and the admins' pages tell the truth.
// One case loses the primary's answer to a timeout instead of a crash: the same rules hold.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, SyncRecord } from '../../src/domain/types.js';
import { HttpClient, formFields, type Res } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { freePort, newSecrets, type Product } from '../support/product.js';
import { startScimServer, type ScimServer } from '../support/scim-server.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { until as waitUntil } from '../support/wait.js';

const LIFETIME_SECONDS = 20;
const CLAIM_SECONDS = 4;
const TRUTH = 'We could not confirm whether your previous attempt changed your password. Try signing in with the password you chose then; if it does not work, ask your administrator for a new link.';

let primary: ScimServer;
let secondary: ScimServer;
let smtp: SmtpSink;
let dir: string;
let port: number;
let child: ChildProcess | undefined;
let dana: HttpClient;
let customerId: string;
let accounts: Account[];
let next = 0;

const url = () => `http://127.0.0.1:${port}`;
/** What the journey helpers need of a running product. */
const product = () => ({ url: url(), smtp }) as unknown as Product;
const dataDir = () => join(dir, 'data');
const syncsFile = () => join(dataDir(), 'store', 'syncs.json');
const storedSync = (accountId: string) =>
  (JSON.parse(readFileSync(syncsFile(), 'utf8')) as { syncs: SyncRecord[] }).syncs.filter((s) => s.accountId === accountId).at(-1);

const until = <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, everyMs = 100) =>
  waitUntil(what, probe, timeoutMs, everyMs);

async function start(env: Record<string, string> = {}): Promise<void> {
  const log = createWriteStream(join(dir, 'product.log'), { flags: 'a' });
  // Only the config file speaks: no DATABASE_URL or other override from the test run's environment,
  // since this is about the embedded store's files.
  const overrides = ['PORT', 'HOST', 'PUBLIC_URL', 'RESETBRIDGE_DATA_DIR', 'RESETBRIDGE_SESSION_SECRET', 'RESETBRIDGE_DATA_KEY', 'RESETBRIDGE_LOG_LEVEL', 'DATABASE_URL'];
  const c = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env, ...Object.fromEntries(overrides.map((name) => [name, ''])), RESETBRIDGE_CONFIG: join(dir, 'config.json'),
      CRASH_PRIMARY_TOKEN: primary.token, CRASH_SECONDARY_TOKEN: secondary.token, ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  c.stdout!.pipe(log);
  c.stderr!.pipe(log);
  child = c;
  await until('the product to answer', async () => {
    if (c.exitCode !== null) throw new Error(`the product exited with ${c.exitCode}; see ${join(dir, 'product.log')}`);
    return fetch(`${url()}/healthz`).then((r) => r.ok, () => false);
  }, 30_000);
}

/** SIGKILL, like a power cut: no shutdown code runs. */
async function kill(): Promise<void> {
  const c = child;
  child = undefined;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
}

/** A normal shutdown (SIGTERM), to start again with other settings. */
async function stop(): Promise<void> {
  const c = child;
  child = undefined;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const done = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await done;
}

async function exited(): Promise<void> {
  const c = child;
  child = undefined;
  if (c && c.exitCode === null && c.signalCode === null) await new Promise((r) => c.once('exit', r));
}

/** A fresh account of the bound company, known to both SCIM servers with an old password. */
async function nextAccount() {
  const account = accounts[next++]!;
  const primaryId = await primary.addUser({ userName: account.login, emails: [account.email], password: 'Old-Primary-Passw0rd' });
  const secondaryId = await secondary.addUser({ userName: `${account.login}@hr.example`, emails: [account.email], password: 'Old-Secondary-Passw0rd' });
  await resetThroughConsole(dana, product(), `/admin/customers/${customerId}/accounts/${account.id}`);
  const link = await resetLinkFor(product(), account.email);
  return { account, primaryId, secondaryId, link };
}

/** Posts the form without waiting for a page that may never come (the process is about to die). */
async function submitting(user: HttpClient, link: string, password: string): Promise<Res | 'no answer'> {
  const form = await user.get(link);
  return user.post(link, { ...formFields(form.text), password, confirm: password }).catch(() => 'no answer' as const);
}

async function syncRow(syncId: string) {
  const page = await dana.get(`${url()}/idp-admin/sync?partner=northwind&customer=${customerId}`);
  return parse(page.text).querySelector(`#sync-${syncId}`);
}
const words = (node: { text: string } | null | undefined) => node?.text.replace(/\s+/g, ' ').trim() ?? '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'resetbridge-crash-'));
  [primary, secondary, smtp, port] = await Promise.all([
    startScimServer({ minLength: 8, historySize: 2 }), startScimServer({ minLength: 8, historySize: 2 }), SmtpSink.start(), freePort(),
  ]);
  const scim = (server: ScimServer, env: string) => ({ baseUrl: server.url, token: `env:${env}`, allowInsecureHttp: true, timeoutMs: 3000 });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    env: 'test',
    server: { host: '127.0.0.1', port, publicUrl: url() },
    dataDir: dataDir(),
    secrets: newSecrets(),
    demo: { seed: true, idp: true, idpPort: 0 },
    mail: { from: 'resetbridge <no-reply@test.example>', transport: { type: 'smtp', host: '127.0.0.1', port: smtp.port, secure: false, pool: false }, pollMs: 100 },
    log: { level: 'info' },
    directories: [
      { id: 'scim-a', plugin: 'scim', config: scim(primary, 'CRASH_PRIMARY_TOKEN') },
      { id: 'scim-b', plugin: 'scim', config: scim(secondary, 'CRASH_SECONDARY_TOKEN') },
    ],
    reset: { claimSeconds: CLAIM_SECONDS },
    sync: { primaryDeadlineMs: 2500, secondaryDeadlineMs: 3000, retryLifetimeSeconds: LIFETIME_SECONDS, retryBaseMs: 200, retryMaxMs: 400, pollMs: 100 },
  }));
  await start();
  ({ client: dana } = await signInAsAdmin(product(), 'dana@northwind-partners.example', 'northwind-demo'));
  const tenants = JSON.parse(readFileSync(join(dataDir(), 'store', 'tenants.json'), 'utf8')) as { customers: Array<{ id: string; partnerId: string }>; accounts: Account[] };
  customerId = tenants.customers.find((c) => c.partnerId === 'northwind')!.id;
  accounts = tenants.accounts.filter((a) => a.customerId === customerId);
  const path = `/idp-admin/customers/northwind/${customerId}/directory`;
  const form = await dana.get(url() + path);
  const saved = await dana.post(url() + path, {
    ...formFields(form.text), instance: 'scim-a', mapping: 'login', secondaryInstance: 'scim-b', secondaryMapping: 'email',
  });
  expect(saved.status).toBe(303);
}, 60_000);

afterAll(async () => {
  await kill();
  await Promise.all([primary?.stop(), secondary?.stop(), smtp?.close()]);
  const log = readFileSync(join(dir, 'product.log'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  // The product never writes a password to its log, whatever happened to it.
  for (const password of used) expect(log).not.toContain(password);
});

const used: string[] = [];
const password = (p: string) => (used.push(p), p);

// Each case restarts the product and waits out leases and lifetimes: more than the default budget.
describe('a password change killed at each step and started again', { timeout: 90_000 }, () => {
  it('while the primary is writing: the same password finishes as a retry, another one hears the truth', async () => {
    const { account, primaryId, secondaryId, link } = await nextAccount();
    const chosen = password('kiln harbour pepper 11');
    const user = new HttpClient();
    const before = primary.requests.length;
    // Each of the next requests (capabilities, look-up, write) is held a moment before it is served.
    primary.delayNext(5, 400);
    const answer = submitting(user, link, chosen);
    await until('the write to reach the primary', () => primary.requests.slice(before).some((r) => r.method === 'PATCH'), 10_000, 5);
    await kill();
    expect(await answer).toBe('no answer');
    // The primary holds the write a moment and applies it: the process died not knowing.
    await until('the held write to land', () => primary.checkPassword(primaryId, chosen));

    await start();
    const sync = storedSync(account.id)!;
    const row = await until('the admins to see the unknown outcome', async () => {
      const r = await syncRow(sync.id);
      return (words(r?.querySelector('td:nth-child(3)')) === 'Outcome unknown' && r) || undefined;
    });
    expect(words(row.querySelector('li[data-instance="scim-a"]'))).toContain('outcome unknown');
    expect(words(row.querySelector('li[data-instance="scim-b"]'))).toContain('waiting for scim-a');

    const other = await submitPassword(user, link, password('another choice 2024 x'));
    expect(other.status).toBe(409);
    expect(words(parse(other.text))).toContain(TRUTH);
    expect(await primary.checkPassword(primaryId, 'another choice 2024 x')).toBe(false);

    const same = await submitPassword(user, link, chosen);
    expect(same.status).toBe(200);
    expect(same.text).toContain('Your password has been changed.');
    expect(await secondary.checkPassword(secondaryId, chosen)).toBe(true);
    expect((await user.get(link)).status).toBe(410);
    const done = await until('the sync to finish', () => { const s = storedSync(account.id); return s?.state === 'done' && s; });
    expect(done.targets.map((t) => [t.instance, t.status])).toEqual([['scim-a', 'probable'], ['scim-b', 'applied']]);
    expect(done.sealed).toBeUndefined();
  });

  it('between the primary taking the password and the link being consumed: the outbox delivers the rest, the link takes only that password', async () => {
    const { account, primaryId, secondaryId, link } = await nextAccount();
    await stop();
    // The one step no outside timing can stop a process at: the product kills itself there.
    await start({ RESETBRIDGE_CRASH_AT: 'after-primary' });
    const chosen = password('quartz meadow fiddle 23');
    const user = new HttpClient();
    expect(await submitting(user, link, chosen)).toBe('no answer');
    await exited();
    expect(await primary.checkPassword(primaryId, chosen)).toBe(true);
    const sealed = storedSync(account.id)!.sealed!;
    expect(sealed).toMatch(/^v1\./);
    expect(readFileSync(syncsFile()).includes(chosen)).toBe(false);

    await start();
    // No user action needed: the sealed password reaches the secondary once the dead request's hold lapses.
    await until('the outbox to deliver', () => secondary.checkPassword(secondaryId, chosen));
    const delivered = await until('the sync to finish', () => { const s = storedSync(account.id); return s?.state === 'done' && s; });
    expect(delivered.sealed).toBeUndefined();
    expect(readFileSync(syncsFile(), 'utf8')).not.toContain(sealed);
    const row = await syncRow(delivered.id);
    expect(words(row?.querySelector('li[data-instance="scim-a"]'))).toMatch(/scim-a \(primary\): ✓/);
    expect(words(row?.querySelector('li[data-instance="scim-b"]'))).toMatch(/scim-b: ✓/);

    const other = await submitPassword(user, link, password('different again 77 q'));
    expect(other.status).toBe(409);
    expect(words(parse(other.text))).toContain(TRUTH);
    expect(await primary.checkPassword(primaryId, chosen)).toBe(true);
    const same = await submitPassword(user, link, chosen);
    expect(same.text).toContain('Your password has been changed. You can now sign in with your new password.');
    expect((await user.get(link)).status).toBe(410);
  });

  it('while a secondary is writing after the link was consumed: the retry after restart reports "probably applied"', async () => {
    const { account, secondaryId, link } = await nextAccount();
    const chosen = password('ember lattice rowan 45');
    const user = new HttpClient();
    const before = secondary.requests.length;
    secondary.delayNext(5, 400);
    const answer = submitting(user, link, chosen);
    await until('the write to reach the secondary', () => secondary.requests.slice(before).some((r) => r.method === 'PATCH'), 10_000, 5);
    await kill();
    expect(await answer).toBe('no answer');
    await until('the held write to land', () => secondary.checkPassword(secondaryId, chosen));
    expect(storedSync(account.id)?.sealed).toBeTruthy();

    await start();
    expect((await user.get(link)).status).toBe(410);
    const done = await until('the sync to finish', () => { const s = storedSync(account.id); return s?.state === 'done' && s; });
    expect(done.targets.map((t) => [t.instance, t.status])).toEqual([['scim-a', 'applied'], ['scim-b', 'probable']]);
    expect(done.sealed).toBeUndefined();
    const accountPage = await dana.get(`${url()}/admin/customers/${customerId}/accounts/${account.id}`);
    expect(words(parse(accountPage.text).querySelector('#sync-status'))).toBe('scim-a ✓, scim-b — ✓ (probably: it already had the new password)');
  });

  it('when the primary does not answer in time: the page says it cannot tell, and only the same password may finish', async () => {
    const { account, primaryId, secondaryId, link } = await nextAccount();
    // A fresh process asks the primary three things (look-up, capabilities, write); each is held 1 s,
    // so the write is out when the 2.5 s deadline passes, and lands after it.
    await stop();
    await start();
    primary.delayNext(3, 1000);
    const chosen = password('tundra pocket violin 89');
    const user = new HttpClient();
    const unsure = await submitPassword(user, link, chosen);
    expect(unsure.status).toBe(503);
    expect(unsure.text).toContain('We could not confirm whether your password was changed');
    expect(unsure.text).not.toContain('Your password was not changed');
    await until('the late write to land', () => primary.checkPassword(primaryId, chosen));
    expect(storedSync(account.id)?.targets.map((t) => t.status)).toEqual(['unknown', 'waiting']);

    const other = await submitPassword(user, link, password('someone else 31 kettle'));
    expect(other.status).toBe(409);
    expect(words(parse(other.text))).toContain(TRUTH);
    const same = await submitPassword(user, link, chosen);
    expect(same.text).toContain('Your password has been changed.');
    expect(await secondary.checkPassword(secondaryId, chosen)).toBe(true);
    expect(storedSync(account.id)?.targets.map((t) => t.status)).toEqual(['probable', 'applied']);
  });

  it('while the product is down past the lifetime: the sealed password is wiped at the first pass after start', async () => {
    const { account, secondaryId, link } = await nextAccount();
    const chosen = password('marble falcon sundial 67');
    // Down, and asking for a wait longer than the lifetime: no retry comes before the product stops.
    secondary.failNext(1, { status: 503, retryAfter: '30' }, 'PATCH');
    const done = await submitPassword(new HttpClient(), link, chosen);
    expect(done.text).toContain('It may take a few minutes to work everywhere.');
    const waiting = storedSync(account.id)!;
    expect(waiting.sealed).toBeTruthy();
    await kill();
    await new Promise((r) => setTimeout(r, Date.parse(waiting.sealedUntil!) - Date.now() + 200));
    expect(readFileSync(syncsFile(), 'utf8')).toContain(waiting.sealed!);

    await start();
    const expired = await until('the wipe', () => { const s = storedSync(account.id); return s?.state === 'attention' && s; }, 5_000);
    expect(expired.sealed).toBeUndefined();
    expect(readFileSync(syncsFile(), 'utf8')).not.toContain(waiting.sealed!);
    expect(expired.targets[1]).toMatchObject({ status: 'attention', lastResult: 'expired' });
    expect(words((await syncRow(expired.id))?.querySelector('li[data-instance="scim-b"]'))).toContain(`Not delivered within ${LIFETIME_SECONDS} seconds`);
    expect(await secondary.checkPassword(secondaryId, chosen)).toBe(false);
  });
});
