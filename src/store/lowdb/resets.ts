import type { PendingAttempt, ResetRecord } from '../../domain/types.js';
import { Journal } from './journal.js';
import { resetsOf, revokeOpen } from './provisioning.js';

interface Resets { resets: ResetRecord[] }

/**
 * Reset records of the embedded store (`resets.json` + `resets.jsonl`), indexed by id, token hash
 * and account. Records are changed in place, never replaced, so the indexes stay true; every
 * change journals just the records it touched.
 */
export class LowdbResets {
  private readonly byId = new Map<string, ResetRecord>();
  private readonly byHash = new Map<string, ResetRecord>();
  private readonly byAccount = new Map<string, ResetRecord[]>();

  private constructor(private readonly journal: Journal<Resets>) {
    for (const r of journal.data.resets) this.index(r);
  }

  static async open(dir: string): Promise<LowdbResets> {
    return new LowdbResets(await Journal.open<Resets>(dir, 'resets', { resets: [] }));
  }

  private index(r: ResetRecord): void {
    this.byId.set(r.id, r);
    this.byHash.set(r.tokenHash, r);
    if (r.altTokenHash) this.byHash.set(r.altTokenHash, r);
    const list = this.byAccount.get(r.accountId);
    if (list) list.push(r);
    else this.byAccount.set(r.accountId, [r]);
  }

  private save(records: ResetRecord[]): Promise<void> {
    return this.journal.write(records.map((r) => ({ part: 'resets', key: r.id, value: r })));
  }

  get all(): ResetRecord[] {
    return this.journal.data.resets;
  }

  /** Open resets of these accounts (any partner: the caller matched the accounts). */
  openOf(accountIds: Iterable<string>): ResetRecord[] {
    const out: ResetRecord[] = [];
    for (const id of accountIds) for (const r of this.byAccount.get(id) ?? []) if (!r.consumedAt && !r.revokedAt) out.push(r);
    return out;
  }

  async create(reset: ResetRecord): Promise<void> {
    const changed = this.revokeOthers(reset, reset.createdAt);
    this.all.push(reset);
    this.index(reset);
    await this.save([...changed, reset]);
  }

  private revokeOthers(keep: ResetRecord, at: string): ResetRecord[] {
    const changed: ResetRecord[] = [];
    for (const r of this.byAccount.get(keep.accountId) ?? []) {
      if (r !== keep && r.partnerId === keep.partnerId && !r.consumedAt && !r.revokedAt) {
        r.revokedAt = at;
        changed.push(r);
      }
    }
    return changed;
  }

  byTokenHash(tokenHash: string): ResetRecord | undefined {
    return this.byHash.get(tokenHash);
  }

  get(resetId: string): ResetRecord | undefined {
    return this.byId.get(resetId);
  }

  async recordCodeFailure(resetId: string): Promise<number> {
    const r = this.byId.get(resetId);
    if (!r) return Number.POSITIVE_INFINITY;
    r.codeAttempts = (r.codeAttempts ?? 0) + 1;
    await this.save([r]);
    return r.codeAttempts;
  }

  async setAltTokenHash(resetId: string, altTokenHash: string): Promise<void> {
    const r = this.byId.get(resetId);
    if (!r) return;
    r.altTokenHash = altTokenHash;
    this.byHash.set(altTokenHash, r);
    await this.save([r]);
  }

  async claim(tokenHash: string, now: string, until: string, attempt?: PendingAttempt): Promise<ResetRecord | undefined> {
    // Single process: find-and-set runs without an await in between, so it is atomic.
    const r = this.byHash.get(tokenHash);
    if (!r || r.consumedAt || r.revokedAt || r.expiresAt <= now) return undefined;
    if (r.claimedUntil && r.claimedUntil > now) return undefined;
    r.claimedUntil = until;
    if (attempt && !r.pendingAttempt) r.pendingAttempt = { ...attempt };
    await this.save([r]);
    return structuredClone(r);
  }

  async release(resetId: string, opts: { clearAttempt?: boolean }): Promise<void> {
    const r = this.byId.get(resetId);
    if (!r) return;
    delete r.claimedUntil;
    if (opts.clearAttempt) delete r.pendingAttempt;
    await this.save([r]);
  }

  async consume(resetId: string, now: string): Promise<boolean> {
    const r = this.byId.get(resetId);
    if (!r || r.consumedAt || r.revokedAt) return false;
    r.consumedAt = now;
    delete r.claimedUntil;
    const changed = this.revokeOthers(r, now);
    await this.save([r, ...changed]);
    return true;
  }

  async revokeOpen(partnerId: string, scope: { customerId?: string; accountId?: string }, at: string): Promise<number> {
    const candidates = scope.accountId !== undefined ? this.byAccount.get(scope.accountId) ?? [] : this.all;
    const open = candidates.filter((r) => !r.consumedAt && !r.revokedAt);
    const revoked = revokeOpen(open, partnerId, scope, at);
    if (revoked) await this.save(open.filter((r) => r.revokedAt === at));
    return revoked;
  }

  /** Drops resets whose link expired before `before`, with their index entries; returns how many. */
  async deleteExpired(before: string): Promise<number> {
    const gone = this.all.filter((r) => r.expiresAt < before);
    if (!gone.length) return 0;
    this.journal.data.resets = this.all.filter((r) => r.expiresAt >= before);
    const accounts = new Set<string>();
    for (const r of gone) {
      this.byId.delete(r.id);
      this.byHash.delete(r.tokenHash);
      if (r.altTokenHash) this.byHash.delete(r.altTokenHash);
      accounts.add(r.accountId);
    }
    for (const id of accounts) {
      const kept = (this.byAccount.get(id) ?? []).filter((r) => r.expiresAt >= before);
      if (kept.length) this.byAccount.set(id, kept);
      else this.byAccount.delete(id);
    }
    await this.journal.write(gone.map((r) => ({ part: 'resets', key: r.id })));
    return gone.length;
  }

  list(partnerId: string, accountId: string): ResetRecord[] {
    return resetsOf(this.byAccount.get(accountId) ?? [], partnerId, accountId);
  }

  compact(): Promise<void> {
    return this.journal.compact();
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}
