import os from 'node:os';
import type { Command } from 'commander';
import { resolveSecrets } from '../secrets.js';
import { AuditLog } from '../services/audit.js';
import type { IssuedWebhookSecret, WebhookService, WebhookView } from '../services/webhooks.js';
import { buildWebhooks } from '../webhooks/compose.js';
import { STOPPED_SERVER_NOTE, configFrom, configOption, openConfiguredStore, print, silent } from './common.js';

const operator = () => {
  try {
    return { operator: `cli:${os.userInfo().username}` };
  } catch {
    return { operator: 'cli' };
  }
};

/** Opens the configured store for one command; queued deliveries are left for the running servers. */
async function withWebhooks(opts: { config?: string }, work: (svc: WebhookService) => Promise<void>): Promise<void> {
  const config = configFrom(opts);
  const store = await openConfiguredStore(config);
  const clock = { now: () => new Date() };
  try {
    // Built like the server's, so a secret sealed here opens there; nothing is started.
    const { service } = buildWebhooks({ config, store, clock, audit: new AuditLog(store, clock), logger: silent, dataKey: resolveSecrets(config, silent).dataKey });
    await work(service);
  } finally {
    await store.close();
  }
}

function printIssued(issued: IssuedWebhookSecret, json: boolean | undefined): void {
  const s = issued.subscription;
  if (json) return print(JSON.stringify({ ...s, secret: issued.secret }));
  print(`webhook ${s.id} (${s.name})`);
  print(`  url:     ${s.url}`);
  print(`  events:  ${s.events.join(', ')}`);
  print(`  partner: ${s.partnerId ?? 'all partners'}`);
  print('signing secret, shown this once:');
  print(`  ${issued.secret}`);
}

const line = (s: WebhookView) => [s.id, s.status, s.name, s.url, s.events.join(','), s.partnerId ?? '(all)'].join('\t');

/** `resetbridge webhooks create|list|delete|rotate`. */
export function registerWebhooks(program: Command): void {
  const webhooks = program.command('webhooks').description('webhook subscriptions: signed event notifications')
    .addHelpText('after', `\n${STOPPED_SERVER_NOTE}`);

  webhooks
    .command('create')
    .description('create a subscription and print its signing secret once')
    .requiredOption('-n, --name <name>', 'who receives it, e.g. "Licensing platform"')
    .requiredOption('-u, --url <url>', 'https:// URL of the receiver (http:// only for localhost outside production)')
    .requiredOption('-e, --events <types>', 'comma-separated: reset.issued, reset.completed, reset.expired, sync.failed, sync.needs_attention')
    .option('-p, --partner <id>', 'only this partner\'s events')
    .option('--json', 'print the subscription and its secret as JSON')
    .option(...configOption)
    .addHelpText('after', '\nExample:\n  npx resetbridge webhooks create --name "Licensing platform" --url https://platform.example/hooks/resetbridge --events reset.issued,reset.completed')
    .action((opts: { name: string; url: string; events: string; partner?: string; json?: boolean; config?: string }) => withWebhooks(opts, async (svc) => {
      const events = opts.events.split(',').map((x) => x.trim()).filter(Boolean);
      printIssued(await svc.create(operator(), { name: opts.name, url: opts.url, events, ...(opts.partner ? { partnerId: opts.partner } : {}) }), opts.json);
    }));

  webhooks
    .command('list')
    .description('list subscriptions: status, URL, events and partner (never the secret)')
    .option('--json', 'print JSON lines')
    .option(...configOption)
    .addHelpText('after', '\nExample:\n  npx resetbridge webhooks list --json')
    .action((opts: { json?: boolean; config?: string }) => withWebhooks(opts, async (svc) => {
      for (const s of await svc.list(operator())) print(opts.json ? JSON.stringify(s) : line(s));
    }));

  webhooks
    .command('delete <id>')
    .description('delete a subscription and its delivery log')
    .option('--json', 'print the deleted subscription as JSON')
    .option(...configOption)
    .addHelpText('after', '\nExample:\n  npx resetbridge webhooks delete whk_3f9a0c1d5e7b2a4c6d8e')
    .action((id: string, opts: { json?: boolean; config?: string }) => withWebhooks(opts, async (svc) => {
      const s = await svc.remove(operator(), id);
      print(opts.json ? JSON.stringify(s) : `deleted ${s.id} (${s.name})`);
    }));

  webhooks
    .command('rotate <id>')
    .description('give a subscription a new signing secret (printed once); the old one stops at once')
    .option('--json', 'print the subscription and its secret as JSON')
    .option(...configOption)
    .addHelpText('after', '\nExample:\n  npx resetbridge webhooks rotate whk_3f9a0c1d5e7b2a4c6d8e')
    .action((id: string, opts: { json?: boolean; config?: string }) => withWebhooks(opts, async (svc) => {
      printIssued(await svc.rotate(operator(), id), opts.json);
    }));
}
