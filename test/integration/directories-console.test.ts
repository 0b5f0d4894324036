import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { startScimServer, type ScimServer } from '../support/scim-server.js';

let product: Product;
let scim: ScimServer;
let dana: HttpClient;

beforeAll(async () => {
  scim = await startScimServer({ token: 'scim-secret-token-4711' });
  process.env.RB_TEST_SCIM_TOKEN = scim.token;
  product = await startProduct({
    directories: [{ id: 'hr-scim', plugin: 'scim', config: { baseUrl: scim.url, token: 'env:RB_TEST_SCIM_TOKEN', allowInsecureHttp: true } }],
  } as never);
  ({ client: dana } = await signInAsAdmin(product, 'dana@northwind-partners.example', 'northwind-demo'));
});
afterAll(async () => {
  await product?.stop();
  await scim?.stop();
  delete process.env.RB_TEST_SCIM_TOKEN;
});

const page = (path: string) => dana.get(product.url + path);

describe('the IdP admin console for directories', () => {
  it('lists each adapter instance with its type and the companies bound to it', async () => {
    const res = await page('/idp-admin/directories');
    expect(res.status).toBe(200);
    expect(res.text).toContain('demo-directory');
    expect(res.text).toContain('local-directory');
    expect(res.text).toContain('hr-scim');
    const customers = (await product.store.listCustomers('northwind', { page: 1, pageSize: 100 })).total
      + (await product.store.listCustomers('contoso', { page: 1, pageSize: 100 })).total;
    expect(res.text).toMatch(new RegExp(`demo-directory</a></td>\\s*<td>local-directory</td>[\\s\\S]*?<td>${customers}</td>`));
  });

  it('shows a directory\'s configuration without its secret, and never sends the secret to the browser', async () => {
    const res = await page('/idp-admin/directories/hr-scim');
    expect(res.text).toContain('••••');
    expect(res.text).not.toContain(scim.token);
  });

  it('is closed to a partner admin without the idp-admin role', async () => {
    const { client: alice } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo');
    expect((await alice.get(`${product.url}/idp-admin/directories`)).status).toBe(403);
    expect((await alice.get(`${product.url}/idp-admin/directories/demo-directory`)).status).toBe(403);
  });

  it('changes a company\'s binding, refuses a malformed mapping, and a broken binding shows on the Directories page', async () => {
    const { items } = await product.store.listCustomers('northwind', { page: 1, pageSize: 5 });
    const customer = items[4]!;
    const path = `/idp-admin/customers/northwind/${customer.id}/directory`;
    const form = await page(path);
    const bad = await dana.post(product.url + path, { ...formFields(form.text), instance: 'hr-scim', mapping: '{nickname}' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('The mapping must be login, email, externalId, or a template');
    expect((await product.store.getCustomer('northwind', customer.id))!.directory!.instance).toBe('demo-directory');

    const saved = await dana.post(product.url + path, { ...formFields(form.text), instance: 'hr-scim', mapping: '{login}@hr.example' });
    expect(saved.status).toBe(303);
    expect((await dana.follow(saved)).text).toContain('The directory binding was saved.');
    const company = await page(`/admin/customers/${customer.id}`);
    expect(company.text).toContain('hr-scim');
    expect((await product.store.listAudit('northwind')).some((e) => e.type === 'admin.binding-changed')).toBe(true);

    // The SCIM server has no such user: the mapping finds nobody, a configuration problem the
    // user must not be lied to about.
    const account = (await product.store.listAccounts('northwind', customer.id))[0]!;
    await resetThroughConsole(dana, product, `/admin/customers/${customer.id}/accounts/${account.id}`);
    const link = await resetLinkFor(product, account.email);
    const res = await submitPassword(new HttpClient(), link, 'copper valley 88 lantern');
    expect(res.text).toContain('Your password has not been changed');
    expect(res.text).not.toContain('Your password has been changed.');
    expect((await page('/idp-admin/directories')).text).toMatch(/Needs attention \(1 failed reset\)/);
  });
  it('tests the connection and says in plain words whether it works', async () => {
    const detail = await page('/idp-admin/directories/hr-scim');
    const ok = await dana.post(`${product.url}/idp-admin/directories/hr-scim/test`, formFields(detail.text, 'form[action$="/test"]'));
    expect(ok.text).toContain('The connection works.');
    await scim.stop();
    const down = await dana.post(`${product.url}/idp-admin/directories/hr-scim/test`, formFields(detail.text, 'form[action$="/test"]'));
    expect(down.text).toContain('The connection does not work.');
    expect((await page('/idp-admin/directories')).text).toContain('Test failed');
  });

});
