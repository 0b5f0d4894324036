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

const NO_PARTNER = -1;
/** Most events read in one go (a few MB), so reading the whole trail never needs one buffer the size of the file. */
const SPAN = 8192;

const push = <K>(index: Map<K, number[]>, key: K, position: number) => {
  const list = index.get(key);
  if (list) list.push(position);
  else index.set(key, [position]);
};

/**
 * The embedded store's audit trail: one JSON line per event in `audit.jsonl`, so an event costs
 * one small write instead of rewriting the whole history. An `audit.json` written by an earlier
 * version is carried over once.
 *
 * Events are read back from the file, not held in memory: memory keeps, per event, where its
 * line is, its number, partner and type (as small integers), and lists of positions by partner,
 * type, target and reset, so a page or an API call reads the few lines it shows. Holding every
 * event cost about 700 bytes each, two or more per reset issued, for as long as the process ran.
 */
export class LowdbAudit {
  private readonly offsets: number[] = [];
  private readonly lengths: number[] = [];
  private readonly seqs: number[] = [];
  private readonly partnerOf: number[] = [];
  private readonly typeOf: number[] = [];
  private readonly partners = new Codes();
  private readonly types = new Codes();
  private readonly byPartner = new Map<number, number[]>();
  private readonly byType = new Map<number, number[]>();
  private readonly byTarget = new Map<string, number[]>();
  private readonly byReset = new Map<string, number[]>();
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
    if (audit.seqs.length === 0 && existsSync(legacy)) {
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
    if (partnerId === undefined) return this.readAll(Array.from({ length: this.seqs.length }, (_, i) => i));
    const code = this.partners.find(partnerId);
    return code === undefined ? [] : this.readAll(this.byPartner.get(code) ?? []);
  }

  async query(q: AuditQuery): Promise<AuditEvent[]> {
    const partner = q.partnerId === undefined ? undefined : this.partners.find(q.partnerId) ?? null;
    const type = q.type === undefined ? undefined : this.types.find(q.type) ?? null;
    if (partner === null || type === null) return [];
    // A list that holds every match, the shorter of partner's and type's unless a target is asked
    // (the target is not kept per event, so its own list is walked); other fields are checked.
    const byType = type === undefined ? undefined : this.byType.get(type) ?? [];
    const byPartner = partner === undefined ? undefined : this.byPartner.get(partner) ?? [];
    const list = q.target !== undefined ? this.byTarget.get(q.target) ?? []
      : byType && byPartner ? (byType.length < byPartner.length ? byType : byPartner)
        : byType ?? byPartner;
    const length = list ? list.length : this.seqs.length;
    const at = (i: number) => (list ? list[i]! : i);
    const limit = q.limit ?? Number.POSITIVE_INFINITY;
    const picked: number[] = [];
    for (let i = this.firstAfter(length, at, q.afterSeq ?? 0); i < length && picked.length < limit; i++) {
      const p = at(i);
      if ((partner === undefined || this.partnerOf[p] === partner) && (type === undefined || this.typeOf[p] === type)) picked.push(p);
    }
    return this.readAll(picked);
  }

  async ofReset(partnerId: string, resetId: string): Promise<AuditEvent[]> {
    const code = this.partners.find(partnerId);
    const positions = (this.byReset.get(resetId) ?? []).filter((p) => this.partnerOf[p] === code);
    return this.readAll(positions);
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
    const position = this.seqs.length;
    this.offsets.push(offset);
    this.lengths.push(bytes);
    this.seqs.push(e.seq);
    const partner = e.partnerId === undefined ? NO_PARTNER : this.partners.code(e.partnerId);
    const type = this.types.code(e.type);
    this.partnerOf.push(partner);
    this.typeOf.push(type);
    if (partner !== NO_PARTNER) push(this.byPartner, partner, position);
    push(this.byType, type, position);
    if (e.target !== undefined) push(this.byTarget, e.target, position);
    const resetId = e.detail?.resetId;
    if (typeof resetId === 'string') push(this.byReset, resetId, position);
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
    const start = this.offsets[from]!;
    const end = this.offsets[to - 1]! + this.lengths[to - 1]!;
    const buffer = Buffer.allocUnsafe(end - start);
    const reading = this.reader.read(buffer, 0, buffer.length, start);
    this.reads.add(reading);
    const { bytesRead } = await reading.finally(() => this.reads.delete(reading));
    if (bytesRead !== buffer.length) throw new Error(`The audit trail file ends before event ${this.seqs[from]}: it was cut or replaced while in use.`);
    const out: AuditEvent[] = [];
    for (let p = from; p < to; p++) {
      const at = this.offsets[p]! - start;
      out.push(JSON.parse(buffer.toString('utf8', at, at + this.lengths[p]! - 1)) as AuditEvent);
    }
    return out;
  }

  /** The first index in a list (ordered by seq) whose event is numbered after `seq`. */
  private firstAfter(length: number, at: (i: number) => number, seq: number): number {
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[at(mid)]! <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
