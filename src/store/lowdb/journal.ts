import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { syncDir, writeSnapshot } from './snapshot.js';

/**
 * One change to a record: `key` names a record of the list or map `part` (a list's records are
 * found by their `id`); without `key`, `value` replaces the whole part. No `value` with a key
 * deletes the record.
 */
export interface Change { part: string; key?: string; value?: unknown }

interface Waiter { text: string; done: () => void; fail: (e: unknown) => void }

export interface JournalOptions {
  /** The journal is folded into the snapshot once it is larger than this and than the snapshot. */
  compactBytes?: number;
}

const DEFAULT_COMPACT_BYTES = 8 << 20;

/**
 * A collection kept as a snapshot (`<name>.json`, the lowdb file format) plus a journal of record
 * changes (`<name>.jsonl`). A write appends only the changed records; appends made while a write
 * is in flight go out together with the next one, and each is flushed to disk (fdatasync) before
 * its promise resolves, so an answered request's change survives a crash. When the journal grows
 * past the snapshot it is folded into a new snapshot in the background:
 *
 *   1. the journal is renamed to `<name>.jsonl.old` and new changes go to a fresh `<name>.jsonl`;
 *   2. the snapshot is rewritten from memory, record by record, yielding to other work;
 *   3. `<name>.jsonl.old` is removed.
 *
 * Opening reads the snapshot, then `.jsonl.old` if a crash left it, then `.jsonl`. A change is
 * the whole new record, so replaying one already in the snapshot changes nothing.
 */
export class Journal<T extends object> {
  private pending: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private rotateWaiters: Array<{ done: () => void; fail: (e: unknown) => void }> = [];
  private compacting: Promise<void> | undefined;
  private nextFold: Promise<void> | undefined;
  private closed = false;
  private stopped = false;
  /** Set when a background compaction failed; the journal keeps growing and it is tried again later. */
  lastCompactionError: unknown;

  private constructor(
    private readonly file: string,
    private handle: FileHandle | undefined,
    public data: T,
    private journalBytes: number,
    private snapshotBytes: number,
    private readonly compactBytes: number,
  ) {}

