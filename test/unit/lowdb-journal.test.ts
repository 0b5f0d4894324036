import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeCollection, openCollection } from '../../src/store/lowdb/collection.js';
import { Journal } from '../../src/store/lowdb/journal.js';

interface Doc { items: Array<{ id: string; n: number }>; flags: Record<string, boolean>; title: string }

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'rb-journal-'));
const empty = (): Doc => ({ items: [], flags: {}, title: '' });

describe('the journal under the embedded store', () => {
  it('keeps every acknowledged change of a burst of concurrent writes after reopening, without rewriting the snapshot', async () => {
    const dir = tempDir();
    const j = await Journal.open<Doc>(dir, 'c', empty());
    await Promise.all(Array.from({ length: 300 }, (_, n) => {
      j.data.items.push({ id: `i${n}`, n });
      return j.write([{ part: 'items', key: `i${n}`, value: { id: `i${n}`, n } }]);
    }));
    await j.write([{ part: 'items', key: 'i7' }, { part: 'flags', key: 'on', value: true }, { part: 'title', value: 'hello' }]);
    await j.close();
    expect(existsSync(path.join(dir, 'c.json'))).toBe(false);
    const again = await Journal.open<Doc>(dir, 'c', empty());
    expect(again.data.items).toHaveLength(299);
    expect(again.data.items.find((i) => i.id === 'i7')).toBeUndefined();
    expect(again.data.items.find((i) => i.id === 'i299')).toEqual({ id: 'i299', n: 299 });
    expect(again.data.flags).toEqual({ on: true });
    expect(again.data.title).toBe('hello');
    await again.close();
  });

  it('replays a journal that deletes most of a large list: the rest in order, a deleted key added again at the end', async () => {
    const dir = tempDir();
    const j = await Journal.open<Doc>(dir, 'c', empty());
    const ids = Array.from({ length: 30_000 }, (_, n) => `i${n}`);
    await j.write(ids.map((id, n) => ({ part: 'items', key: id, value: { id, n } })));
    await j.write(ids.filter((_, n) => n % 10 !== 0).map((id) => ({ part: 'items', key: id })));
    await j.write([{ part: 'items', key: 'i5', value: { id: 'i5', n: -5 } }, { part: 'items', key: 'i10', value: { id: 'i10', n: -10 } }]);
    await j.close();
    const again = await Journal.open<Doc>(dir, 'c', empty());
    const kept = ids.filter((_, n) => n % 10 === 0).map((id) => (id === 'i10' ? { id, n: -10 } : { id, n: Number(id.slice(1)) }));
    expect(again.data.items).toEqual([...kept, { id: 'i5', n: -5 }]);
    await again.close();
  });

  it('deletes the right records when a crash left deletes in both the old journal and the new one', async () => {
    const dir = tempDir();
    const j = await Journal.open<Doc>(dir, 'c', empty());
    // As the stores do: the records change in memory, the journal is told what changed.
    j.data.items.push(...['r1', 'r2', 'r3', 'r4'].map((id, n) => ({ id, n })));
    await j.write(j.data.items.map((value) => ({ part: 'items', key: value.id, value })));
    await j.compact();
    j.data.items.shift();
    await j.write([{ part: 'items', key: 'r1' }]);
    await j.close();
    renameSync(path.join(dir, 'c.jsonl'), path.join(dir, 'c.jsonl.old'));
    writeFileSync(path.join(dir, 'c.jsonl'), '{"p":"items","k":"r3","v":{"id":"r3","n":30}}\n{"p":"items","k":"r2"}\n');
    const again = await Journal.open<Doc>(dir, 'c', empty());
    expect(again.data.items).toEqual([{ id: 'r3', n: 30 }, { id: 'r4', n: 3 }]);
    await again.close();
  });

  it('cuts off a torn last line left by a crash, so the next append starts on a line of its own', async () => {
    const dir = tempDir();
    const j = await Journal.open<Doc>(dir, 'c', empty());
    await j.write([{ part: 'items', key: 'a', value: { id: 'a', n: 1 } }]);
    await j.close();
    appendFileSync(path.join(dir, 'c.jsonl'), '{"p":"items","k":"b","v":{"id":"b"');
    const reopened = await Journal.open<Doc>(dir, 'c', empty());
    expect(reopened.data.items).toEqual([{ id: 'a', n: 1 }]);
    await reopened.write([{ part: 'items', key: 'c', value: { id: 'c', n: 3 } }]);
    await reopened.close();
    const last = await Journal.open<Doc>(dir, 'c', empty());
    expect(last.data.items.map((i) => i.id)).toEqual(['a', 'c']);
    await last.close();
  });

  it('folds the journal into a new snapshot while writes go on, and loses none of them', async () => {
    const dir = tempDir();
    const j = await Journal.open<Doc>(dir, 'c', empty(), { compactBytes: 1 });
    const writes: Array<Promise<void>> = [];
    for (let n = 0; n < 2000; n++) {
      const record = { id: `i${n % 500}`, n };
      const at = j.data.items.findIndex((i) => i.id === record.id);
      if (at === -1) j.data.items.push(record);
      else j.data.items[at] = record;
      writes.push(j.write([{ part: 'items', key: record.id, value: record }]));
      if (n % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    await j.compact();
    await j.close();
    const snapshot = JSON.parse(readFileSync(path.join(dir, 'c.json'), 'utf8')) as Doc;
    expect(snapshot.items).toHaveLength(500);
    expect(existsSync(path.join(dir, 'c.jsonl.old'))).toBe(false);
    const again = await Journal.open<Doc>(dir, 'c', empty());
    expect(again.data.items.map((i) => i.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, n) => 1500 + n));
    await again.close();
  });

  it('finishes a compaction cut short by a crash: snapshot, then the old journal, then the new one', async () => {
    const dir = tempDir();
    const j = await Journal.open<Doc>(dir, 'c', empty());
    await j.write([{ part: 'items', key: 'a', value: { id: 'a', n: 1 } }, { part: 'items', key: 'b', value: { id: 'b', n: 1 } }]);
    await j.close();
    // The state a crash leaves after the rotation: old journal aside, a newer change in a fresh one.
    renameSync(path.join(dir, 'c.jsonl'), path.join(dir, 'c.jsonl.old'));
    writeFileSync(path.join(dir, 'c.jsonl'), '{"p":"items","k":"a","v":{"id":"a","n":2}}\n');
    const again = await Journal.open<Doc>(dir, 'c', empty());
    expect(again.data.items).toEqual([{ id: 'a', n: 2 }, { id: 'b', n: 1 }]);
    expect(existsSync(path.join(dir, 'c.jsonl.old'))).toBe(false);
    await again.close();
    const third = await Journal.open<Doc>(dir, 'c', empty());
    expect(third.data.items).toEqual([{ id: 'a', n: 2 }, { id: 'b', n: 1 }]);
    await third.close();
  });

  it('serialises a 100,000-record snapshot without holding the event loop for long', async () => {
    const dir = tempDir();
    const big = { items: Array.from({ length: 100_000 }, (_, n) => ({ id: `account-${n}`, n, name: `Person ${n}`, email: `person.${n}@example.com` })) };
    const j = await Journal.open(dir, 'big', big);
    // Measured in CPU time, not on the clock: a busy machine that takes the CPU away between two
    // timer turns must not count as the compaction holding the event loop.
    const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    let longest = 0;
    let turns = 0;
    let last = cpuMs();
    const tick = setInterval(() => {
      const now = cpuMs();
      longest = Math.max(longest, now - last);
      last = now;
      turns++;
    }, 1);
    const started = cpuMs();
    JSON.stringify(big);
    const wholeFile = cpuMs() - started;
    last = cpuMs();
    longest = 0;
    turns = 0;
    await j.compact();
    clearInterval(tick);
    await j.close();
    expect(JSON.parse(readFileSync(path.join(dir, 'big.json'), 'utf8')).items).toHaveLength(100_000);
    // One whole-file stringify holds the loop for all of `wholeFile`; the chunked one only for slices of it.
    expect(turns).toBeGreaterThan(1);
    expect(longest).toBeLessThan(Math.max(30, wholeFile / 2));
  });
});

describe('collections opened through openCollection', () => {
  it('journal only what changed and read back lists, maps and plain values after reopening', async () => {
    const dir = tempDir();
    const db = await openCollection<Doc>(dir, 'c', empty());
    db.data.items.push({ id: 'a', n: 1 }, { id: 'b', n: 2 });
    db.data.flags.x = true;
    db.data.title = 'first';
    await db.write();
    db.data.items[0]!.n = 10;
    db.data.items.splice(1, 1);
    delete db.data.flags.x;
    db.data.flags.y = false;
    await db.write();
    await closeCollection(db);
    const lines = readFileSync(path.join(dir, 'c.jsonl'), 'utf8').trim().split('\n');
    // Second write: a changed, b gone, x gone, y new; the unchanged title is not written again.
    expect(lines.slice(4).map((l) => JSON.parse(l) as { p: string; k?: string })).toEqual([
      { p: 'items', k: 'a', v: { id: 'a', n: 10 } }, { p: 'items', k: 'b' }, { p: 'flags', k: 'y', v: false }, { p: 'flags', k: 'x' },
    ]);
    const again = await openCollection<Doc>(dir, 'c', empty());
    expect(again.data).toEqual({ items: [{ id: 'a', n: 10 }], flags: { y: false }, title: 'first' });
    await closeCollection(again);
  });

  it('leave no copy of a wiped secret in any of their files once the write resolves, when they fold on every write', async () => {
    const dir = tempDir();
    const db = await openCollection<{ syncs: Array<{ id: string; sealed?: string }> }>(dir, 's', { syncs: [] }, { foldEveryWrite: true });
    db.data.syncs.push({ id: 'a', sealed: 'v1.CIPHERTEXT' });
    await db.write();
    delete db.data.syncs[0]!.sealed;
    await db.write();
    const files = readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8'));
    expect(files.join('')).not.toContain('CIPHERTEXT');
    await closeCollection(db);
    const again = await openCollection<{ syncs: Array<{ id: string; sealed?: string }> }>(dir, 's', { syncs: [] });
    expect(again.data.syncs).toEqual([{ id: 'a' }]);
    await closeCollection(again);
  });

  it('open a file written by lowdb\'s own JSON adapter as it is, and keep its records through later writes', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ items: [{ id: 'old', n: 1 }], flags: { f: true }, title: 'legacy' }, null, 2));
    const db = await openCollection<Doc>(dir, 'c', empty());
    expect(db.data.items).toEqual([{ id: 'old', n: 1 }]);
    db.data.items.push({ id: 'new', n: 2 });
    await db.write();
    await closeCollection(db);
    const again = await openCollection<Doc>(dir, 'c', empty());
    expect(again.data).toEqual({ items: [{ id: 'old', n: 1 }, { id: 'new', n: 2 }], flags: { f: true }, title: 'legacy' });
    await closeCollection(again);
  });
});
