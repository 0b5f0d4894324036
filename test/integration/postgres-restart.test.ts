// The database goes away under a running instance and comes back. Runs on a PostgreSQL server of
// its own (initdb in a temporary folder), so stopping it cannot disturb the other test files.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../contract/store-postgres-fixture.js';
import { HttpClient, formFields } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin } from '../support/journey.js';
import { freePort, startProduct, type Product } from '../support/product.js';

const pgBin = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin']
  .find((dir) => existsSync(path.join(dir, 'initdb')));
const UNAVAILABLE = 'The service is temporarily unavailable. Please try again in a minute.';

/** A throwaway PostgreSQL server. initdb refuses to run as root, so as root it belongs to `postgres`. */
class Cluster {
  private constructor(readonly dir: string, readonly port: number, private readonly runAs: string | undefined) {}

  static async create(bin: string): Promise<Cluster> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-pg-'));
    const runAs = process.getuid?.() === 0 ? 'postgres' : undefined;
    if (runAs) {
      const id = (flag: string) => Number(execFileSync('id', [flag, runAs], { encoding: 'utf8' }).trim());
      chownSync(dir, id('-u'), id('-g'));
    }
    const cluster = new Cluster(dir, await freePort(), runAs);
    cluster.run(path.join(bin, 'initdb'), ['-D', cluster.data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    return cluster;
  }

  get data(): string {
    return path.join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    this.run(path.join(pgBin!, 'pg_ctl'), ['-D', this.data, '-l', path.join(this.dir, 'server.log'), '-w', 'start',
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`]);
  }

  stop(): void {
    this.run(path.join(pgBin!, 'pg_ctl'), ['-D', this.data, '-m', 'fast', '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(cmd: string, args: string[]): void {
    const [file, argv] = this.runAs ? ['runuser', ['-u', this.runAs, '--', cmd, ...args]] : [cmd, args];
    execFileSync(file, argv, { stdio: 'pipe', timeout: 60_000 });
  }
}

describe.skipIf(!databaseUrl || !pgBin)('an instance whose PostgreSQL restarts', () => {
  let cluster: Cluster;
  let product: Product;
  let admin: HttpClient;

  beforeAll(async () => {
    cluster = await Cluster.create(pgBin!);
    cluster.start();
    product = await startProduct({}, { databaseUrl: cluster.url });
    ({ client: admin } = await signInAsAdmin(product, 'bob@contoso-reseller.example', 'contoso-demo'));
  }, 90_000);
  afterAll(async () => {
    await product?.stop();
    cluster?.destroy();
  });

  const readiness = async () => {
    const res = await fetch(`${product.url}/readyz`);
    return { status: res.status, body: await res.json() as unknown };
  };

  it('answers 503 with a plain page while the database is down, and works again once it is back, without a restart', async () => {
    expect((await admin.get(`${product.url}/admin/customers`)).status).toBe(200);
    expect(await readiness()).toMatchObject({ status: 200, body: { status: 'ready', store: 'reachable' } });
    const { items } = await product.store.listCustomers('contoso', { page: 1, pageSize: 1 });
    const account = (await product.store.listAccounts('contoso', items[0]!.id))[0]!;
    await resetThroughConsole(admin, product, `/admin/customers/${items[0]!.id}/accounts/${account.id}`);
    const link = await resetLinkFor(product, account.email);
    const user = new HttpClient();
    const form = formFields((await user.get(link)).text);
    const submit = () => user.post(link, { ...form, password: 'granite harbour 93 willow', confirm: 'granite harbour 93 willow' });

    cluster.stop();
    try {
      const page = await admin.get(`${product.url}/admin/customers`);
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('60');
      expect(page.text).toContain(UNAVAILABLE);
      expect(page.text).not.toMatch(/ECONNREFUSED|node_modules|\.ts:\d+|\n\s+at /);

      const json = await fetch(`${product.url}/admin/customers`, { headers: { accept: 'application/json', cookie: await admin.cookies(product.url) } });
      expect(json.status).toBe(503);
      expect(await json.json()).toEqual({ error: 'STORE_UNAVAILABLE', message: UNAVAILABLE });

      const resetPage = await user.get(link);
      expect(resetPage.status).toBe(503);
      expect(resetPage.text).toContain(UNAVAILABLE);
      const submitted = await submit();
      expect(submitted.status).toBe(503);
      expect(submitted.text).toContain(UNAVAILABLE);

      expect(await readiness()).toMatchObject({ status: 503, body: { status: 'unavailable', store: 'unreachable' } });
      // Let the mail worker run into the outage too: it must keep polling, not die.
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      cluster.start();
    }

    expect(await readiness()).toMatchObject({ status: 200, body: { status: 'ready', store: 'reachable' } });
    // The admin's session lives in the database and survived the restart; the link too.
    expect((await admin.get(`${product.url}/admin/customers`)).status).toBe(200);
    expect((await submit()).text).toContain('Your password has been changed.');
    // The mail worker ran into the outage and carried on.
    await product.smtp.waitFor((m) => /changed/i.test(m.subject ?? '') && m.text?.includes(account.login) === true);
    // An idle pooled connection may or may not be open when the server stops, so the pool's own
    // "connection lost" event is not guaranteed; the worker's failed pass is.
    expect(product.logLines.join('\n')).toContain('mail delivery pass failed; will try again');
  }, 60_000);
});
