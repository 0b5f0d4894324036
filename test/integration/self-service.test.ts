import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields, type Res } from '../support/http-client.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';
import { submitPassword } from '../support/journey.js';
import { until } from '../support/wait.js';

let product: Product;

beforeAll(async () => {
  product = await startProduct({ rateLimits: { issuePerIp: { points: 1000, seconds: 900 } } } as never);
});
afterAll(async () => {
  await product?.stop();
});

async function ask(identifier: string, client = new HttpClient()): Promise<Res> {
  const page = await client.get(`${product.url}/forgot/northwind`);
  return client.post(`${product.url}/forgot/northwind`, { ...formFields(page.text), identifier });
}

async function someAccount(index: number) {
  const { items } = await product.store.listCustomers('northwind', { page: 1, pageSize: 30 });
  return (await product.store.listAccounts('northwind', items[index]!.id))[0]!;
}

const settle = async () => {
  // Work happens after the response; give the background job and the outbox a moment.
  await new Promise((r) => setTimeout(r, 300));
};

describe('forgot your password', () => {
  it('answers an existing and an unknown account with the same status and page, and mails only the real one', async () => {
    const account = await someAccount(0);
    const real = await ask(account.email);
    const unknown = await ask('nobody-here@nowhere.example');
    expect(real.status).toBe(200);
    expect(unknown.status).toBe(real.status);
    expect(unknown.text).toBe(real.text);
    expect(real.text).toContain('If an account matches, we have sent an email');
    const mail = await product.smtp.waitFor((m) => recipient(m).includes(account.email));
    expect(mail.text).toContain('Someone asked to reset the password');
    const link = /(http:\/\/\S+\/reset\/[A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;
    const done = await submitPassword(new HttpClient(), link, 'saffron meadow 31 thunder');
    expect(done.text).toContain('Your password has been changed.');
    await settle();
    expect(product.smtp.messages.filter((m) => recipient(m).includes('nobody-here@nowhere.example'))).toHaveLength(0);
  });

  it('takes about as long for an unknown account as for a real one: the look-up is off the request path', async () => {
    const account = await someAccount(1);
    const client = new HttpClient();
    const timings = { real: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 12; i++) {
      for (const [kind, id] of [['real', account.login], ['unknown', `ghost-${i}@nowhere.example`]] as const) {
        const page = await client.get(`${product.url}/forgot/northwind`);
        const t = performance.now();
        await client.post(`${product.url}/forgot/northwind`, { ...formFields(page.text), identifier: id });
        timings[kind].push(performance.now() - t);
      }
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(Math.abs(median(timings.real) - median(timings.unknown))).toBeLessThan(15);
  });

  it('links expire after 30 minutes by default (self-service is shorter than admin links)', async () => {
    const account = await someAccount(2);
    await ask(account.login);
    await product.smtp.waitFor((m) => recipient(m).includes(account.email));
    const resets = (await product.store.listAudit('northwind')).filter((e) => e.type === 'reset.issued' && e.detail?.flow === 'self-service');
    expect(resets.length).toBeGreaterThan(0);
    const mail = product.smtp.messages.find((m) => recipient(m).includes(account.email))!;
    const token = /\/reset\/([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;
    const { hashToken } = await import('../../src/domain/tokens.js');
    const record = (await product.store.findResetByHash(hashToken(token)))!;
    expect(Date.parse(record.expiresAt) - Date.parse(record.createdAt)).toBe(30 * 60 * 1000);
  });

  it('sends at most three mails per account in 15 minutes, without telling the requester', async () => {
    const account = await someAccount(3);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await ask(account.login));
    expect(new Set(answers.map((a) => `${a.status}${a.text}`)).size).toBe(1);
    const resetMails = () => product.smtp.messages.filter((m) => recipient(m).includes(account.email) && /reset your password/.test(m.subject ?? ''));
    await until('three reset mails', () => resetMails().length >= 3);
    await settle();
    expect(resetMails()).toHaveLength(3);
  });

  it('is not offered by a partner that has it switched off', async () => {
    expect((await new HttpClient().get(`${product.url}/forgot/contoso`)).status).toBe(404);
  });

  it('finds the partner page from a company domain or partner code', async () => {
    const client = new HttpClient();
    const page = await client.get(`${product.url}/forgot`);
    const res = await client.post(`${product.url}/forgot`, { ...formFields(page.text), company: 'northwind-partners.example' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${product.url}/forgot/northwind`);
  });
});

describe('throttling', () => {
  let limited: Product;
  beforeAll(async () => {
    limited = await startProduct({ rateLimits: { issuePerIp: { points: 2, seconds: 900 }, redeemPerToken: { points: 3, seconds: 900 }, openPerToken: { points: 5, seconds: 900 } } } as never);
  });
  afterAll(async () => {
    await limited?.stop();
  });

  /** A fresh link, through the console, for the first account of the n-th company of the limited product. */
  async function limitedLink(n: number) {
    const { signInAsAdmin, resetThroughConsole, resetLinkFor } = await import('../support/journey.js');
    const { client: admin } = await signInAsAdmin(limited, 'alice@northwind-partners.example', 'northwind-demo');
    const { items } = await limited.store.listCustomers('northwind', { page: 1, pageSize: n + 1 });
    const account = (await limited.store.listAccounts('northwind', items[n]!.id))[0]!;
    await resetThroughConsole(admin, limited, `/admin/customers/${items[n]!.id}/accounts/${account.id}`);
    return { account, link: await resetLinkFor(limited, account.email), admin, items, resetThroughConsole, resetLinkFor };
  }

  it('answers 429 with Retry-After and a clear page once an address asks too often', async () => {
    const client = new HttpClient();
    const statuses = [];
    let last: Res | undefined;
    for (let i = 0; i < 3; i++) {
      const page = await client.get(`${limited.url}/forgot/northwind`);
      last = await client.post(`${limited.url}/forgot/northwind`, { ...formFields(page.text), identifier: `x${i}@nowhere.example` });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.text).toContain('too many attempts');
  });

  it('stops answering a link reloaded in a loop, so its openings cannot grow the audit trail without end', async () => {
    const { account, link } = await limitedLink(1);
    const statuses = [];
    let last: Res | undefined;
    for (let i = 0; i < 7; i++) statuses.push((last = await new HttpClient().get(link)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.text).toContain('too many attempts');
    expect(last!.headers.get('cache-control')).toBe('no-store');
    const opened = await limited.store.queryAudit({ partnerId: 'northwind', target: `account:${account.id}`, type: 'reset.opened' });
    expect(opened).toHaveLength(5);
  });

  it('stops guessing on one link after a few submits, and the account is not locked', async () => {
    const { account, link, admin, items, resetThroughConsole, resetLinkFor } = await limitedLink(0);
    const user = new HttpClient();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await submitPassword(user, link, 'short')).status);
    expect(statuses).toEqual([422, 422, 422, 429]);
    // A fresh link for the same account works at once: throttling never locks the account.
    await resetThroughConsole(admin, limited, `/admin/customers/${items[0]!.id}/accounts/${account.id}`);
    const fresh = await resetLinkFor(limited, account.email, 2);
    expect((await submitPassword(new HttpClient(), fresh, 'a fresh start 2026 plum')).text).toContain('Your password has been changed.');
  });
});
