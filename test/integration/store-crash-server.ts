// A tiny HTTP server over the embedded store, killed with SIGKILL by store-crash.test.ts.
// POST /write?n=N makes one real store write and answers only once the store says it is done;
// POST /missing with the acknowledged write numbers (a,b,c) lists those the store does not hold.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OutboxMail } from '../../src/domain/types.js';
import { LowdbStore } from '../../src/store/lowdb/index.js';

const store = await LowdbStore.open(process.argv[2]!);
if (await store.isEmpty()) {
  await store.importTenants({
    partners: [{ id: 'p', name: 'Partner', domains: ['p.example'] }],
    customers: [{ id: 'c', partnerId: 'p', name: 'Company', country: 'Nowhere' }],
  });
}
// Folding journals into snapshots all the time, so kills also land in the middle of one.
setInterval(() => void store.compact(), 60);

const at = (n: number) => new Date(Date.UTC(2030, 0, 1) + n * 1000).toISOString();

/** Every write kind of the store's own files: resets, outbox, tenants, audit, sessions, and a collection opened through openCollection. */
async function write(n: number): Promise<void> {
  switch (n % 6) {
    case 0:
      return store.createReset({
        id: `r${n}`, partnerId: 'p', customerId: 'c', accountId: `a${n}`, tokenHash: `h${n}`, flow: 'admin',
        createdAt: at(n), expiresAt: at(n + 86_400), createdBy: 'crash-test',
      });
    case 1:
      return store.enqueueMail({ id: `m${n}`, kind: 'reset-link', sealed: 'x'.repeat(200), status: 'queued', attempts: 0, nextAttemptAt: at(n), createdAt: at(n) });
    case 2:
      return store.saveAccounts('p', [{ id: `a${n}`, partnerId: 'p', customerId: 'c', name: `Person ${n}`, login: `p${n}`, email: `p${n}@c.example` }]);
    case 3:
      await store.appendAudit({ type: 'crash.write', outcome: 'info', actor: 'crash-test', partnerId: 'p', target: `n:${n}`, detail: { n } }, at(n));
      return;
    case 4:
      return store.setSession(`s${n}`, { data: `{"n":${n}}`, expiresAt: at(n) });
    default:
      return store.saveApiClient({ id: `k${n}`, name: `client ${n}`, secretHash: `hash ${n}`, scopes: [], createdAt: at(n), createdBy: 'crash-test' });
  }
}

async function has(n: number, audited: Set<string>, mails: Set<string>): Promise<boolean> {
  switch (n % 6) {
    case 0: return (await store.getReset(`r${n}`)) !== undefined;
    case 1: return mails.has(`m${n}`);
    case 2: return (await store.getAccount('p', `a${n}`)) !== undefined;
    case 3: return audited.has(`n:${n}`);
    case 4: return (await store.getSession(`s${n}`)) !== undefined;
    default: return (await store.getApiClient(`k${n}`)) !== undefined;
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'POST' && url.pathname === '/write') {
    write(Number(url.searchParams.get('n'))).then(() => res.end('ok'), (e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
    return;
  }
  if (url.pathname === '/missing') {
    void (async () => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      const audited = new Set((await store.listAudit('p')).map((e) => e.target ?? ''));
      // The Store port has no look-up of one queued mail: read the outbox the store holds in memory.
      const mails = new Set((Reflect.get(store, 'outbox') as { data: { mails: OutboxMail[] } }).data.mails.map((m) => m.id));
      const acked = body.split(',').filter(Boolean).map(Number);
      const missing: number[] = [];
      for (const n of acked) if (!(await has(n, audited, mails))) missing.push(n);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(missing));
    })();
    return;
  }
  res.statusCode = 404;
  res.end();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
