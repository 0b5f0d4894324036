// `resetbridge import`: customers and accounts from a file, as the operator runs it with the instance stopped.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/lowdb/index.js';
import { startProduct } from '../support/product.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function cli(args: string[], dataDir: string): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(root, 'bin', 'resetbridge.js'), ...args], {
      // DATABASE_URL emptied: the embedded store, even where CI runs the PostgreSQL suites.
      cwd: root, env: { ...process.env, RESETBRIDGE_DATA_DIR: dataDir, DATABASE_URL: '' }, timeout: 240_000, maxBuffer: 32 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

/** A fingerprint of every stored file: equal before and after means nothing was written. */
function storeHash(dataDir: string): string {
  const dir = path.join(dataDir, 'store');
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(path.join(dir, f)));
  return h.digest('hex');
}

const ROWS = 50_000;
const PER_COMPANY = 100;
/** Rows (1-based among the data rows) made bad, and why each is refused. */
const BAD: Record<number, (cells: string[]) => string[]> = {
  7: (c) => { c[6] = ''; return c; },
  1_234: (c) => { c[6] = 'not-an-address'; return c; },
  5_001: (c) => { c[0] = 'no-such-partner'; return c; },
  9_999: (c) => { c[3] = 'acc-1'; return c; }, // the same account as row 1
  12_345: (c) => { c[2] = 'A Different Name'; return c; },
  20_000: (c) => { c[1] = ''; return c; },
  25_000: (c) => { c[4] = ''; return c; },
  33_333: (c) => { c[5] = ''; return c; },
  40_001: (c) => { c[0] = 'contoso-typo'; return c; },
  49_999: (c) => { c[6] = 'two@@at.example'; return c; },
};

function writeCsv(file: string): void {
  const lines = ['partner,customerExternalId,customerName,accountExternalId,name,login,email'];
  for (let i = 1; i <= ROWS; i++) {
    const company = Math.ceil(i / PER_COMPANY);
    let cells = ['northwind', `bulk-${company}`, `Bulk Company ${company}`, `acc-${i}`, `User ${i}`, `user${i}`, `user${i}@bulk${company}.example`];
    const spoil = BAD[i];
    if (spoil) cells = spoil(cells);
    lines.push(cells.join(','));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

interface Summary {
  written: boolean;
  customers: Record<string, number>;
  accounts: Record<string, number>;
  refused: Array<{ line: number; reason: string }>;
  seconds: number;
}

describe('resetbridge import (embedded store, instance stopped)', () => {
  let dataDir: string;
  let file: string;
  // The header is line 1, so data row n is on line n + 1.
  const badLines = Object.keys(BAD).map((n) => Number(n) + 1);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-cli-import-'));
    await (await startProduct({}, { dataDir })).stop();
    file = path.join(dataDir, 'accounts.csv');
    writeCsv(file);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a dry run reports what would change and writes nothing', async () => {
    const before = storeHash(dataDir);
    const run = await cli(['import', file, '--dry-run', '--json'], dataDir);
    expect(run.code, run.stderr).toBe(1); // bad rows make the exit status 1, dry run or not
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.written).toBe(false);
    expect(summary.accounts).toEqual({ created: ROWS - badLines.length, updated: 0, unchanged: 0 });
    expect(summary.customers.created).toBe(ROWS / PER_COMPANY);
    expect(storeHash(dataDir)).toBe(before);
  }, 300_000);

  it('--atomic imports nothing when a row is bad', async () => {
    const before = storeHash(dataDir);
    const run = await cli(['import', file, '--atomic'], dataDir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`nothing imported (--atomic): ${badLines.length} bad rows`);
    expect(storeHash(dataDir)).toBe(before);
  }, 300_000);

  it('imports 49,990 of 50,000 rows and names each of the 10 bad ones by line', async () => {
    const started = performance.now();
    const run = await cli(['import', file, '--json'], dataDir);
    const seconds = (performance.now() - started) / 1000;
    console.log(`import of ${ROWS} CSV rows: ${seconds.toFixed(1)} s end to end (the command's own count: ${(JSON.parse(run.stdout) as Summary).seconds.toFixed(1)} s)`);
    expect(run.code, run.stderr).toBe(1);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.accounts).toEqual({ created: ROWS - badLines.length, updated: 0, unchanged: 0 });
    expect(summary.refused.map((r) => r.line)).toEqual(badLines);
    expect(summary.refused.find((r) => r.line === 10_000)?.reason).toMatch(/acc-1 is already on line 2/);
    expect(summary.refused.find((r) => r.line === 5_002)?.reason).toMatch(/no partner "no-such-partner"/);

    const store = await LowdbStore.open(dataDir);
    try {
      const bulk = await store.pageAccounts('northwind', { externalIds: Array.from({ length: ROWS }, (_, i) => `acc-${i + 1}`), limit: ROWS });
      expect(bulk.items).toHaveLength(ROWS - badLines.length);
      expect(bulk.items.some((a) => a.externalId === 'acc-8')).toBe(true);
      expect(bulk.items.some((a) => a.externalId === 'acc-7')).toBe(false);
      const audit = (await store.listAudit('northwind')).filter((e) => e.type === 'api.accounts.bulk');
      expect(audit.length).toBeGreaterThanOrEqual(5); // at most 10,000 records per bulk call
      expect(audit.every((e) => e.actor === 'operator:cli')).toBe(true);
    } finally {
      await store.close();
    }

    // The same file again changes nothing that is already there.
    const again = JSON.parse((await cli(['import', file, '--json', '--dry-run'], dataDir)).stdout) as Summary;
    expect(again.accounts).toEqual({ created: 0, updated: 0, unchanged: ROWS - badLines.length });
  }, 600_000);

  it('reads JSON lines and reports a line that is not JSON', async () => {
    const jsonl = path.join(dataDir, 'more.jsonl');
    writeFileSync(jsonl, [
      JSON.stringify({ partner: 'contoso', customerExternalId: 'j-1', customerName: 'Jsonl Company' }),
      '{ not json',
      JSON.stringify({ partner: 'contoso', customerExternalId: 'j-1', customerName: 'Jsonl Company', accountExternalId: 'j-acc-1', name: 'Jay', login: 'jay', email: 'jay@jsonl.example' }),
    ].join('\n'));
    const run = await cli(['import', jsonl], dataDir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('companies: 1 created, 0 updated, 0 unchanged');
    expect(run.stdout).toContain('accounts:  1 created, 0 updated, 0 unchanged');
    expect(run.stdout).toContain('line 2: not valid JSON');
  }, 120_000);
});