  static async open<T extends object>(dir: string, name: string, defaults: T, options: JournalOptions = {}): Promise<Journal<T>> {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.json`);
    const log = `${file.slice(0, -'.json'.length)}.jsonl`;
    const old = `${log}.old`;
    const data = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as T : defaults;
    for (const [part, value] of Object.entries(defaults)) {
      const d = data as Record<string, unknown>;
      if (d[part] === undefined) d[part] = value;
    }
    const indexes = new Map<string, Map<string, number>>();
    if (existsSync(old)) replay(data, readLines(old, false), indexes);
    replay(data, readLines(log, true), indexes);
    if (existsSync(old)) {
      // A compaction was cut short: finish it now, before new changes, so the next one can rotate.
      writeDurably(`${file}.recovering`, JSON.stringify(data));
      renameSync(`${file}.recovering`, file);
      unlinkSync(old);
      // Emptied, or made: a crash may have come between the rotation's rename and the new journal.
      closeSync(openSync(log, 'w'));
      await syncDir(dir);
    }
    const snapshotBytes = existsSync(file) ? statSync(file).size : 0;
    const journalBytes = existsSync(log) ? statSync(log).size : 0;
    // The journal is opened at the first write: a collection that is only read holds no file open.
    return new Journal<T>(file, undefined, data, journalBytes, snapshotBytes, options.compactBytes ?? DEFAULT_COMPACT_BYTES);
  }

  private get log(): string {
    return `${this.file.slice(0, -'.json'.length)}.jsonl`;
  }

  /** Appends the changes (serialised now, so later edits of the records do not leak in); resolves once they are on disk. */
  write(changes: Change[]): Promise<void> {
    if (changes.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`${this.file}: the journal is closed`));
    const text = changes.map((c) => `${JSON.stringify({ p: c.part, k: c.key, v: c.value })}\n`).join('');
    return new Promise((done, fail) => {
      this.pending.push({ text, done, fail });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length || this.rotateWaiters.length) {
      if (this.rotateWaiters.length) {
        const waiters = this.rotateWaiters.splice(0);
        try {
          await this.rotateNow();
          for (const w of waiters) w.done();
        } catch (e) {
          for (const w of waiters) w.fail(e);
        }
        continue;
      }
      const batch = this.pending.splice(0);
      try {
        const text = batch.map((p) => p.text).join('');
        this.handle ??= await open(this.log, 'a');
        await this.handle.write(text);
        await this.handle.datasync();
        this.journalBytes += Buffer.byteLength(text);
        for (const p of batch) p.done();
      } catch (e) {
        for (const p of batch) p.fail(e);
      }
    }
    this.flushing = undefined;
    if (!this.closed && !this.stopped && !this.compacting && this.journalBytes > Math.max(this.compactBytes, this.snapshotBytes)) {
      void this.compact();
    }
  }

  /** Runs between two journal writes: the old journal holds every change made before the new snapshot starts. */
  private async rotateNow(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    if (existsSync(this.log)) await rename(this.log, `${this.log}.old`);
    else await writeFile(`${this.log}.old`, '');
    this.handle = await open(this.log, 'a');
    this.journalBytes = 0;
    await syncDir(path.dirname(this.file));
  }

  private rotate(): Promise<void> {
    return new Promise((done, fail) => {
      this.rotateWaiters.push({ done, fail });
      this.flushing ??= this.flush();
    });
  }

  /**
   * A fold that starts after this call, so its snapshot holds every change made before it: once
   * it resolves, no older version of a record is left in any file (a wiped secret is gone).
   */
  foldFresh(): Promise<void> {
    if (!this.compacting) return this.compact();
    this.nextFold ??= this.compacting.then(() => {
      this.nextFold = undefined;
      return this.compact();
    });
    return this.nextFold;
  }

  /** Folds the journal into a new snapshot (one at a time); public so tests can force one. */
  compact(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.compacting ??= this.fold().finally(() => { this.compacting = undefined; });
    return this.compacting;
  }

  private async fold(): Promise<void> {
    try {
      await this.rotate();
      this.snapshotBytes = await writeSnapshot(this.file, this.data);
      await unlink(`${this.log}.old`);
      this.lastCompactionError = undefined;
    } catch (e) {
      // Whatever was not folded stays in `.jsonl.old` and is replayed and folded at the next open;
      // another rotation now would overwrite it, so the journal just grows until then.
      this.lastCompactionError = e;
      this.stopped = true;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.compacting;
    await this.flushing;
    await this.handle?.close();
    this.handle = undefined;
  }
}

function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, text);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The journal's lines; a torn last line (a crash mid-append) is cut off so the next append starts clean. */
function readLines(file: string, repair: boolean): Array<{ p: string; k?: string; v?: unknown }> {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (repair && end < text.length) truncateSync(file, Buffer.byteLength(text.slice(0, end)));
  const lines: Array<{ p: string; k?: string; v?: unknown }> = [];
  for (const [i, line] of text.slice(0, end).split('\n').entries()) {
    if (!line) continue;
    try {
      lines.push(JSON.parse(line) as { p: string; k?: string; v?: unknown });
    } catch (e) {
      throw new Error(`${file}: line ${i + 1} is not JSON`, { cause: e });
    }
  }
  return lines;
}

/** Where a deleted list record stood during a replay; the holes are closed once at the end. */
const GONE = Symbol('deleted');

function replay(data: object, lines: Array<{ p: string; k?: string; v?: unknown }>, indexes: Map<string, Map<string, number>>): void {
  const doc = data as Record<string, unknown>;
  // Splicing each deleted record out would shift the list and rebuild its index per delete: a
  // journal of many deletes (forgotten resets) would replay in quadratic time.
  const holed = new Map<unknown[], string>();
  for (const { p, k, v } of lines) {
    if (k === undefined) {
      doc[p] = v;
      indexes.delete(p);
      continue;
    }
    const part = doc[p] ??= {};
    if (Array.isArray(part)) {
      let index = indexes.get(p);
      if (!index) {
        index = new Map(part.map((r: { id?: unknown }, i) => [String(r?.id), i]));
        indexes.set(p, index);
      }
      const at = index.get(k);
      if (v === undefined) {
        if (at !== undefined) {
          part[at] = GONE;
          index.delete(k);
          holed.set(part, p);
        }
      } else if (at === undefined) {
        index.set(k, part.length);
        part.push(v);
      } else part[at] = v;
    } else {
      const map = part as Record<string, unknown>;
      if (v === undefined) delete map[k];
      else map[k] = v;
    }
  }
  for (const [list, p] of holed) {
    let kept = 0;
    for (const r of list) if (r !== GONE) list[kept++] = r;
    list.length = kept;
    // Positions moved: a later replay (the journal after `.jsonl.old`) indexes the list afresh.
    indexes.delete(p);
  }
}
