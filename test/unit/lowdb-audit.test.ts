import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyChain } from '../../src/domain/audit.js';
import type { AuditInput } from '../../src/domain/types.js';
import { LowdbAudit, keyHash } from '../../src/store/lowdb/audit.js';

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'rb-audit-'));
const input = (n: number, partnerId = 'north'): AuditInput => ({
  type: n % 2 ? 'reset.issued' : 'mail.sent', outcome: 'success', actor: 'admin:a@north.example', partnerId,
  target: `account:a${n % 3}`, detail: { resetId: `r${n % 5}`, note: 'ünïcode ✓' },
});
const at = (n: number) => new Date(Date.UTC(2030, 0, 1, 0, n)).toISOString();

/** Opens the trail in `dir` and appends the events numbered `from` to `to`, one after another. */
async function openWith(dir: string, from: number, to: number, make: (n: number) => AuditInput = (n) => input(n)): Promise<LowdbAudit> {
  const trail = await LowdbAudit.open(dir);
  for (let n = from; n <= to; n++) await trail.append(make(n), at(n));
  return trail;
}

/** The same, and closes it (which writes its index file). */
async function appendAndClose(dir: string, from: number, to: number, make?: (n: number) => AuditInput): Promise<void> {
  await (await openWith(dir, from, to, make)).close();
}

