// Two instances of the product behind an imaginary load balancer: one PostgreSQL database, one
// demo directory, the same secrets. A request may land on either; the outcome must not depend on which.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/domain/audit.js';
import { createSecretBox } from '../../src/domain/secretbox.js';
import { databaseUrl, freshSchema, type TestSchema } from '../contract/store-postgres-fixture.js';
import { HttpClient, formFields } from '../support/http-client.js';
import { linkTo, resetLinkFor, signInAsAdmin, submitPassword } from '../support/journey.js';
import { newSecrets, startProduct, type Product } from '../support/product.js';

const CHANGED = 'Your password has been changed.';

describe.skipIf(!databaseUrl)('two instances sharing one PostgreSQL database', () => {
  const secrets = newSecrets();
  let schema: TestSchema;
  let a: Product;
  let b: Product;
  let admin: HttpClient;
  let nextCustomer = 0;

  beforeAll(async () => {
    schema = await freshSchema();
    a = await startProduct({}, { databaseUrl: schema.url, secrets });
    b = await startProduct({}, { databaseUrl: schema.url, secrets, dataDir: a.dataDir, smtp: a.smtp });
    ({ client: admin } = await signInAsAdmin(a, 'bob@contoso-reseller.example', 'contoso-demo'));
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await schema?.drop();
  });

  /** A Contoso account no other case uses, and the path of its page in the console. */
  async function freshAccount() {
    const { items } = await a.store.listCustomers('contoso', { page: 1, pageSize: 50 });
    const customer = items[nextCustomer++]!;
    const account = (await a.store.listAccounts('contoso', customer.id))[0]!;
    return { account, path: `/admin/customers/${customer.id}/accounts/${account.id}` };
  }

  /** Reset password → notice (served by `from`) → OK (posted to `to`), and the link that was mailed. */
  async function issue(from: Product, to: Product) {
    const { account, path } = await freshAccount();
    const page = await admin.get(from.url + path);
    const notice = await admin.get(from.url + linkTo(page.text, 'Reset password'));
    const action = notice.text.match(/<form[^>]+action="([^"]+\/reset)"/)?.[1];
    const ok = await admin.post(to.url + action, formFields(notice.text, 'form[action$="/reset"]'));
    expect(ok.status).toBe(303);
    return { account, link: await resetLinkFor(a, account.email) };
  }

  const directoryAccepts = async (login: string, password: string) => {
    const adapter = a.directories.get('demo-directory')!.adapter;
    const found = await adapter.resolveAccount({ by: 'login', value: login });
    return !!found && (await adapter.verifyPassword!(found, password));
  };

  it('accepts on B the admin session and form token that A issued', async () => {
    const onB = await admin.get(`${b.url}/admin/customers`);
    expect(onB.status).toBe(200);
    expect(onB.text).toContain('Contoso');
    await issue(a, b);
  });

  it('redeems on B a link issued on A, after which A refuses it too', async () => {
    const { account, link } = await issue(a, a);
    const onB = link.replace(a.url, b.url);
    expect(onB).not.toBe(link);
    const res = await submitPassword(new HttpClient(), onB, 'harbour lantern 42 violet');
    expect(res.text).toContain(CHANGED);
    expect(await directoryAccepts(account.login, 'harbour lantern 42 violet')).toBe(true);
    expect((await new HttpClient().get(link)).status).toBe(410);
  });

  it('lets exactly one of two submits of the same link, one to A and one to B at once, set the password', async () => {
    const { account, link } = await issue(a, a);
    const toA = new HttpClient();
    const toB = new HttpClient();
    const linkB = link.replace(a.url, b.url);
    const [pageA, pageB] = await Promise.all([toA.get(link), toB.get(linkB)]);
    const [resA, resB] = await Promise.all([
      toA.post(link, { ...formFields(pageA.text), password: 'alpha submit 111 granite', confirm: 'alpha submit 111 granite' }),
      toB.post(linkB, { ...formFields(pageB.text), password: 'bravo submit 222 meadow', confirm: 'bravo submit 222 meadow' }),
    ]);
    const winners = [resA, resB].filter((r) => r.text.includes(CHANGED));
    expect(winners).toHaveLength(1);
    const loser = winners[0] === resA ? resB : resA;
    expect([409, 410]).toContain(loser.status);
    const [won, lost] = winners[0] === resA ? ['alpha submit 111 granite', 'bravo submit 222 meadow'] : ['bravo submit 222 meadow', 'alpha submit 111 granite'];
    expect(await directoryAccepts(account.login, won)).toBe(true);
    expect(await directoryAccepts(account.login, lost)).toBe(false);
  });

  it('counts tries at a link on both instances together: the eleventh is refused wherever it lands', async () => {
    const { link } = await issue(a, a);
    const linkB = link.replace(a.url, b.url);
    const client = new HttpClient();
    const fields = formFields((await client.get(link)).text);
    const tries: number[] = [];
    // redeemPerToken allows 10 per 15 minutes; "too short" is refused by policy without using the link.
    for (let i = 0; i < 10; i++) tries.push((await client.post(i % 2 ? linkB : link, { ...fields, password: 'short', confirm: 'short' })).status);
    expect(tries).toEqual(Array(10).fill(422));
    const eleventh = await client.post(link, { ...fields, password: 'short', confirm: 'short' });
    expect(eleventh.status).toBe(429);
    expect(Number(eleventh.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('delivers each queued mail once although both instances run a mail worker', async () => {
    // Many mails fall due at the same moment while both workers poll every 100 ms, so both drain
    // the queue at once for a while, claiming batch after batch.
    const MAILS = 200;
    const box = createSecretBox({ k1: Buffer.from(secrets.dataKey, 'base64') }, 'k1');
    const run = randomUUID().slice(0, 8);
    const due = new Date(Date.now() + 500).toISOString();
    for (let i = 0; i < MAILS; i++) {
      const message = { to: `worker-test-${i}@example.com`, subject: `worker test ${run} #${i}`, text: `mail ${i}`, html: `<p>mail ${i}</p>` };
      await a.store.enqueueMail({
        id: randomUUID(), partnerId: 'contoso', kind: 'test', sealed: box.seal(JSON.stringify(message)),
        status: 'queued', attempts: 0, nextAttemptAt: due, createdAt: due,
      });
    }
    const ours = () => a.smtp.messages.filter((m) => m.subject?.startsWith(`worker test ${run} `));
    await a.smtp.waitFor(() => ours().length >= MAILS, 20_000);
    await new Promise((r) => setTimeout(r, 1500)); // room for a duplicate to arrive
    const subjects = ours().map((m) => m.subject);
    expect(subjects).toHaveLength(MAILS);
    expect(new Set(subjects).size).toBe(MAILS);
  });

  it('keeps one audit chain that verifies, written by both instances', async () => {
    const events = await b.store.listAudit();
    expect(events.length).toBeGreaterThan(10);
    expect(verifyChain(events)).toEqual({ ok: true });
  });
});
