import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { chainEvent } from '../../domain/audit.js';
import type { AuditQuery } from '../../domain/ports.js';
import type { AuditEvent, AuditInput } from '../../domain/types.js';
import { AppendLog } from './append-log.js';

/** Small integers for the few distinct partner ids and event types, so each event costs a number, not a string. */
class Codes {
  private readonly byName = new Map<string, number>();
  readonly names: string[] = [];

  code(name: string): number {
    let c = this.byName.get(name);
    if (c === undefined) {
      c = this.names.push(name) - 1;
      this.byName.set(name, c);
    }
    return c;
  }

  find(name: string): number | undefined {
    return this.byName.get(name);
  }
}

const NO_PARTNER = 0xffffffff;
/** Most events read in one go (a few MB), so reading the whole trail never needs one buffer the size of the file. */
const SPAN = 8192;

/**
 * A 32-bit FNV-1a hash of a target or reset id, never 0 (0 is "none"). Equal hashes only say an
 * event may match: its line is read and compared before it is returned.
 */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) || 1;
}

/** What memory holds per event, in typed arrays that grow by doubling: about 30 bytes, and nothing for the collector to trace. */
class Columns {
  length = 0;
  offsets = new Float64Array(1024);
  lengths = new Uint32Array(1024);
  seqs = new Float64Array(1024);
  partners = new Uint32Array(1024);
  types = new Uint16Array(1024);
  targets = new Uint32Array(1024);
  resets = new Uint32Array(1024);

  push(offset: number, bytes: number, seq: number, partner: number, type: number, target: number, reset: number): number {
    if (this.length === this.seqs.length) this.grow();
    const p = this.length++;
    this.offsets[p] = offset;
    this.lengths[p] = bytes;
    this.seqs[p] = seq;
    this.partners[p] = partner;
    this.types[p] = type;
    this.targets[p] = target;
    this.resets[p] = reset;
    return p;
  }

  private grow(): void {
    const size = this.seqs.length * 2;
    const bigger = <A extends Float64Array | Uint32Array | Uint16Array>(a: A, make: new (n: number) => A): A => {
      const b = new make(size);
      b.set(a);
      return b;
    };
    this.offsets = bigger(this.offsets, Float64Array);
    this.lengths = bigger(this.lengths, Uint32Array);
    this.seqs = bigger(this.seqs, Float64Array);
    this.partners = bigger(this.partners, Uint32Array);
    this.types = bigger(this.types, Uint16Array);
    this.targets = bigger(this.targets, Uint32Array);
    this.resets = bigger(this.resets, Uint32Array);
  }
}

/**
 * The embedded store's audit trail: one JSON line per event in `audit.jsonl`, so an event costs
 * one small write instead of rewriting the whole history. An `audit.json` written by an earlier
 * version is carried over once.
 *
 * Events are read back from the file, not held in memory. Memory keeps a few numbers per event
 * (where its line is, its number, partner and type as small integers, and hashes of its target
 * and reset), and a query walks those columns, then reads the lines it picked. Holding every event
 * cost about 700 bytes each; lists and maps of positions by partner, type, target and reset still
 * cost about 160, most of it small objects that slowed every start-up's garbage collection.
 */
export class LowdbAudit {
  private readonly columns = new Columns();
  private readonly partners = new Codes();
  private readonly types = new Codes();
  /** Events whose line is not yet on disk, by position. */
  private readonly pending = new Map<number, AuditEvent>();
  private last: { seq: number; hash: string } | undefined;
  private size = 0;
  private log!: AppendLog<AuditEvent>;
  private reader!: FileHandle;
  private broken: Error | undefined;
  /** Reads under way: closing waits for them rather than pulling the file from under them. */
  private readonly reads = new Set<Promise<unknown>>();

  private constructor() {}

  /** False once a write failed: every audited action fails until the store is reopened. */
  get writable(): boolean {
    return this.broken === undefined;
  }

  static async open(dir: string): Promise<LowdbAudit> {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'audit.jsonl');
    const legacy = path.join(dir, 'audit.json');
    const audit = new LowdbAudit();
    const { log, bytes } = await AppendLog.open<AuditEvent>(file, (e, offset, length) => audit.place(e, offset, length));
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
    const target = q.target === undefined ? undefined : keyHash(q.target);
    return this.pick(q.afterSeq ?? 0, q.limit ?? Number.POSITIVE_INFINITY, (p) => {
      const c = this.columns;
      return (partner === undefined || c.partners[p] === partner) && (type === undefined || c.types[p] === type)
        && (target === undefined || c.targets[p] === target);
    }, (e) => q.target === undefined || e.target === q.target);
  }

  async ofReset(partnerId: string, resetId: string): Promise<AuditEvent[]> {
    const partner = this.partners.find(partnerId);
    if (partner === undefined) return [];
    const reset = keyHash(resetId);
    const c = this.columns;
    return this.pick(0, Number.POSITIVE_INFINITY, (p) => c.partners[p] === partner && c.resets[p] === reset, (e) => e.detail?.resetId === resetId);
  }

  /**
   * Up to `limit` events numbered after `afterSeq`, oldest first: `maybe` walks the columns,
   * `surely` checks the events read (a hash matched; the key itself must too).
   */
  private async pick(afterSeq: number, limit: number, maybe: (p: number) => boolean, surely: (e: AuditEvent) => boolean): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    const end = this.columns.length;
    let p = this.firstAfter(afterSeq);
    while (p < end && out.length < limit) {
      const batch: number[] = [];
      for (; p < end && batch.length < Math.min(limit - out.length, SPAN); p++) if (maybe(p)) batch.push(p);
      for (const e of await this.readAll(batch)) if (surely(e) && out.length < limit) out.push(e);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.log.close();
    await Promise.allSettled([...this.reads]);
    await this.reader.close();
  }

  private write(event: AuditEvent): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    const bytes = Buffer.byteLength(line);
    const position = this.place(event, this.size, bytes);
    this.size += bytes;
    this.pending.set(position, event);
    return this.log.appendLine(line).then(() => {
      this.pending.delete(position);
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
    const position = this.columns.push(
      offset, bytes, e.seq, e.partnerId === undefined ? NO_PARTNER : this.partners.code(e.partnerId), this.types.code(e.type),
      e.target === undefined ? 0 : keyHash(e.target), typeof resetId === 'string' ? keyHash(resetId) : 0,
    );
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