describe('the embedded audit trail, read back from its file', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers a target or a reset whose hash another one shares with its own events only, limit counted after the check', async () => {
    const [a, b] = ['account:a14537', 'account:a278650'];
    expect(keyHash(a)).toBe(keyHash(b));
    const trail = await LowdbAudit.open(tempDir());
    const event = (target: string): AuditInput => ({ type: 'reset.opened', outcome: 'info', actor: 'x', partnerId: 'north', target, detail: { resetId: target } });
    for (const [n, target] of [a, a, b, a, b].entries()) await trail.append(event(target), at(n));
    expect((await trail.query({ partnerId: 'north', target: b })).map((e) => e.seq)).toEqual([3, 5]);
    expect((await trail.query({ partnerId: 'north', target: b, limit: 1 })).map((e) => e.seq)).toEqual([3]);
    expect((await trail.query({ partnerId: 'north', target: a, afterSeq: 2 })).map((e) => e.seq)).toEqual([4]);
    expect((await trail.ofReset('north', a)).map((e) => e.seq)).toEqual([1, 2, 4]);
    expect(await trail.ofReset('south', a)).toEqual([]);
    await trail.close();
  });

  it('continues the chain after a reopen and answers queries from the file as before it', async () => {
    const dir = tempDir();
    const first = await LowdbAudit.open(dir);
    for (let n = 1; n <= 30; n++) await first.append(input(n, n % 4 ? 'north' : 'south'), at(n));
    const before = await first.query({ partnerId: 'north', target: 'account:a1' });
    await first.close();

    const again = await LowdbAudit.open(dir);
    expect(await again.query({ partnerId: 'north', target: 'account:a1' })).toEqual(before);
    const next = await again.append(input(31), at(31));
    const all = await again.list();
    expect(next.seq).toBe(31);
    expect(next.prev).toBe(all[29]!.hash);
    expect(verifyChain(all)).toEqual({ ok: true });
    expect((await again.list('south')).map((e) => e.seq)).toEqual([4, 8, 12, 16, 20, 24, 28]);
    expect((await again.ofReset('north', 'r2')).map((e) => e.seq)).toEqual([2, 7, 17, 22, 27]);
    await again.close();
  });

  it('starts from its index file and the lines after it, with the answers of a full read, and writes the file again as events pile up', async () => {
    const dir = tempDir();
    const first = await LowdbAudit.open(dir, { checkpoint: 40 });
    for (let n = 1; n <= 30; n++) await first.append(input(n, n % 4 ? 'north' : 'south'), at(n));
    await first.close();
    const index = path.join(dir, 'audit.idx');
    expect(existsSync(index)).toBe(true);
    const indexed = readFileSync(index);

    // Running: 50 more events, one index write on the way (at 40 beyond the last), then a crash (no close).
    const running = await LowdbAudit.open(dir, { checkpoint: 40 });
    for (let n = 31; n <= 80; n++) await running.append(input(n, n % 4 ? 'north' : 'south'), at(n));
    await vi.waitFor(() => expect(readFileSync(index).equals(indexed)).toBe(false));
    const expected = {
      target: await running.query({ partnerId: 'north', target: 'account:a1' }), south: await running.list('south'),
      reset: await running.ofReset('north', 'r2'), page: await running.query({ partnerId: 'north', type: 'mail.sent', afterSeq: 33, limit: 4 }),
    };

    const parse = vi.spyOn(JSON, 'parse');
    const again = await LowdbAudit.open(dir);
    // The index covered 70 events: the last of them is checked, the ten after it are read.
    expect(parse.mock.calls.length).toBeLessThanOrEqual(12);
    parse.mockRestore();
    expect({
      target: await again.query({ partnerId: 'north', target: 'account:a1' }), south: await again.list('south'),
      reset: await again.ofReset('north', 'r2'), page: await again.query({ partnerId: 'north', type: 'mail.sent', afterSeq: 33, limit: 4 }),
    }).toEqual(expected);
    const next = await again.append(input(81), at(81));
    const all = await again.list();
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 81 }, (_, i) => i + 1));
    expect(next.prev).toBe(all[79]!.hash);
    expect(verifyChain(all)).toEqual({ ok: true });
    await again.close();
    await running.close();
  });

  it('finds each of thousands of targets and resets as a walk of the whole trail would, before and after a reopen from its index', async () => {
    const dir = tempDir();
    const trail = await LowdbAudit.open(dir);
    const inputs = Array.from({ length: 5000 }, (_, i): AuditInput => ({
      type: 'reset.opened', outcome: 'info', actor: 'x', partnerId: i % 7 ? 'north' : 'south', target: `account:t${(i * 7919) % 3001}`, detail: { resetId: `r${i % 2203}` },
    }));
    await Promise.all(inputs.map((e, i) => trail.append(e, at(i))));
    const all = await trail.list();
    const check = async (audit: LowdbAudit) => {
      for (const t of [0, 1, 1500, 2999, 3000]) {
        expect((await audit.query({ target: `account:t${t}` })).map((e) => e.seq), `t${t}`).toEqual(all.filter((e) => e.target === `account:t${t}`).map((e) => e.seq));
      }
      for (const r of [0, 1, 1101, 2202]) {
        expect((await audit.ofReset('north', `r${r}`)).map((e) => e.seq), `r${r}`).toEqual(all.filter((e) => e.partnerId === 'north' && e.detail?.resetId === `r${r}`).map((e) => e.seq));
      }
    };
    await check(trail);
    await trail.close();
    const reopened = await LowdbAudit.open(dir);
    await check(reopened);
    await reopened.close();
  });

  it('keeps using its index after events that name no target or reset, the usual sign-ins and settings changes', async () => {
    const dir = tempDir();
    await appendAndClose(dir, 1, 5);
    await appendAndClose(dir, 6, 2100, (n) => ({ type: 'admin.signed-in', outcome: 'success', actor: `admin:${n}`, partnerId: 'north' }));
    const parse = vi.spyOn(JSON, 'parse');
    const third = await LowdbAudit.open(dir);
    expect(parse.mock.calls.length).toBeLessThanOrEqual(2);
    parse.mockRestore();
    expect((await third.ofReset('north', 'r1')).map((e) => e.seq)).toEqual([1]);
    expect((await third.list()).map((e) => e.seq)).toEqual(Array.from({ length: 2100 }, (_, i) => i + 1));
    await third.close();
  });

  it('reads the whole trail when the index file does not fit it: cut back, damaged, or another trail', async () => {
    const dir = tempDir();
    await appendAndClose(dir, 1, 20);
    const file = path.join(dir, 'audit.jsonl');
    const index = path.join(dir, 'audit.idx');
    const lines = readFileSync(file, 'utf8').split('\n');
    const sound = readFileSync(index);

    // A trail restored from an older copy: ten events.
    truncateSync(file, Buffer.byteLength(lines.slice(0, 10).join('\n') + '\n'));
    const restored = await LowdbAudit.open(dir);
    expect((await restored.list()).map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect((await restored.append(input(11), at(11))).seq).toBe(11);
    await restored.close();

    // A damaged index: bytes flipped in its columns.
    const damaged = Buffer.from(readFileSync(index));
    damaged.fill(0xff, damaged.length - 64);
    writeFileSync(index, damaged);
    const reread = await LowdbAudit.open(dir);
    expect((await reread.ofReset('north', 'r1')).map((e) => e.seq)).toEqual([1, 6, 11]);
    await reread.close();

    // Another trail put in place of this one, with the index of this one beside it.
    const elsewhere = tempDir();
    await appendAndClose(elsewhere, 1, 12, (n) => ({ ...input(n, 'south'), target: `account:s${n % 2}`, detail: { resetId: `s${n % 3}` } }));
    writeFileSync(index, sound);
    writeFileSync(file, readFileSync(path.join(elsewhere, 'audit.jsonl')));
    const other = await LowdbAudit.open(dir);
    expect((await other.query({ target: 'account:s1' })).map((e) => e.seq)).toEqual([1, 3, 5, 7, 9, 11]);
    expect((await other.ofReset('south', 's2')).map((e) => e.seq)).toEqual([2, 5, 8, 11]);
    expect(await other.list('north')).toEqual([]);
    await other.close();
  });

  it('answers reads made while appends are still being written, and loses none of them', async () => {
    const dir = tempDir();
    const audit = await LowdbAudit.open(dir);
    const writes = Array.from({ length: 200 }, (_, i) => audit.append(input(i + 1), at(i)));
    const early = await audit.query({ type: 'reset.issued' });
    expect(early.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 2 * i + 1));
    await Promise.all(writes);
    const all = await audit.list();
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(verifyChain(all)).toEqual({ ok: true });
    await audit.close();
  });

  it('reads a mix of lines on disk and lines still being written, in order', async () => {
    const audit = await openWith(tempDir(), 1, 10);
    const writes = Array.from({ length: 10 }, (_, i) => audit.append(input(i + 11), at(i + 11)));
    expect((await audit.query({ partnerId: 'north', afterSeq: 5 })).map((e) => e.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 6));
    await Promise.all(writes);
    expect(verifyChain(await audit.list())).toEqual({ ok: true });
    await audit.close();
  });

  it('after a failed write, refuses every event queued behind it and every later one, and reopens sound', async () => {
    const dir = tempDir();
    const audit = await LowdbAudit.open(dir);
    await audit.append(input(1), at(1));
    const probe = await open(path.join(dir, 'probe'), 'w');
    const write = vi.spyOn(Object.getPrototypeOf(probe) as { write: () => unknown }, 'write')
      .mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
    await probe.close();
    const outcomes = await Promise.allSettled([2, 3, 4].map((n) => audit.append(input(n), at(n))));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await expect(audit.append(input(5), at(5))).rejects.toThrow(/could not be written/);
    expect(audit.writable).toBe(false);
    write.mockRestore();
    await audit.close();

    const reopened = await LowdbAudit.open(dir);
    const next = await reopened.append(input(6), at(6));
    const all = await reopened.list();
    expect(all.map((e) => e.seq)).toEqual([1, 2]);
    expect(next.prev).toBe(all[0]!.hash);
    expect(verifyChain(all)).toEqual({ ok: true });
    await reopened.close();
  });

  it('shows an edit made to the file while the store runs: the chain check reads what is on disk', async () => {
    const dir = tempDir();
    const audit = await openWith(dir, 1, 5);
    const file = path.join(dir, 'audit.jsonl');
    // Same length, another actor: the offsets still hold, the hash does not.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/("seq":3,[^\n]*?)admin:a@north/, '$1admin:z@north'));
    expect(verifyChain(await audit.list())).toMatchObject({ ok: false, seq: 3 });
    expect((await audit.query({ afterSeq: 2, limit: 1 }))[0]!.actor).toBe('admin:z@north.example');
    await audit.close();
  });
});
