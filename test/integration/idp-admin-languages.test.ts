// The IdP admin's pages in Japanese: a browser that asks for Japanese gets every page of the area,
// and the messages of a refused form, in Japanese, with no English sentence of the interface left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields, type Res } from '../support/http-client.js';
import { signInAsAdmin } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';

const JA = { 'accept-language': 'ja' };
let product: Product;
let dana: HttpClient;

beforeAll(async () => {
  product = await startProduct();
  dana = (await signInAsAdmin(product, 'dana@northwind-partners.example', 'northwind-demo')).client;
});
afterAll(async () => {
  await product?.stop();
});

async function page(path: string): Promise<Res> {
  const res = await dana.get(`${product.url}${path}`, JA);
  expect(res.status, `${path}: ${res.text.slice(0, 300)}`).toBe(200);
  expect(res.text).toContain('<html lang="ja">');
  return res;
}

/** Sentences and headings of the English interface that must not survive on a Japanese page. */
const ENGLISH = [
  'IdP admin', 'Sign-in connections', 'API clients', 'Mail previews', 'All partners', 'Partner</', 'Status</',
  'Directories</h1>', 'Directory of ', 'Branding</', 'Webhooks</', 'New subscription', 'Create subscription', 'Last test',
  'Test connection', 'Any status', 'newest first', 'No API clients yet', 'Create client', 'Save</button>', 'Display name',
  'Upload a logo', 'Plain-text version', 'Reset link (', 'Password changed</h2>', 'Add SAML connection', 'Roles</legend>', 'Further directories', 'Signatures</legend>',
];

function expectJapanese(res: Res, path: string, japanese: string[]) {
  const left = ENGLISH.filter((s) => res.text.includes(s));
  expect(left, `${path} still shows English`).toEqual([]);
  for (const j of japanese) expect(res.text, path).toContain(j);
}

