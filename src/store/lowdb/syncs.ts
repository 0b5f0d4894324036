import type { Low } from 'lowdb';
import type { SyncQuery } from '../../domain/ports.js';
import type { SyncRecord } from '../../domain/types.js';
import { closeCollection, openCollection } from './collection.js';

interface Syncs { syncs: SyncRecord[] }

const copy = (s: SyncRecord): SyncRecord => structuredClone(s);

/**
 * Sync records of the embedded store, in a file of their own (`syncs.json`). One process owns the
 * file, so a read-modify-write without an await in between is atomic: that is the claim's lock.
 */
export class LowdbSyncs {
  private db: Low<Syncs> | undefined;

  async open(dir: string): Promise<void> {
    // Sync records carry sealed passwords for the retry outbox: once wiped, they must leave the disk.
    this.db = await openCollection<Syncs>(dir, 'syncs', { syncs: [] }, { foldEveryWrite: true });
  }

  private get d(): Low<Syncs> {
    if (!this.db) throw new Error('the sync collection is not open');
    return this.db;
  }

  async createSync(sync: SyncRecord): Promise<SyncRecord> {
    const found = this.d.data.syncs.find((s) => s.id === sync.id);
    if (found) return copy(found);
    this.d.data.syncs.push(copy(sync));
    await this.d.write();
    return copy(sync);
  }

  async getSync(partnerId: string, syncId: string): Promise<SyncRecord | undefined> {
    const found = this.d.data.syncs.find((s) => s.id === syncId && s.partnerId === partnerId);
    return found && copy(found);
  }

  async updateSync(partnerId: string, syncId: string, change: (sync: SyncRecord) => SyncRecord | undefined): Promise<SyncRecord | undefined> {
    const list = this.d.data.syncs;
    const i = list.findIndex((s) => s.id === syncId && s.partnerId === partnerId);
    if (i === -1) return undefined;
    const next = change(copy(list[i]!));
    if (!next) return copy(list[i]!);
    // Identity and ownership are the store's, whatever `change` returned.
    list[i] = { ...copy(next), id: syncId, partnerId };
    await this.d.write();
    return copy(list[i]!);
  }

  async claimDueSyncs(now: string, limit: number, claim: (sync: SyncRecord) => SyncRecord): Promise<SyncRecord[]> {
    const list = this.d.data.syncs;
    const due = list.map((s, i) => ({ s, i })).filter(({ s }) => s.dueAt !== undefined && s.dueAt <= now)
      .sort((a, b) => a.s.dueAt!.localeCompare(b.s.dueAt!)).slice(0, limit);
    const claimed = due.map(({ s, i }) => {
      const next = { ...copy(claim(copy(s))), id: s.id, partnerId: s.partnerId };
      list[i] = next;
      return copy(next);
    });
    if (claimed.length) await this.d.write();
    return claimed;
  }

  async deleteSettledSyncs(before: string): Promise<number> {
    const keep = this.d.data.syncs.filter((s) => s.createdAt >= before || s.sealed !== undefined || s.dueAt !== undefined);
    const removed = this.d.data.syncs.length - keep.length;
    if (removed) {
      this.d.data.syncs = keep;
      await this.d.write();
    }
    return removed;
  }

  async listSyncs(query: SyncQuery): Promise<SyncRecord[]> {
    return this.d.data.syncs
      .filter((s) => (query.partnerId === undefined || s.partnerId === query.partnerId)
        && (query.customerId === undefined || s.customerId === query.customerId)
        && (query.accountId === undefined || s.accountId === query.accountId)
        && (query.state === undefined || s.state === query.state))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
      .slice(0, query.limit)
      .map(copy);
  }
  close(): Promise<void> {
    return closeCollection(this.db);
  }
}
