import type { OutboxMail } from '../../domain/types.js';
import { Heap } from './heap.js';
import { Journal, type Change } from './journal.js';

/** On disk a list (`outbox.json`); in memory, once opened, a Map by id in the same order. */
interface OutboxDoc { mails: OutboxMail[] | Map<string, OutboxMail> }

/**
 * Where a mail stands in the indexes. `gen` changes whenever its status or due time changes and
 * `waitGen` whenever it stops waiting, so heap entries made before are known to be stale and are
 * skipped when they come up, instead of being searched for and removed.
 */
interface Slot { mail: OutboxMail; seq: number; gen: number; waitGen: number }
interface Entry { slot: Slot; gen: number; at: string }

export type MailResult = { ok: true; at: string } | { ok: false; error: string; retryAt?: string };

const isWaiting = (status: string) => status === 'queued' || status === 'sending';
const rows = (mails: OutboxMail[]): Change[] => mails.map((value) => ({ part: 'mails', key: value.id, value }));
/** Stale heap entries tolerated beyond the live ones before a heap is swept. */
const SLACK = 1024;

/**
 * The mail outbox of the embedded store (`outbox.json` + `outbox.jsonl`). A claim hands out due,
 * queued mails in the order they were enqueued (a retried mail keeps its place), as the list
 * scan it replaces did, but through indexes, so a claim or a finish costs O(log n), not a walk
 * over the whole backlog: queued mails wait in a heap by due time, move to a heap by enqueue
 * order once due, and are taken from there.
 */
export class LowdbMailOutbox {
  private readonly slots = new Map<string, Slot>();
  private readonly mails = new Map<string, OutboxMail>();
  /** Queued mails by due time, until a claim finds them due. */
  private readonly due = new Heap<Entry>((a, b) => a.at < b.at);
  /** Queued mails found due, by enqueue order. */
  private readonly ready = new Heap<Entry>((a, b) => a.slot.seq < b.slot.seq);
  /** Waiting (queued or sending) mails by creation time, for the metrics. */
  private readonly oldest = new Heap<Entry>((a, b) => a.at < b.at);
  private readonly count = new Map<string, number>();
  private nextSeq = 0;

  private constructor(private readonly journal: Journal<OutboxDoc>) {
    const loaded = journal.data.mails;
    journal.data.mails = this.mails;
    for (const m of loaded.values()) this.add(m);
  }

  static async open(dir: string): Promise<LowdbMailOutbox> {
    return new LowdbMailOutbox(await Journal.open<OutboxDoc>(dir, 'outbox', { mails: [] }));
  }

  /** The mails held, in queue order (a copy: for inspection, not for changes). */
  get data(): { mails: OutboxMail[] } {
    return { mails: [...this.mails.values()] };
  }

  async enqueue(mail: OutboxMail): Promise<void> {
    this.add(mail);
    await this.journal.write(rows([mail]));
  }

  async claim(now: string, limit: number): Promise<OutboxMail[]> {
    for (let e = this.due.peek(); e && (e.at <= now || !this.live(e)); e = this.due.peek()) {
      this.due.pop();
      if (this.live(e)) this.ready.push(e);
    }
    const taken: OutboxMail[] = [];
    // Only a claim with an earlier `now` than one before can meet ready mails that are not due.
    const notDue: Entry[] = [];
    for (const max = Math.trunc(limit); taken.length < max;) {
      const e = this.ready.pop();
      if (!e) break;
      if (!this.live(e)) continue;
      if (e.slot.mail.nextAttemptAt <= now) taken.push(e.slot.mail);
      else notDue.push(e);
    }
    for (const e of notDue) this.ready.push(e);
    for (const m of taken) {
      this.change(m.id, () => {
        m.status = 'sending';
        m.attempts++;
      });
    }
    this.sweep();
    await this.journal.write(rows(taken));
    return taken.map((m) => ({ ...m }));
  }