describe('the IdP admin area in Japanese', () => {
  it('shows every page in Japanese to a browser that asks for Japanese', async () => {
    const directories = await page('/idp-admin/directories');
    const directoryPath = /href="(\/idp-admin\/directories\/[^"]+)"/.exec(directories.text)![1]!;
    const directory = await page(directoryPath);
    const bindingPath = /href="(\/idp-admin\/customers\/[^"]+\/directory)"/.exec(directory.text)?.[1];
    const branding = await page('/idp-admin/branding');
    const brandingPath = /href="(\/idp-admin\/branding\/[^"/]+)"/.exec(branding.text)![1]!;

    const pages: Array<[string, string[]]> = [
      ['/idp-admin', ['<h1>IdP 管理</h1>', 'サインイン接続', 'メールのプレビュー']],
      ['/idp-admin/directories', ['<h1>ディレクトリ</h1>', '最終テスト']],
      [directoryPath, ['接続をテスト', 'このディレクトリを使用している会社']],
      ['/idp-admin/sync', ['<h1>同期</h1>', 'すべての状態', '新しい順']],
      ['/idp-admin/api-clients', ['<h1>API クライアント</h1>', 'クライアントを作成']],
      ['/idp-admin/webhooks', ['<h1>Webhook</h1>', '新しいサブスクリプション', 'サブスクリプションを作成']],
      ['/idp-admin/connections', ['<h1>サインイン接続</h1>', 'SAML 接続を追加']],
      ['/idp-admin/connections/new?kind=saml', ['<h1>新しい SAML 接続</h1>', 'パートナーの IdP メタデータ', '接続を追加']],
      ['/idp-admin/connections/new?kind=oidc', ['<h1>新しい OpenID Connect 接続</h1>', 'クライアントシークレット']],
      ['/idp-admin/branding', ['<h1>ブランディング</h1>', 'ブランディングを編集']],
      [brandingPath, ['のブランディング</h1>', '表示名', 'ロゴをアップロード']],
      ['/idp-admin/mail-previews', ['<h1>メールのプレビュー</h1>', 'テキスト版', 'リセットリンク（管理者が送信）', 'パスワード変更のお知らせ']],
    ];
    if (bindingPath) pages.push([bindingPath, ['のディレクトリ</h1>', '追加のディレクトリ']]);
    for (const [path, japanese] of pages) expectJapanese(await page(path), path, japanese);
  });

  it('refuses a bad webhook form with a Japanese message, and keeps English for an English browser', async () => {
    const form = await page('/idp-admin/webhooks');
    const fields = formFields(form.text, 'form[action="/idp-admin/webhooks"]');
    const bad = { ...fields, name: 'Receiver', url: 'ftp://hooks.example.com/in', events: 'reset.completed' };
    const refused = await dana.post(`${product.url}/idp-admin/webhooks`, bad, JA);
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('https:// の URL を使用してください。');
    expectJapanese(refused, 'refused webhook form', ['新しいサブスクリプション']);

    const english = await dana.post(`${product.url}/idp-admin/webhooks`, bad, { 'accept-language': 'en' });
    expect(english.status).toBe(422);
    expect(english.text).toContain('Use an https:// URL.');
    expect(english.text).toContain('<h2 id="new-webhook">New subscription</h2>');
  });

  it('refuses a bad connection form with Japanese messages next to the fields', async () => {
    const form = await page('/idp-admin/connections/new?kind=oidc');
    const fields = formFields(form.text, 'form[action="/idp-admin/connections/new"]');
    const refused = await dana.post(`${product.url}/idp-admin/connections/new`, { ...fields, id: 'Bad Id', displayName: '', issuer: 'not a url' }, JA);
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('接続は保存されませんでした');
    expect(refused.text).toContain('英小文字、数字、ハイフンを 2〜60 文字で入力してください');
    expect(refused.text).toContain('サインインボタンに表示する名前を入力してください。');
  });

  it('refuses a taken connection id in Japanese', async () => {
    const list = await page('/idp-admin/connections');
    const taken = /href="\/idp-admin\/connections\/([a-z0-9-]+)"/.exec(list.text.replace(/href="\/idp-admin\/connections\/new[^"]*"/g, ''))![1]!;
    const form = await page('/idp-admin/connections/new?kind=oidc');
    const fields = formFields(form.text, 'form[action="/idp-admin/connections/new"]');
    const values = { ...fields, id: taken, partnerId: 'northwind', displayName: 'Northwind', issuer: 'https://idp.example.com', clientId: 'rb', clientSecret: 's',
      tokenEndpointAuth: 'client_secret_basic', partnerAdminValues: 'resetbridge-admins' };
    const refused = await dana.post(`${product.url}/idp-admin/connections/new`, values, JA);
    expect(refused.status).toBe(422);
    expect(refused.text).toContain(`id="id-error" class="bad">ID ${taken} はすでに使われています。別の ID を選んでください。`);
    expect(refused.text).not.toContain('is taken');
  });

  it('refuses a brand colour too light, and a malformed directory binding, in Japanese', async () => {
    const edit = await page('/idp-admin/branding/northwind');
    const fields = formFields(edit.text, 'form[action="/idp-admin/branding/northwind"]');
    const colour = await dana.post(`${product.url}/idp-admin/branding/northwind`, { ...fields, primaryColor: '#ffeb3b' }, JA);
    expect(colour.status).toBe(422);
    expect(colour.text).toMatch(/#ffeb3b は明るすぎて、白いページの上で見分けられません（1\.\d\d:1。ボタンには 3:1 以上が必要です）。/);
    expect(colour.text).not.toContain('too light');

    const { items } = await product.store.listCustomers('northwind', { page: 1, pageSize: 1 });
    const path = `/idp-admin/customers/northwind/${items[0]!.id}/directory`;
    const binding = await page(path);
    const bad = await dana.post(product.url + path, { ...formFields(binding.text), instance: 'demo-directory', mapping: '{nickname}' }, JA);
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('ディレクトリ上の ID には login、email、externalId、または {login}@corp.example のようなテンプレートを指定してください。');
    expect(bad.text).not.toContain('The mapping must be');

    const clients = await page('/idp-admin/api-clients');
    const noScope = await dana.post(`${product.url}/idp-admin/api-clients`, { ...formFields(clients.text, 'form[action="/idp-admin/api-clients"]'), name: 'Reporting' }, JA);
    expect(noScope.status).toBe(422);
    expect(noScope.text).toContain('スコープを 1 つ以上選んでください。');
  });
});
