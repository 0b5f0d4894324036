import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { Store } from '../domain/ports.js';
import type { Account, AdminUser, Customer } from '../domain/types.js';
import { cliContext, configFrom, configOption, note, openConfiguredStore, print } from './common.js';
import { ResetProgress } from './reset-state.js';
import { resetServices } from './reset-services.js';

interface ResetOptions {
  partner: string; account?: string; customer?: string; all?: boolean; rate: string; state?: string;
  yes?: boolean; json?: boolean; mailWait: string; config?: string;
}

/** How long the command keeps delivering queued mail before leaving the rest to the server. */
const DEFAULT_MAIL_WAIT_SECONDS = '120';

async function targetsOf(store: Store, opts: ResetOptions): Promise<{ customer: Customer; accounts: Account[] }> {
  if (opts.account) {
    const account = await store.getAccount(opts.partner, opts.account);
    const customer = account && await store.getCustomer(opts.partner, account.customerId);
    if (!account || !customer) throw new Error(`partner ${opts.partner} has no account ${opts.account}`);
    return { customer, accounts: [account] };
  }
  const customer = await store.getCustomer(opts.partner, opts.customer!);
  if (!customer) throw new Error(`partner ${opts.partner} has no company ${opts.customer}`);
  return { customer, accounts: await store.listAccounts(opts.partner, customer.id) };
}

