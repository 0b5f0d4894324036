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

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
