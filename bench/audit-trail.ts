import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chainEvent } from '../src/domain/audit.js';
import type { AuditEvent, AuditInput } from '../src/domain/types.js';
import type { Fixture } from './fixtures.js';

const STEPS: Array<Pick<AuditInput, 'type' | 'outcome'>> = [
  { type: 'reset.issued', outcome: 'success' }, { type: 'mail.sent', outcome: 'success' },
  { type: 'reset.opened', outcome: 'info' }, { type: 'reset.redeemed', outcome: 'success' },
];

/**
 * Writes `events` chained audit events into the fixture's data folder, four per reset (issued,
 * mailed, opened, redeemed) over its accounts, spread over the past year: the history a
 * long-running instance starts up with.
 */
export function writeAuditTrail(dataDir: string, fixture: Pick<Fixture, 'accounts'>, events: number): { bytes: number } {
  const file = path.join(dataDir, 'store', 'audit.jsonl');
  const started = Date.now() - 365 * 86_400_000;
  const step = (365 * 86_400_000) / events;
  // The fixture's own events (if any) come first; the history carries their chain on.
  const before = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  const last = before.length ? JSON.parse(before[before.length - 1]!) as AuditEvent : undefined;
  let prev = last?.hash ?? '';
  let bytes = 0;
  let batch: string[] = [];
  let resetId = '';
  const first = (last?.seq ?? 0) + 1;
  for (let seq = first; seq < first + events; seq++) {
    const n = Math.floor((seq - first) / STEPS.length);
    const account = fixture.accounts[n % fixture.accounts.length]!;
    if ((seq - first) % STEPS.length === 0) resetId = randomUUID();
    const input: AuditInput = {
      ...STEPS[(seq - first) % STEPS.length]!, actor: `account:${account.id}`, partnerId: account.partnerId,
      target: `account:${account.id}`, ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (bench)', detail: { resetId },
    };
    const event: AuditEvent = chainEvent(input, new Date(started + (seq - first) * step).toISOString(), seq, prev);
    prev = event.hash;
    batch.push(`${JSON.stringify(event)}\n`);
    if (batch.length === 10_000 || seq === first + events - 1) {
      const text = batch.join('');
      appendFileSync(file, text);
      bytes += Buffer.byteLength(text);
      batch = [];
    }
  }
  return { bytes };
}