async function confirmed(customer: Customer, count: number): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-C at the prompt, or stdin ending without an answer (a script without --yes), is a no.
  const unanswered = new AbortController();
  rl.once('SIGINT', () => unanswered.abort());
  rl.once('close', () => unanswered.abort());
  try {
    const answer = await rl.question(`This sends a password reset link to ${count} account(s) of "${customer.name}".\nType the company name to go on: `, { signal: unanswered.signal });
    return answer.trim() === customer.name;
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

/** Waits until no mail is waiting in the outbox, or the time is up; answers how many still wait. */
async function drainMail(store: Store, seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const { waiting } = await store.mailOutboxStats();
    if (waiting === 0 || Date.now() >= deadline) return waiting;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function run(opts: ResetOptions): Promise<void> {
  const rate = Number(opts.rate);
  const mailWait = Number(opts.mailWait);
  if (!(rate > 0)) throw new Error('--rate must be a number of resets per second above 0');
  if (!(mailWait >= 0)) throw new Error('--mail-wait must be a number of seconds');
  if (!!opts.account === !!opts.customer) throw new Error('name either --account <id>, or --customer <id> with --all');
  if (opts.customer && !opts.all) throw new Error('resetting a whole company needs --all as well as --customer');

  const config = configFrom(opts);
  const store = await openConfiguredStore(config);
  const shared = !!config.store.postgres.url;
  let services: ReturnType<typeof resetServices> | undefined;
  try {
    const { customer, accounts } = await targetsOf(store, opts);
    if (!opts.yes && !(await confirmed(customer, accounts.length))) {
      note('not confirmed: nothing sent');
      process.exitCode = 1;
      return;
    }
    const progress = opts.all ? ResetProgress.open(path.resolve(opts.state ?? `.resetbridge-reset-${customer.id}.json`), opts.partner, customer.id) : undefined;
    services = resetServices(config, store);
    // PostgreSQL: the running servers' workers deliver; embedded: the server is stopped, so this process does.
    if (shared) await services.outbox.stop();
    else services.outbox.start();

    let stopping = false;
    let wake = () => {};
    const stop = () => {
      if (!stopping) note('stopping after the current account; rerun with the same --state to continue');
      stopping = true;
      wake();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);

    const admin: AdminUser = { sub: 'operator', connectionId: 'cli', partnerId: opts.partner, email: 'operator:cli', name: 'operator', roles: ['partner-admin'] };
    const ctx = cliContext();
    const sent: string[] = [];
    const skipped: string[] = [];
    const failed: Array<{ account: string; login: string; reason: string }> = [];
    const gapMs = 1000 / rate;
    let next = Date.now();
    for (const [i, account] of accounts.entries()) {
      if (stopping) break;
      if (progress?.done.has(account.id)) {
        skipped.push(account.id);
        continue;
      }
      const wait = next - Date.now();
      if (wait > 0) await new Promise<void>((r) => { wake = r; setTimeout(r, wait); });
      if (stopping) break;
      next = Math.max(next, Date.now() - gapMs) + gapMs;
      try {
        await services.reset.issue(admin, customer.id, account.id, ctx);
        progress?.record(account.id);
        sent.push(account.id);
      } catch (e) {
        failed.push({ account: account.id, login: account.login, reason: (e as Error).message });
      }
      if (!opts.json) note(`${i + 1}/${accounts.length} ${account.login}: ${failed.at(-1)?.account === account.id ? 'failed' : 'sent'}`);
    }
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);

    const queued = shared ? undefined : await drainMail(store, mailWait);
    await services.outbox.stop();
    await services.webhooks.settle();
    const interrupted = stopping;
    if (opts.json) {
      print(JSON.stringify({
        partner: opts.partner, customer: customer.id, sent: sent.length, skipped: skipped.length, failed, interrupted,
        ...(progress ? { state: progress.file } : {}), ...(queued !== undefined ? { mailStillQueued: queued } : {}),
      }));
    } else {
      print(`${interrupted ? 'interrupted' : 'done'}: ${customer.name}`);
      print(`  sent:    ${sent.length}`);
      print(`  skipped: ${skipped.length}${skipped.length ? ' (reset in an earlier run)' : ''}`);
      print(`  failed:  ${failed.length}`);
      for (const f of failed) print(`    ${f.login} (${f.account}): ${f.reason}`);
      if (progress) print(`  progress file: ${progress.file}`);
      if (queued === undefined) print('  mail: queued in the database; the running servers send it');
      else if (queued === 0) print('  mail: every queued mail was handed to the mail server');
      else print(`  mail: ${queued} still queued; resetbridge sends them when it starts`);
    }
    process.exitCode = interrupted ? 130 : failed.length ? 1 : 0;
  } finally {
    services?.transport.close();
    await store.close();
  }
}

export function registerReset(program: Command): void {
  program
    .command('reset')
    .description('send password reset links: to one account, or to every account of a company (after a breach)')
    .requiredOption('-p, --partner <id>', 'the partner the company belongs to')
    .option('-a, --account <id>', 'one account (resetbridge id)')
    .option('--customer <id>', 'a company (resetbridge id); with --all, every account in it')
    .option('--all', 'every account of --customer')
    .option('-r, --rate <n>', 'resets per second at most', '5')
    .option('-s, --state <file>', 'progress file of a company-wide reset (default: .resetbridge-reset-<customer>.json)')
    .option('-y, --yes', 'do not ask to type the company name')
    .option('--mail-wait <seconds>', 'embedded store: how long to keep delivering mail before leaving the rest queued', DEFAULT_MAIL_WAIT_SECONDS)
    .option('--json', 'print the final report as JSON')
    .option(...configOption)
    .addHelpText('after', `
Asks you to type the company name first (unless --yes). A company-wide reset records each account
it has reached in the progress file; after an interruption (Ctrl-C) run the same command again
and it skips them, so nobody gets two links. Exit status: 0 all sent, 1 some failed, 130 interrupted.

Mail: with the embedded store, stop resetbridge first (a running instance keeps its own copy of the
data files); this command then delivers the queued mails itself, for up to --mail-wait seconds, and
leaves any rest queued for resetbridge to send when it starts. With PostgreSQL, run it any time:
mails are queued in the database and the running servers send them.

Examples:
  npx resetbridge reset --partner northwind --account acc_1f2e3d4c5b6a7988
  npx resetbridge reset --partner northwind --customer cus_0a1b2c3d4e5f6a7b --all --rate 2`)
    .action(run);
}
