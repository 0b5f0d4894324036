import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { AccountProvisioning } from '../services/provisioning-accounts.js';
import { CustomerProvisioning } from '../services/provisioning-customers.js';
import type { ApiCaller } from '../services/provisioning.js';
import {
  configFrom, configOption, note, OperatorAuditLog, openConfiguredStore, operatorCaller, print, STOPPED_SERVER_NOTE,
} from './common.js';
import { compareAccounts, compareCustomers, planRows, type Change, type PartnerWork } from './import-plan.js';
import { COLUMNS, formatOf, readRows, type BadRow, type ImportRow } from './import-read.js';

/** Records per bulk call: one write of the embedded store, one statement batch in PostgreSQL. */
const CHUNK = 10_000;

interface ImportOptions { format?: string; dryRun?: boolean; atomic?: boolean; json?: boolean; config?: string }
type Tally = Record<Change, number>;

const tally = (): Tally => ({ created: 0, updated: 0, unchanged: 0 });

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** A bar on stderr, only for a person watching a large import; scripts and logs get the summary alone. */
function progressBar(total: number) {
  if (!process.stderr.isTTY || total < 1000) return { advance: (_n: number) => {}, stop: () => {} };
  const bar = new SingleBar({ stream: process.stderr, format: 'importing [{bar}] {value}/{total} records', hideCursor: true });
  bar.start(total, 0);
  return { advance: (n: number) => bar.increment(n), stop: () => bar.stop() };
}

async function importAll(opts: ImportOptions, rows: ImportRow[], bad: BadRow[]) {
  const config = configFrom(opts);
  const store = await openConfiguredStore(config);
  const clock = { now: () => new Date() };
  const deps = { store, audit: new OperatorAuditLog(store, clock), clock, knownDirectory: () => false };
  const customers = new CustomerProvisioning(deps);
  const accounts = new AccountProvisioning(deps);
  const caller: ApiCaller = operatorCaller();
  const counts = { customers: tally(), accounts: tally() };
  try {
    const work = await planRows(store, rows, bad);
    if (opts.atomic && bad.length) return { counts, written: false };
    const bar = progressBar([...work.values()].reduce((n, w) => n + w.customers.size + w.accounts.size, 0));
    try {
      for (const [partnerId, w] of work) {
        await importPartner(partnerId, w, { customers, accounts, caller, store, dryRun: !!opts.dryRun, bad, counts, advance: bar.advance });
      }
    } finally {
      bar.stop();
    }
    return { counts, written: !opts.dryRun };
  } finally {
    await store.close();
  }
}

async function importPartner(partnerId: string, w: PartnerWork, ctx: {
  customers: CustomerProvisioning; accounts: AccountProvisioning; caller: ApiCaller; store: Awaited<ReturnType<typeof openConfiguredStore>>;
  dryRun: boolean; bad: BadRow[]; counts: { customers: Tally; accounts: Tally }; advance: (n: number) => void;
}): Promise<void> {
  const refuse = (line: number, message: string) => ctx.bad.push({ line, reason: message });
  // Companies first: the accounts name theirs by external id.
  for (const chunk of chunks([...w.customers])) {
    const changes = await compareCustomers(ctx.store, partnerId, chunk);
    const send = chunk.map(([externalId, c], i) => ({ externalId, c, change: changes[i]! })).filter((r) => r.change !== 'unchanged');
    const failed = new Set<string>();
    if (!ctx.dryRun && send.length) {
      const results = await ctx.customers.bulk(ctx.caller, partnerId, send.map((r, index) => ({ index, externalId: r.externalId, input: { name: r.c.name } })));
      for (const r of results) {
        if (r.status !== 'failed') continue;
        failed.add(r.externalId);
        refuse(send[r.index]!.c.line, r.problem.message);
      }
    }
    changes.forEach((change, i) => {
      if (!failed.has(chunk[i]![0])) ctx.counts.customers[change]++;
    });
    ctx.advance(chunk.length);
  }
  for (const chunk of chunks([...w.accounts])) {
    const changes = await compareAccounts(ctx.store, partnerId, chunk);
    const send = chunk.map(([externalId, a], i) => ({ externalId, a, change: changes[i]! })).filter((r) => r.change !== 'unchanged');
    const failed = new Set<string>();
    if (!ctx.dryRun && send.length) {
      const results = await ctx.accounts.bulk(ctx.caller, partnerId, send.map((r, index) => ({
        index, externalId: r.externalId,
        input: { customerExternalId: r.a.customerExternalId, name: r.a.name, login: r.a.login, email: r.a.email },
      })));
      for (const r of results) {
        if (r.status !== 'failed') continue;
        failed.add(r.externalId);
        refuse(send[r.index]!.a.line, r.problem.message);
      }
    }
    changes.forEach((change, i) => {
      if (!failed.has(chunk[i]![0])) ctx.counts.accounts[change]++;
    });
    ctx.advance(chunk.length);
  }
}

function report(opts: ImportOptions, result: { counts: { customers: Tally; accounts: Tally }; written: boolean }, bad: BadRow[], seconds: number): void {
  bad.sort((a, b) => a.line - b.line);
  if (opts.json) {
    print(JSON.stringify({ dryRun: !!opts.dryRun, atomic: !!opts.atomic, written: result.written, ...result.counts, refused: bad, seconds }));
    return;
  }
  const line = (t: Tally) => `${t.created} created, ${t.updated} updated, ${t.unchanged} unchanged`;
  if (opts.atomic && bad.length) print(`nothing imported (--atomic): ${bad.length} bad rows`);
  else {
    if (opts.dryRun) print('dry run: nothing was written; this is what the import would do');
    print(`companies: ${line(result.counts.customers)}`);
    print(`accounts:  ${line(result.counts.accounts)}`);
  }
  if (bad.length) {
    print(`refused rows: ${bad.length}`);
    for (const b of bad) print(`  line ${b.line}: ${b.reason}`);
  }
  print(`took ${seconds.toFixed(1)} s`);
}

export function registerImport(program: Command): void {
  program
    .command('import <file>')
    .description('create or update customer companies and their accounts from a CSV or JSON lines file')
    .option('-f, --format <format>', 'csv or jsonl (default: from the file name, .csv or .jsonl)')
    .option('--dry-run', 'report what would be created, updated or left unchanged, and write nothing')
    .option('--atomic', 'import nothing when any row is bad')
    .option('--json', 'print the summary as JSON')
    .option(...configOption)
    .addHelpText('after', `
Columns (a CSV needs a header row naming them; JSON lines use them as keys):
  ${COLUMNS.join(', ')}
A company is matched by partner + customerExternalId, an account by partner + accountExternalId.
A row may leave the four account columns empty to name only a company. Bad rows are listed with
their line numbers; the good ones are still imported (unless --atomic).
Exit status: 0 every row imported, 1 some rows refused, 2 the file or configuration is unusable.

${STOPPED_SERVER_NOTE}

Example:
  npx resetbridge import accounts.csv --dry-run
  npx resetbridge import accounts.csv`)
    .action(async (file: string, opts: ImportOptions) => {
      const started = performance.now();
      const format = formatOf(file, opts.format);
      const rows: ImportRow[] = [];
      const bad: BadRow[] = [];
      await readRows(file, format, (r) => void ('reason' in r ? bad.push(r) : rows.push(r)));
      const result = await importAll(opts, rows, bad);
      report(opts, result, bad, (performance.now() - started) / 1000);
      process.exitCode = bad.length ? 1 : 0;
      if (!rows.length && !bad.length) note('the file has no rows');
    });
}
