import path from 'node:path';
import { Command } from 'commander';
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config/load.js';
import { demoDirectoryInstance } from './demo/directory.js';
import { openStore, pluginsDir } from './server.js';
import { loadDirectories } from './sync/registry.js';
import { verifyChain } from './domain/audit.js';
import { importLowdbCommand, migrateCommand } from './store/postgres/commands.js';
import os from 'node:os';
import { ApiClientService, type ApiClientView, type IssuedCredentials } from './services/api-clients.js';
import { AuditLog } from './services/audit.js';
import { registerChecks } from './cli/check.js';
import { registerImport } from './cli/import.js';
import { registerReset } from './cli/reset.js';
import { registerWebhooks } from './cli/webhooks.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is what `echo` adds; anything else belongs to the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const program = new Command('resetbridge').description('resetbridge operator commands');

const directory = program.command('directory').description('work with configured directories');

directory
  .command('verify <login>')
  .description('read a password from stdin; exit 0 if the directory accepts it for <login>, 1 if not')
  .option('-i, --instance <id>', 'directory instance id (default: the demo directory, or the only one configured)')
  .option('-c, --config <file>', 'config file (default: RESETBRIDGE_CONFIG or config/default.yaml)')
  .addHelpText('after', '\nExample:\n  echo "my new passphrase" | npx resetbridge directory verify joany.hilll')
  .action(async (login: string, opts: { instance?: string; config?: string }) => {
    const config = loadConfig(opts.config ? { file: opts.config } : {});
    const instances = [...config.directories];
    if (config.demo.seed && !instances.some((i) => i.id === demoDirectoryInstance.id)) instances.push(demoDirectoryInstance);
    const id = opts.instance ?? (instances.length === 1 ? instances[0]!.id : demoDirectoryInstance.id);
    const registry = await loadDirectories(instances.filter((i) => i.id === id), {
      pluginDirs: [pluginsDir], dataDir: path.resolve(config.dataDir), logger: pino({ level: 'silent' }),
    });
    try {
      const entry = registry.get(id);
      if (!entry) throw new Error(`no directory instance "${id}" in the configuration`);
      if (!entry.adapter.verifyPassword) throw new Error(`the ${entry.plugin} adapter cannot verify passwords`);
      const password = await readStdin();
      const account = await entry.adapter.resolveAccount({ by: 'login', value: login });
      const ok = account ? await entry.adapter.verifyPassword(account, password) : false;
      process.stdout.write(ok ? `accepted: ${login}\n` : `rejected: ${login}${account ? '' : ' (no such login)'}\n`);
      process.exitCode = ok ? 0 : 1;
    } finally {
      await registry.close();
    }
  });

const audit = program.command('audit').description('the hash-chained audit log');

audit
  .command('verify')
  .description('check that no audit event was edited or removed; exit 0 if the chain is intact, 1 if not')
  .option('-c, --config <file>', 'config file (default: RESETBRIDGE_CONFIG or config/default.yaml)')
  .option('--json', 'print the result as JSON')
  .addHelpText('after', '\nExample:\n  npx resetbridge audit verify')
  .action(async (opts: { config?: string; json?: boolean }) => {
    const config = loadConfig(opts.config ? { file: opts.config } : {});
    const { store } = await openStore(config, path.resolve(config.dataDir), pino({ level: 'silent' }));
    const events = await store.listAudit();
    const result = verifyChain(events);
    if (opts.json) process.stdout.write(`${JSON.stringify({ events: events.length, ...result })}\n`);
    else if (result.ok) process.stdout.write(`audit chain intact: ${events.length} events\n`);
    else process.stdout.write(`audit chain BROKEN at event ${result.seq}: ${result.reason}\n`);
    process.exitCode = result.ok ? 0 : 1;
    await store.close();
  });

audit
  .command('export')
  .description('print every audit event as JSON lines, oldest first')
  .option('-c, --config <file>', 'config file (default: RESETBRIDGE_CONFIG or config/default.yaml)')
  .option('-p, --partner <id>', 'only events of this partner')
  .addHelpText('after', '\nExample:\n  npx resetbridge audit export --partner northwind > audit.jsonl')
  .action(async (opts: { config?: string; partner?: string }) => {
    const config = loadConfig(opts.config ? { file: opts.config } : {});
    const { store } = await openStore(config, path.resolve(config.dataDir), pino({ level: 'silent' }));
    for (const e of await store.listAudit(opts.partner)) process.stdout.write(`${JSON.stringify(e)}\n`);
    await store.close();
  });

const db = program.command('db').description('the PostgreSQL store (DATABASE_URL or store.postgres.url)');
const configOption = ['-c, --config <file>', 'config file (default: RESETBRIDGE_CONFIG or config/default.yaml)'] as const;
const print = (line: string) => void process.stdout.write(`${line}\n`);

db
  .command('migrate')
  .description('bring the database schema up to date (instances also do this at start)')
  .option(...configOption)
  .addHelpText('after', '\nExample:\n  DATABASE_URL=postgres://resetbridge:secret@db.internal:5432/resetbridge npx resetbridge db migrate')
  .action(async (opts: { config?: string }) => {
    await migrateCommand(loadConfig(opts.config ? { file: opts.config } : {}).store, print);
  });

