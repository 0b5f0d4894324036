import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields, formTarget, signInAtDemoIdp, type Res } from '../support/http-client.js';
import { links } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';

// The demo as `npm start` runs it: each seeded partner has the demo OIDC connection and a SAML
// connection to the demo SAML IdP, which signs real responses.

let product: Product;

beforeAll(async () => {
  product = await startProduct({ demo: { seed: true, idp: true, idpPort: 0, samlIdp: true, samlIdpPort: 0 } });
});
afterAll(async () => {
  await product?.stop();
});

/** Work email → choice → the demo SAML IdP's sign-in page. */
async function toSamlIdp(client: HttpClient, email: string): Promise<Res> {
  const login = await client.get(`${product.url}/login`);
  const choice = await client.post(`${product.url}/login`, { ...formFields(login.text), email });
  expect(choice.status).toBe(200);
  const saml = links(choice.text).find((l) => l.text.includes('(demo SAML IdP)'));
  expect(saml).toBeDefined();
  return client.follow(await client.get(product.url + saml!.href.replace(/&amp;/g, '&')));
}

describe('the demo SAML IdP', () => {
  it('lists both demo connections on the sign-in choice', async () => {
    const client = new HttpClient();
    const login = await client.get(`${product.url}/login`);
    const choice = await client.post(`${product.url}/login`, { ...formFields(login.text), email: 'bob@contoso-reseller.example' });
    expect(links(choice.text).filter((l) => l.href.startsWith('/auth/')).map((l) => l.text)).toEqual([
      'Contoso Reseller (demo IdP)', 'Contoso Reseller (demo SAML IdP)',
    ]);
  });

  it('shows a sign-in page with Email, Password and Sign in, and no inline script', async () => {
    const page = await toSamlIdp(new HttpClient(), 'alice@northwind-partners.example');
    expect(page.status).toBe(200);
    const root = parse(page.text);
    expect(root.querySelector('label[for="email"]')!.text).toBe('Email');
    expect(root.querySelector('label[for="password"]')!.text).toBe('Password');
    expect(root.querySelectorAll('form button').map((b) => b.text)).toEqual(['Sign in']);
    expect(root.querySelectorAll('script')).toHaveLength(0);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('signs a partner admin in end to end: a signed response auto-posted to the ACS by a script file', async () => {
    const client = new HttpClient();
    const page = await toSamlIdp(client, 'alice@northwind-partners.example');
    const posted = await client.post(formTarget(page.text, page.url).action, { ...formFields(page.text), email: 'alice@northwind-partners.example', password: 'northwind-demo' });
    expect(posted.status).toBe(200);
    const root = parse(posted.text);
    const form = root.querySelector('form#saml-post')!;
    expect(form.getAttribute('action')).toBe(`${product.url}/auth/demo-saml-northwind/saml/acs`);
    expect(root.querySelector('script')!.getAttribute('src')).toBe('/autopost.js');
    expect(root.querySelector('script')!.text).toBe('');
    expect(posted.text).toContain('<noscript><button type="submit">Continue</button></noscript>');
    const csp = posted.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`form-action ${new URL(product.url).origin}`);
    const script = await client.get(new URL('/autopost.js', posted.url).href);
    expect(script.text).toContain("getElementById('saml-post').submit()");
    const xml = Buffer.from(formFields(posted.text).SAMLResponse!, 'base64').toString('utf8');
    expect(xml.match(/<ds:Signature[ >]/g)).toHaveLength(2); // Response and Assertion

    const acs = await client.post(form.getAttribute('action')!, formFields(posted.text));
    expect(acs.status).toBe(303);
    const landing = await client.follow(acs);
    expect(landing.text).toContain('Users &amp; Licenses');
    expect(landing.text).toContain('Alice Moreau');
  });

  it('tells a wrong password at the IdP, and the demo IdP admin reaches the IdP admin page from the nav', async () => {
    const client = new HttpClient();
    const page = await toSamlIdp(client, 'dana@northwind-partners.example');
    const wrong = await signInAtDemoIdp(client, page, 'dana@northwind-partners.example', 'nope');
    expect(parse(wrong.text).querySelector('[role="alert"]')!.text).toBe('Email or password is incorrect.');
    const landing = await client.follow(await signInAtDemoIdp(client, wrong, 'dana@northwind-partners.example', 'northwind-demo'));
    expect(links(landing.text).some((l) => l.text === 'IdP admin' && l.href === '/idp-admin')).toBe(true);
    const idpAdmin = await client.get(`${product.url}/idp-admin`);
    expect(parse(idpAdmin.text).querySelector('h1')!.text).toBe('IdP admin');
  });

  it('gives carol, who has no resetbridge group, the no-access message', async () => {
    const client = new HttpClient();
    const res = await signInAtDemoIdp(client, await toSamlIdp(client, 'carol@northwind-partners.example'), 'carol@northwind-partners.example', 'northwind-demo');
    expect(res.status).toBe(403);
    expect(res.text).toContain('You are signed in but have no access to resetbridge; ask your administrator.');
  });

  it('signs out through Single Logout at the demo IdP and comes back to the signed-out page', async () => {
    const client = new HttpClient();
    const landing = await client.follow(await signInAtDemoIdp(client, await toSamlIdp(client, 'bob@contoso-reseller.example'), 'bob@contoso-reseller.example', 'contoso-demo'));
    const out = await client.post(`${product.url}/logout`, formFields(landing.text, 'form[action="/logout"]'));
    expect(out.status).toBe(303);
    expect(new URL(out.location!).pathname).toBe('/slo');
    const back = await client.get(out.location!);
    expect(back.status).toBe(303);
    expect(back.location!.startsWith(`${product.url}/auth/demo-saml-contoso/saml/slo?SAMLResponse=`)).toBe(true);
    expect(new URL(back.location!).searchParams.get('Signature')).toBeTruthy();
    const done = await client.get(back.location!);
    expect(done.status).toBe(303);
    expect(done.location).toBe(`${product.url}/signed-out?connection=demo-saml-contoso`);
    const page = await client.follow(done);
    expect(page.text).toContain('You are signed out of resetbridge.');
    expect(page.text).not.toContain('did not confirm');
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(302);
    expect((await product.store.listAudit()).filter((e) => e.type === 'admin.signout').at(-1)).toMatchObject({ partnerId: 'contoso', target: 'connection:demo-saml-contoso' });
  });

  it('refuses an AuthnRequest that is not signed by the registered service provider', async () => {
    const start = await new HttpClient().get(`${product.url}/auth/demo-saml-northwind/start`);
    const url = new URL(start.location!);
    url.searchParams.delete('Signature');
    const res = await new HttpClient().get(url.href);
    expect(res.status).toBe(400);
    expect(res.text).toContain('This sign-in request is not valid.');
  });
});
