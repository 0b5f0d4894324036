import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
    const dir = tempDir();
    const audit = await LowdbAudit.open(dir);
    for (let n = 1; n <= 10; n++) await audit.append(input(n), at(n));
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
    const audit = await LowdbAudit.open(dir);
    for (let n = 1; n <= 5; n++) await audit.append(input(n), at(n));
    const file = path.join(dir, 'audit.jsonl');
    // Same length, another actor: the offsets still hold, the hash does not.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/("seq":3,[^\n]*?)admin:a@north/, '$1admin:z@north'));
    expect(verifyChain(await audit.list())).toMatchObject({ ok: false, seq: 3 });
    expect((await audit.query({ afterSeq: 2, limit: 1 }))[0]!.actor).toBe('admin:z@north.example');
    await audit.close();
  });
});
