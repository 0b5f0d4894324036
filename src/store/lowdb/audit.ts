import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { chainEvent } from '../../domain/audit.js';
import type { AuditQuery } from '../../domain/ports.js';
import type { AuditEvent, AuditInput } from '../../domain/types.js';
import { AppendLog } from './append-log.js';
import { Codes, Columns, HashChains, keyHash } from './audit-columns.js';
import { dropAuditIndex, dropStaleIndexWrites, loadAuditIndex, saveAuditIndex, type AuditIndex } from './audit-index.js';

export { keyHash };

const NO_PARTNER = 0xffffffff;
/** Events appended between two writes of the index file while running. */
const CHECKPOINT = 100_000;
/** Most events read in one go (a few MB), so reading the whole trail never needs one buffer the size of the file. */
const SPAN = 8192;


/**
 * The embedded store's audit trail: one JSON line per event in `audit.jsonl`, so an event costs
 * one small write instead of rewriting the whole history. An `audit.json` written by an earlier
 * version is carried over once.
 *
 * Events are read back from the file, not held in memory. Memory keeps about 35 bytes per event
 * in typed arrays: where its line is, its number, its partner and type as small integers, and
 * chains of positions by a hash of its target and of its reset. A query walks a chain or the
 * columns, then reads the lines it picked and checks them. Holding every event cost about 700
 * bytes each; lists and maps of positions still cost about 160, most of it small objects whose
 * collection took most of a start-up with a year of history.
 */
export class LowdbAudit {
  private readonly columns: Columns;
  private readonly partners: Codes;
  private readonly types: Codes;
  private readonly byTarget: HashChains;
  private readonly byReset: HashChains;
  /** Events the index file holds; it is written again once many more are on disk, and at close. */
  private indexed: number;
  private saving: Promise<void> | undefined;
  /** Events whose line is not yet on disk, by position. */
  private readonly pending = new Map<number, AuditEvent>();
  private last: { seq: number; hash: string } | undefined;
  private size = 0;
  private log!: AppendLog<AuditEvent>;
  private reader!: FileHandle;
  private broken: Error | undefined;
  /** Reads under way: closing waits for them rather than pulling the file from under them. */
  private readonly reads = new Set<Promise<unknown>>();

  /** Starts from the index file's arrays when it fit the trail, else from empty ones. */
  private constructor(private readonly indexFile: string, private readonly checkpoint: number, index?: AuditIndex) {
    this.columns = index?.columns ?? new Columns();
    this.partners = index?.partners ?? new Codes();
    this.types = index?.types ?? new Codes();
    this.byTarget = index?.byTarget ?? new HashChains();
    this.byReset = index?.byReset ?? new HashChains();
    this.last = index?.last;
    this.indexed = this.columns.length;
  }

  /** False once a write failed: every audited action fails until the store is reopened. */
  get writable(): boolean {
    return this.broken === undefined;
  }