  async finish(id: string, result: MailResult): Promise<void> {
    const slot = this.slots.get(id);
    if (!slot) return;
    const m = slot.mail;
    if (result.ok) {
      // A delivered mail has nothing left to do here (its outcome is in the audit trail); dropping it
      // keeps the outbox file small however many mails were sent.
      this.remove(slot);
      this.sweep();
      await this.journal.write([{ part: 'mails', key: id }]);
      return;
    }
    this.change(id, () => {
      m.lastError = result.error;
      if (result.retryAt) {
        m.status = 'queued';
        m.nextAttemptAt = result.retryAt;
      } else {
        m.status = 'failed';
        m.sealed = '';
      }
    });
    this.sweep();
    await this.journal.write(rows([m]));
  }

  stats(): { waiting: number; failed: number; oldestWaitingAt?: string } {
    for (let e = this.oldest.peek(); e && !this.waiting(e); e = this.oldest.peek()) this.oldest.pop();
    const oldest = this.oldest.peek()?.at;
    return {
      waiting: this.countOf('queued') + this.countOf('sending'),
      failed: this.countOf('failed'),
      ...(oldest ? { oldestWaitingAt: oldest } : {}),
    };
  }

  /** Mails that were being sent when the process stopped go back to the queue. */
  async requeueInterrupted(): Promise<void> {
    const changed = [...this.mails.values()].filter((m) => m.status === 'sending');
    for (const m of changed) this.change(m.id, () => { m.status = 'queued'; });
    await this.journal.write(rows(changed));
  }

  compact(): Promise<void> {
    return this.journal.compact();
  }

  close(): Promise<void> {
    return this.journal.close();
  }

  private countOf(status: string): number {
    return this.count.get(status) ?? 0;
  }

  private live(e: Entry): boolean {
    return e.gen === e.slot.gen && this.slots.get(e.slot.mail.id) === e.slot;
  }

  private waiting(e: Entry): boolean {
    return e.gen === e.slot.waitGen && this.slots.get(e.slot.mail.id) === e.slot;
  }

  /** Indexes a mail; one with the id of a held mail replaces it in its place, as replaying the journal does. */
  private add(mail: OutboxMail): void {
    const old = this.slots.get(mail.id);
    if (old) this.forget(old);
    const slot: Slot = { mail, seq: old?.seq ?? this.nextSeq++, gen: 0, waitGen: 0 };
    this.slots.set(mail.id, slot);
    this.mails.set(mail.id, mail);
    this.count.set(mail.status, this.countOf(mail.status) + 1);
    if (mail.status === 'queued') this.due.push({ slot, gen: slot.gen, at: mail.nextAttemptAt });
    if (isWaiting(mail.status)) this.oldest.push({ slot, gen: slot.waitGen, at: mail.createdAt });
  }

  /** Outdates a slot's heap entries and counts (its mail is removed or replaced). */
  private forget(slot: Slot): void {
    this.count.set(slot.mail.status, this.countOf(slot.mail.status) - 1);
    slot.gen++;
    slot.waitGen++;
  }

  private remove(slot: Slot): void {
    this.forget(slot);
    this.slots.delete(slot.mail.id);
    this.mails.delete(slot.mail.id);
  }

  /** Every change of a held mail's status or due time goes through here, so the indexes follow it. */
  private change(id: string, mutate: () => void): void {
    const slot = this.slots.get(id);
    if (!slot) return;
    const was = slot.mail.status;
    mutate();
    const m = slot.mail;
    this.count.set(was, this.countOf(was) - 1);
    this.count.set(m.status, this.countOf(m.status) + 1);
    slot.gen++;
    if (m.status === 'queued') this.due.push({ slot, gen: slot.gen, at: m.nextAttemptAt });
    if (isWaiting(was) && !isWaiting(m.status)) slot.waitGen++;
    else if (!isWaiting(was) && isWaiting(m.status)) this.oldest.push({ slot, gen: slot.waitGen, at: m.createdAt });
  }

  /** Drops stale heap entries once they outnumber the live ones, so memory follows the backlog. */
  private sweep(): void {
    const queued = this.countOf('queued');
    if (this.due.size + this.ready.size > 2 * queued + SLACK) {
      this.due.retain((e) => this.live(e));
      this.ready.retain((e) => this.live(e));
    }
    if (this.oldest.size > 2 * (queued + this.countOf('sending')) + SLACK) this.oldest.retain((e) => this.waiting(e));
  }
}
