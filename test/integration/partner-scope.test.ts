import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { formFields } from '../support/http-client.js';
import { signInAsAdmin } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';

let product: Product;
let alice: HttpClient;

beforeAll(async () => {
  product = await startProduct();
  ({ client: alice } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo'));
});
afterAll(async () => {
  await product?.stop();
});

async function someAccount(partnerId: string) {
  const { items } = await product.store.listCustomers(partnerId, { page: 1, pageSize: 1 });
  const customer = items[0]!;
  const account = (await product.store.listAccounts(partnerId, customer.id))[0]!;
  return { customer, account };
}

describe('partner scoping in the admin console', () => {
  it('answers 404 on every admin route for another partner\'s company and account ids', async () => {
    const own = await someAccount('northwind');
    const other = await someAccount('contoso');
    const paths = [
      `/admin/customers/${other.customer.id}`,
      `/admin/customers/${other.customer.id}/accounts`,
      `/admin/customers/${other.customer.id}/accounts/${other.account.id}`,
      `/admin/customers/${other.customer.id}/accounts/${other.account.id}/reset`,
      // own company with another partner's account, and the reverse
      `/admin/customers/${own.customer.id}/accounts/${other.account.id}`,
      `/admin/customers/${own.customer.id}/accounts/${other.account.id}/reset`,
      `/admin/customers/${other.customer.id}/accounts/${own.account.id}`,
    ];
    for (const p of paths) {
      const res = await alice.get(product.url + p);
      expect(res.status, p).toBe(404);
      expect(res.text).not.toContain(other.account.email);
      expect(res.text).not.toContain(other.customer.name.replace(/&/g, '&amp;'));
    }
    // A genuine page of her own, for contrast: the routes work, the scope is what says no.
    expect((await alice.get(`${product.url}/admin/customers/${own.customer.id}/accounts/${own.account.id}`)).status).toBe(200);
  });

  it('refuses to issue a reset for another partner\'s account, and nothing is mailed or stored', async () => {
    const own = await someAccount('northwind');
    const other = await someAccount('contoso');
    const notice = await alice.get(`${product.url}/admin/customers/${own.customer.id}/accounts/${own.account.id}/reset`);
    const csrf = formFields(notice.text, 'form[action$="/reset"]');
    const before = (await product.store.listAudit()).length;
    for (const p of [
      `/admin/customers/${other.customer.id}/accounts/${other.account.id}/reset`,
      `/admin/customers/${own.customer.id}/accounts/${other.account.id}/reset`,
    ]) {
      const res = await alice.post(product.url + p, csrf);
      expect(res.status, p).toBe(404);
    }
    expect((await product.store.listAudit()).length).toBe(before);
    expect(product.smtp.messages.some((m) => JSON.stringify(m.to).includes(other.account.email))).toBe(false);
  });

  it('lists and searches only the signed-in partner\'s companies', async () => {
    const other = await someAccount('contoso');
    const list = await alice.get(`${product.url}/admin/customers?q=${encodeURIComponent(other.customer.name)}`);
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(`/admin/customers/${other.customer.id}`);
  });

  it('sends a visitor without a session to the sign-in page', async () => {
    const { HttpClient } = await import('../support/http-client.js');
    const res = await new HttpClient().get(`${product.url}/admin/customers`);
    expect(res.status).toBe(302);
    expect(res.location).toContain('/login?returnTo=%2Fadmin%2Fcustomers');
  });

  it('refuses an OK without the form\'s CSRF token', async () => {
    const own = await someAccount('northwind');
    const res = await alice.post(`${product.url}/admin/customers/${own.customer.id}/accounts/${own.account.id}/reset`, {});
    expect(res.status).toBe(403);
    expect(res.text).toContain('This form has expired');
  });
});