  static async open(dir: string, opts: { checkpoint?: number } = {}): Promise<LowdbAudit> {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'audit.jsonl');
    const legacy = path.join(dir, 'audit.json');
    const indexFile = path.join(dir, 'audit.idx');
    const index = existsSync(file) ? loadAuditIndex(indexFile, (offset, length) => eventAt(file, offset, length)) : undefined;
    if (!index) dropAuditIndex(indexFile);
    dropStaleIndexWrites(indexFile);
    const audit = new LowdbAudit(indexFile, opts.checkpoint ?? CHECKPOINT, index);
    const { log, bytes } = await AppendLog.open<AuditEvent>(file, (e, offset, length) => audit.place(e, offset, length), index?.bytes ?? 0);
    audit.log = log;
    audit.size = bytes;
    audit.reader = await open(file, 'r');
    if (audit.columns.length === 0 && existsSync(legacy)) {
      const old = (JSON.parse(readFileSync(legacy, 'utf8')) as { events?: AuditEvent[] }).events ?? [];
      for (const e of old) await audit.write(e);
      renameSync(legacy, `${legacy}.migrated`);
    }
    return audit;
  }

  append(input: AuditInput, at: string): Promise<AuditEvent> {
    if (this.broken) return Promise.reject(this.broken);
    // Chained and placed at once (no await in between), so the order is the chain's order.
    const event = chainEvent(input, at, (this.last?.seq ?? 0) + 1, this.last?.hash ?? '');
    return this.write(event).then(() => event);
  }

  /** The whole trail or one partner's. */
  async list(partnerId?: string): Promise<AuditEvent[]> {
    return this.query(partnerId === undefined ? {} : { partnerId });
  }

  async query(q: AuditQuery): Promise<AuditEvent[]> {
    const partner = q.partnerId === undefined ? undefined : this.partners.find(q.partnerId) ?? null;
    const type = q.type === undefined ? undefined : this.types.find(q.type) ?? null;
    if (partner === null || type === null) return [];
    const c = this.columns;
    const target = q.target === undefined ? undefined : keyHash(q.target);
    return this.pick(q.afterSeq ?? 0, q.limit ?? Number.POSITIVE_INFINITY, target === undefined ? undefined : this.byTarget.positions(target),
      (p) => (partner === undefined || c.partners[p] === partner) && (type === undefined || c.types[p] === type),
      (e) => q.target === undefined || e.target === q.target);
  }

  async ofReset(partnerId: string, resetId: string): Promise<AuditEvent[]> {
    const partner = this.partners.find(partnerId);
    if (partner === undefined) return [];
    const c = this.columns;
    return this.pick(0, Number.POSITIVE_INFINITY, this.byReset.positions(keyHash(resetId)),
      (p) => c.partners[p] === partner, (e) => e.detail?.resetId === resetId);
  }

  /**
   * Up to `limit` events numbered after `afterSeq`, oldest first, from `candidates` (ascending
   * positions) or else the whole trail: `maybe` checks the columns, `surely` the events read (a
   * hash matched; the key itself must too).
   */
  private async pick(afterSeq: number, limit: number, candidates: readonly number[] | undefined, maybe: (p: number) => boolean, surely: (e: AuditEvent) => boolean): Promise<AuditEvent[]> {
    const { seqs } = this.columns;
    const end = candidates ? candidates.length : this.columns.length;
    const at = candidates ? (i: number) => candidates[i]! : (i: number) => i;
    let i = candidates ? candidates.findIndex((p) => seqs[p]! > afterSeq) : this.firstAfter(afterSeq);
    if (i < 0) return [];
    const out: AuditEvent[] = [];
    while (i < end && out.length < limit) {
      const batch: number[] = [];
      for (; i < end && batch.length < Math.min(limit - out.length, SPAN); i++) if (maybe(at(i))) batch.push(at(i));
      for (const e of await this.readAll(batch)) if (surely(e) && out.length < limit) out.push(e);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.log.close();
    await Promise.allSettled([...this.reads]);
    await this.reader.close();
    await this.saving;
    if (this.columns.length > this.indexed) await this.saveIndex();
  }

  /**
   * Writes the index file when every placed event is on disk (the file must end with a line that
   * is there) and the trail is sound. Failing to write it costs the next start time, nothing else.
   */
  private saveIndex(): Promise<void> {
    if (this.broken || this.pending.size > 0 || !this.last || this.saving) return this.saving ?? Promise.resolve();
    const count = this.columns.length;
    this.saving = saveAuditIndex(this.indexFile, {
      bytes: this.size, last: this.last, partners: this.partners, types: this.types, columns: this.columns, byTarget: this.byTarget, byReset: this.byReset,
    }).then(() => {
      this.indexed = count;
    }, () => {
      // Not tried again after every event: after as many more as a checkpoint, or at close.
      this.indexed = count;
    }).finally(() => {
      this.saving = undefined;
    });
    return this.saving;
  }

  private write(event: AuditEvent): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    const bytes = Buffer.byteLength(line);
    const position = this.place(event, this.size, bytes);
    this.size += bytes;
    this.pending.set(position, event);
    return this.log.appendLine(line).then(() => {
      this.pending.delete(position);
      if (this.columns.length - this.indexed >= this.checkpoint) void this.saveIndex();
    }, (e: unknown) => {
      // Lines after it were placed where this one should have ended: nothing written from here
      // on could be found again. The trail refuses events until it is reopened from its file.
      this.broken ??= new Error('The audit trail could not be written; restart to reopen it from its file.', { cause: e });
      throw e;
    });
  }

  /** Indexes an event whose line starts at `offset`; returns its position. */
  private place(e: AuditEvent, offset: number, bytes: number): number {
    const resetId = e.detail?.resetId;
    const target = e.target === undefined ? 0 : keyHash(e.target);
    const reset = typeof resetId === 'string' ? keyHash(resetId) : 0;
    const position = this.columns.push(
      offset, bytes, e.seq, e.partnerId === undefined ? NO_PARTNER : this.partners.code(e.partnerId), this.types.code(e.type),
    );
    if (target !== 0) this.byTarget.add(target, position);
    if (reset !== 0) this.byReset.add(reset, position);
    this.last = { seq: e.seq, hash: e.hash };
    return position;
  }

  /**
   * The events at these positions (ascending). Lines not yet on disk come from memory; runs of
   * consecutive lines on disk are read at once, run after run.
   */
  private async readAll(positions: readonly number[]): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    for (let i = 0; i < positions.length;) {
      const from = positions[i]!;
      const waiting = this.pending.get(from);
      if (waiting) {
        out.push(waiting);
        i++;
        continue;
      }
      let to = from + 1;
      i++;
      while (i < positions.length && positions[i] === to && !this.pending.has(to) && to - from < SPAN) {
        to++;
        i++;
      }
      out.push(...await this.readSpan(from, to));
    }
    return out;
  }

  /** Events at positions [from, to), whose lines are consecutive in the file: one read. */
  private async readSpan(from: number, to: number): Promise<AuditEvent[]> {
    const { offsets, lengths, seqs } = this.columns;
    const start = offsets[from]!;
    const end = offsets[to - 1]! + lengths[to - 1]!;
    const buffer = Buffer.allocUnsafe(end - start);
    const reading = this.reader.read(buffer, 0, buffer.length, start);
    this.reads.add(reading);
    const { bytesRead } = await reading.finally(() => this.reads.delete(reading));
    if (bytesRead !== buffer.length) throw new Error(`The audit trail file ends before event ${seqs[from]}: it was cut or replaced while in use.`);
    const out: AuditEvent[] = [];
    for (let p = from; p < to; p++) {
      const at = offsets[p]! - start;
      out.push(JSON.parse(buffer.toString('utf8', at, at + lengths[p]! - 1)) as AuditEvent);
    }
    return out;
  }

  /** The first position whose event is numbered after `seq` (positions are in the chain's order). */
  private firstAfter(seq: number): number {
    const { seqs } = this.columns;
    let lo = 0;
    let hi = this.columns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[mid]! <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The number and hash of the event whose line is at `offset`, if there is one. */
function eventAt(file: string, offset: number, length: number): { seq: number; hash: string } | undefined {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    if (readSync(fd, buffer, 0, length, offset) !== length || buffer[length - 1] !== 0x0a) return undefined;
    const e = JSON.parse(buffer.toString('utf8', 0, length - 1)) as Partial<AuditEvent>;
    return typeof e.seq === 'number' && typeof e.hash === 'string' ? { seq: e.seq, hash: e.hash } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
