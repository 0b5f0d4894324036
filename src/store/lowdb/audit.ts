import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { chainEvent } from '../../domain/audit.js';
import type { AuditQuery } from '../../domain/ports.js';
import type { AuditEvent, AuditInput } from '../../domain/types.js';
import { AppendLog } from './append-log.js';

/** Events by one of their fields, each list in chain order. */
interface Indexes {
  byReset: Map<string, AuditEvent[]>;
  byTarget: Map<string, AuditEvent[]>;
  byType: Map<string, AuditEvent[]>;
  byPartner: Map<string, AuditEvent[]>;
}

const push = (index: Map<string, AuditEvent[]>, key: string, e: AuditEvent) => {
  const list = index.get(key);
  if (list) list.push(e);
  else index.set(key, [e]);
};

function indexEvent(ix: Indexes, e: AuditEvent): void {
  const resetId = e.detail?.resetId;
  if (typeof resetId === 'string') push(ix.byReset, resetId, e);
  if (e.target !== undefined) push(ix.byTarget, e.target, e);
  push(ix.byType, e.type, e);
  if (e.partnerId !== undefined) push(ix.byPartner, e.partnerId, e);
}

/** The first position in `list` (ordered by seq) whose event is numbered after `seq`. */
function firstAfter(list: AuditEvent[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The embedded store's audit trail: one JSON line per event in `audit.jsonl`, so an event costs
 * one small write instead of rewriting the whole history. An `audit.json` written by an earlier
 * version is carried over once. Queries go through indexes by reset, target, type and partner,
 * built at the first question and kept as events are appended: a page or an API call reads the
 * events it shows, not the whole trail (the API issued 146 resets/s past 40,000 events when
 * every answer scanned it).
 */
export class LowdbAudit {
  private indexes: Indexes | undefined;

  private constructor(private readonly log: AppendLog<AuditEvent>, private readonly events: AuditEvent[]) {}

  static async open(dir: string): Promise<LowdbAudit> {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'audit.jsonl');
    const legacy = path.join(dir, 'audit.json');
    const { log, records } = await AppendLog.open<AuditEvent>(file);
    if (records.length === 0 && existsSync(legacy)) {
      const old = (JSON.parse(readFileSync(legacy, 'utf8')) as { events?: AuditEvent[] }).events ?? [];
      for (const e of old) await log.append(e);
      renameSync(legacy, `${legacy}.migrated`);
      return new LowdbAudit(log, old);
    }
    return new LowdbAudit(log, records);
  }

  async append(input: AuditInput, at: string): Promise<AuditEvent> {
    const last = this.events[this.events.length - 1];
    // Chained and placed in memory at once (no await in between), so the order is the chain's order.
    const event = chainEvent(input, at, (last?.seq ?? 0) + 1, last?.hash ?? '');
    this.events.push(event);
    if (this.indexes) indexEvent(this.indexes, event);
    await this.log.append(event);
    return event;
  }

  list(partnerId?: string): AuditEvent[] {
    return partnerId === undefined ? [...this.events] : [...(this.index().byPartner.get(partnerId) ?? [])];
  }

  query(q: AuditQuery): AuditEvent[] {
    const ix = this.index();
    // The narrowest list that holds every match; the other fields are checked one by one.
    const list = q.target !== undefined ? ix.byTarget.get(q.target)
      : q.type !== undefined ? ix.byType.get(q.type)
        : q.partnerId !== undefined ? ix.byPartner.get(q.partnerId)
          : this.events;
    const out: AuditEvent[] = [];
    const limit = q.limit ?? Number.POSITIVE_INFINITY;
    for (let i = firstAfter(list ?? [], q.afterSeq ?? 0); list && i < list.length && out.length < limit; i++) {
      const e = list[i]!;
      if ((q.partnerId === undefined || e.partnerId === q.partnerId) && (q.target === undefined || e.target === q.target)
        && (q.type === undefined || e.type === q.type)) out.push(e);
    }
    return out;
  }

  ofReset(partnerId: string, resetId: string): AuditEvent[] {
    return (this.index().byReset.get(resetId) ?? []).filter((e) => e.partnerId === partnerId);
  }

  close(): Promise<void> {
    return this.log.close();
  }

  private index(): Indexes {
    if (!this.indexes) {
      this.indexes = { byReset: new Map(), byTarget: new Map(), byType: new Map(), byPartner: new Map() };
      for (const e of this.events) indexEvent(this.indexes, e);
    }
    return this.indexes;
  }
}