db
  .command('import-lowdb <dataDir>')
  .description('copy an embedded installation (tenants, resets, audit chain, outbox, sessions, webhooks, branding, connections) into an empty database')
  .option(...configOption)
  .addHelpText('after', '\nStop the embedded instance first. Example:\n  DATABASE_URL=postgres://resetbridge:secret@db.internal:5432/resetbridge npx resetbridge db import-lowdb data/')
  .action(async (dataDir: string, opts: { config?: string }) => {
    const chainOk = await importLowdbCommand(loadConfig(opts.config ? { file: opts.config } : {}).store, dataDir, print);
    process.exitCode = chainOk ? 0 : 1;
  });

const clients = program.command('clients').description('API clients of the REST API (service credentials)')
  .addHelpText('after', '\nWith the embedded store, stop resetbridge first (or use the IdP admin\'s API clients page):\n'
    + 'a running instance keeps its own copy of the files. With PostgreSQL, any time.');

/** Opens the configured store for one `clients` command, as the operator running it. */
async function withClients(opts: { config?: string }, work: (svc: ApiClientService) => Promise<void>): Promise<void> {
  const config = loadConfig(opts.config ? { file: opts.config } : {});
  const { store } = await openStore(config, path.resolve(config.dataDir), pino({ level: 'silent' }));
  const clock = { now: () => new Date() };
  try {
    await work(new ApiClientService({ store, audit: new AuditLog(store, clock), clock }));
  } finally {
    await store.close();
  }
}

const operator = () => {
  try {
    return { operator: `cli:${os.userInfo().username}` };
  } catch {
    return { operator: 'cli' };
  }
};

function printIssued(issued: IssuedCredentials, json: boolean | undefined): void {
  if (json) return print(JSON.stringify({ ...issued.client, token: issued.token }));
  const c = issued.client;
  print(`API client ${c.id} (${c.name})`);
  print(`  scopes:  ${c.scopes.join(', ')}`);
  print(`  partner: ${c.partnerId ?? 'all partners'}`);
  print('secret, shown this once (only its hash is kept):');
  print(`  Authorization: Bearer ${issued.token}`);
}

clients
  .command('create')
  .description('create a client and print its secret once')
  .requiredOption('-n, --name <name>', 'who uses it, e.g. "Licensing platform"')
  .requiredOption('-s, --scopes <scopes>', 'comma-separated: tenants:read, tenants:write, resets:read, resets:write, resets:link, audit:read')
  .option('-p, --partner <id>', 'restrict the client to this partner')
  .option('--json', 'print the client and its token as JSON')
  .option(...configOption)
  .addHelpText('after', '\nExample:\n  npx resetbridge clients create --name "Licensing platform" --scopes tenants:write,resets:write,resets:read')
  .action((opts: { name: string; scopes: string; partner?: string; json?: boolean; config?: string }) => withClients(opts, async (svc) => {
    const scopes = opts.scopes.split(',').map((x) => x.trim()).filter(Boolean);
    printIssued(await svc.create(operator(), { name: opts.name, scopes, ...(opts.partner ? { partnerId: opts.partner } : {}) }), opts.json);
  }));

clients
  .command('list')
  .description('list clients: scopes, partner, status and when each was last used')
  .option('--json', 'print JSON lines')
  .option(...configOption)
  .addHelpText('after', '\nExample:\n  npx resetbridge clients list')
  .action((opts: { json?: boolean; config?: string }) => withClients(opts, async (svc) => {
    const line = (c: ApiClientView) => [c.id, c.status, c.name, c.scopes.join(','), c.partnerId ?? '(all)', c.lastUsedAt ?? 'never used'].join('\t');
    for (const c of await svc.list(operator())) print(opts.json ? JSON.stringify(c) : line(c));
  }));

clients
  .command('revoke <id>')
  .description('revoke a client: its secret stops working at once')
  .option(...configOption)
  .addHelpText('after', '\nExample:\n  npx resetbridge clients revoke rbc_3f9a0c1d5e7b2a4c6d8e')
  .action((id: string, opts: { config?: string }) => withClients(opts, async (svc) => {
    const c = await svc.revoke(operator(), id);
    print(`revoked ${c.id} (${c.name})`);
  }));

clients
  .command('rotate <id>')
  .description('give a client a new secret (printed once); the old one stops working at once')
  .option('--json', 'print the client and its token as JSON')
  .option(...configOption)
  .addHelpText('after', '\nExample:\n  npx resetbridge clients rotate rbc_3f9a0c1d5e7b2a4c6d8e')
  .action((id: string, opts: { json?: boolean; config?: string }) => withClients(opts, async (svc) => {
    printIssued(await svc.rotate(operator(), id), opts.json);
  }));

registerChecks(program, directory);
registerImport(program);
registerReset(program);
registerWebhooks(program);

try {
  await program.parseAsync();
} catch (e) {
  process.stderr.write(`${e instanceof ConfigError ? e.message : `error: ${(e as Error).message}`}\n`);
  process.exitCode = 2;
}
