// `resetbridge reset`: links for one account or a whole company, throttled and resumable, mailed by the command itself.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressObject } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, Customer } from '../../src/domain/types.js';
import { LowdbStore } from '../../src/store/lowdb/index.js';
import { startProduct } from '../support/product.js';
import { SmtpSink } from '../support/smtp-sink.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'resetbridge.js');

/**
 * The process running src/cli.ts below the launcher and tsx: the one an operator's Ctrl-C must stop
 * gracefully. Signalled directly, so the test does not depend on how the launchers pass signals on.
 */
function commandPid(launcher: number): number {
  const rows = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
      return [{ pid: Number(d), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) }];
    } catch {
      return []; // the process ended meanwhile
    }
  });
  // The deepest descendant running src/cli.ts: tsx's own runner and esbuild's service are not it.
  let found = launcher;
  let level = [launcher];
  while (level.length) {
    level = rows.filter((r) => level.includes(r.ppid)).map((r) => r.pid);
    const command = level.find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.endsWith(path.join('src', 'cli.ts')));
      } catch {
        return false;
      }
    });
    if (command !== undefined) found = command;
  }
  return found;
}

interface Run { stdout: string; stderr: string; code: number | null }

describe('resetbridge reset (embedded store, instance stopped)', () => {
  let dataDir: string;
  let configFile: string;
  let smtp: SmtpSink;
  const companies: Array<{ customer: Customer; accounts: Account[] }> = [];
  // DATABASE_URL emptied: the embedded store, even where CI runs the PostgreSQL suites.
  const env = () => ({ ...process.env, DATABASE_URL: '', RESETBRIDGE_CONFIG: configFile });

  const cli = (args: string[], input = ''): Promise<Run> => new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: root, env: env(), timeout: 120_000 }, (e, stdout, stderr) => {
      resolve({ stdout, stderr, code: e ? (e as { code?: number }).code ?? null : 0 });
    });
    child.stdin!.end(input);
  });

  const mailsTo = (email: string) => smtp.messages.filter((m) => (m.to as AddressObject).value.some((a) => a.address === email)).length;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-cli-reset-'));
    smtp = await SmtpSink.start();
    await (await startProduct({}, { dataDir, smtp })).stop();
    configFile = path.join(dataDir, 'cli.yaml');
    writeFileSync(configFile, [
      'env: test',
      `dataDir: ${JSON.stringify(dataDir)}`,
      'server: { publicUrl: "http://127.0.0.1:3999" }',
      'mail:',
      '  from: "resetbridge test <no-reply@test.example>"',
      `  transport: { type: smtp, host: 127.0.0.1, port: ${smtp.port}, secure: false, pool: false }`,
      '  pollMs: 100',
      'log: { level: silent }',
    ].join('\n'));
    const store = await LowdbStore.open(dataDir);
    try {
      // Companies whose accounts each have their own address, so mails count per account.
      for (const customer of (await store.pageCustomers('northwind', { limit: 100 })).items) {
        const accounts = await store.listAccounts('northwind', customer.id);
        if (accounts.length >= 8 && new Set(accounts.map((a) => a.email)).size === accounts.length) companies.push({ customer, accounts });
        if (companies.length === 3) break;
      }
    } finally {
      await store.close();
    }
    expect(companies).toHaveLength(3);
  });
  afterAll(async () => {
    await smtp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends exactly one mail to every account of a company, and a rerun sends none', async () => {
    const { customer, accounts } = companies[0]!;
    const state = path.join(dataDir, 'whole-company.json');
    const args = ['reset', '--partner', 'northwind', '--customer', customer.id, '--all', '--rate', '20', '--state', state, '--json'];
    const run = await cli(args, `${customer.name}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ sent: accounts.length, skipped: 0, failed: [], interrupted: false, mailStillQueued: 0 });
    for (const a of accounts) expect(mailsTo(a.email), a.email).toBe(1);
    const store = await LowdbStore.open(dataDir);
    try {
      const ids = new Set(accounts.map((a) => `account:${a.id}`));
      const issued = (await store.listAudit('northwind')).filter((e) => e.type === 'reset.issued' && ids.has(e.target ?? ''));
      expect(issued).toHaveLength(accounts.length);
      // --rate 20: on average no faster than one link every 50 ms (timestamps carry a few ms of jitter).
      const spanMs = Date.parse(issued.at(-1)!.at) - Date.parse(issued[0]!.at);
      expect(spanMs).toBeGreaterThanOrEqual((accounts.length - 1) * 45);
    } finally {
      await store.close();
    }

    const again = await cli([...args, '--yes']);
    expect(JSON.parse(again.stdout)).toMatchObject({ sent: 0, skipped: accounts.length });
    for (const a of accounts) expect(mailsTo(a.email), a.email).toBe(1);
  }, 120_000);

  it('sends nothing unless the company name is typed', async () => {
    const { customer, accounts } = companies[1]!;
    const run = await cli(['reset', '--partner', 'northwind', '--customer', customer.id, '--all', '--state', path.join(dataDir, 'refused.json')], 'Some Other Company\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('not confirmed: nothing sent');
    for (const a of accounts) expect(mailsTo(a.email)).toBe(0);
  }, 60_000);

  it('--account sends one link to that account alone', async () => {
    const { customer, accounts } = companies[1]!;
    const [one, other] = accounts;
    const run = await cli(['reset', '--partner', 'northwind', '--account', one!.id, '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`done: ${customer.name}`);
    expect(run.stdout).toMatch(/sent: +1\n/);
    expect(mailsTo(one!.email)).toBe(1);
    expect(mailsTo(other!.email)).toBe(0);

    const unknown = await cli(['reset', '--partner', 'contoso', '--account', one!.id, '--yes']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`partner contoso has no account ${one!.id}`);
  }, 60_000);

  it('after an interrupt, the same command again reaches the rest: one mail per account in all', async () => {
    const { customer, accounts } = companies[2]!;
    const args = ['reset', '--partner', 'northwind', '--customer', customer.id, '--all', '--yes', '--rate', '4', '--state', path.join(dataDir, 'interrupted.json')];
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no progress: ${stderr}`)), 60_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/^3\/\d+ /m.test(stderr)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    process.kill(commandPid(child.pid!), 'SIGINT');
    await closed;
    expect(child.exitCode).toBe(130);
    expect(stdout, stderr).toContain('interrupted');
    const first = Number(/sent: +(\d+)/.exec(stdout)?.[1]);
    expect(first).toBeGreaterThanOrEqual(3);
    expect(first).toBeLessThan(accounts.length);

    const rest = await cli([...args, '--json']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(JSON.parse(rest.stdout)).toMatchObject({ sent: accounts.length - first, skipped: first, failed: [] });
    for (const a of accounts) expect(mailsTo(a.email), a.email).toBe(1);
  }, 120_000);
});
