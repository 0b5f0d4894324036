import { createHash } from 'node:crypto';
import type { AuditEvent, AuditInput } from './types.js';

/** Hash chain: each event commits to the previous one, so an edit or a gap breaks verification. */
export function chainEvent(input: AuditInput, at: string, seq: number, prev: string): AuditEvent {
  const body = { seq, at, ...input, prev };
  const hash = createHash('sha256').update(canonical(body)).digest('hex');
  return { ...body, hash };
}

export function verifyChain(events: AuditEvent[]): { ok: true } | { ok: false; seq: number; reason: string } {
  let prev = '';
  let expectedSeq = events[0]?.seq ?? 1;
  for (const e of events) {
    if (e.seq !== expectedSeq) return { ok: false, seq: e.seq, reason: `expected event ${expectedSeq}` };
    if (e.prev !== prev) return { ok: false, seq: e.seq, reason: 'previous hash does not match' };
    const { hash, ...body } = e;
    if (createHash('sha256').update(canonical(body)).digest('hex') !== hash) return { ok: false, seq: e.seq, reason: 'event was altered' };
    prev = hash;
    expectedSeq++;
  }
  return { ok: true };
}

/** JSON with keys sorted and undefined members left out: the text each event's hash covers. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    // As JSON.stringify(undefined) inside join(): an empty member, never the word "undefined".
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (canonical(value[i]) ?? '');
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    // One event is hashed per request on busy pages: plain loops, no intermediate arrays of pairs.
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    let out = '{';
    for (const key of keys) {
      const v = record[key];
      if (v === undefined) continue;
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonical(v)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}
