import { Low, type Adapter } from 'lowdb';
import { Journal, type Change } from './journal.js';

type Kind = 'list' | 'map' | 'whole';

const kindOf = (value: unknown): Kind => {
  if (Array.isArray(value)) {
    const ids = new Set<string>();
    for (const r of value) {
      const id = (r as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' || ids.has(id)) return 'whole';
      ids.add(id);
    }
    return 'list';
  }
  return typeof value === 'object' && value !== null ? 'map' : 'whole';
};

function recordsOf(kind: Kind, value: unknown): Map<string, string> {
  if (kind === 'list') return new Map((value as Array<{ id: string }>).map((r) => [r.id, JSON.stringify(r)]));
  if (kind === 'map') return new Map(Object.entries(value as object).map(([k, v]) => [k, JSON.stringify(v) ?? 'null']));
  return new Map([['', JSON.stringify(value) ?? 'null']]);
}

/**
 * A lowdb adapter over a journal: `write()` finds the records that changed since the last write
 * (a list's records by `id`, a map's by key, anything else as a whole) and journals only those.
 * Comparing costs a serialisation of each record, so it suits the small collections; the big,
 * hot ones in index.ts tell their journal what changed instead.
 */
class JournalAdapter<T extends object> implements Adapter<T> {
  private written = new Map<string, { kind: Kind; records: Map<string, string> }>();

  constructor(private readonly journal: Journal<T>, private readonly foldEveryWrite: boolean) {
    for (const [part, value] of Object.entries(journal.data)) {
      const kind = kindOf(value);
      this.written.set(part, { kind, records: recordsOf(kind, value) });
    }
  }

  close(): Promise<void> {
    return this.journal.close();
  }

  async read(): Promise<T> {
    return this.journal.data;
  }

  write(data: T): Promise<void> {
    // Compared and journalled before any await: concurrent writes each see a consistent state.
    this.journal.data = data;
    const changes: Change[] = [];
    for (const [part, value] of Object.entries(data)) {
      const kind = kindOf(value);
      const now = recordsOf(kind, value);
      const before = this.written.get(part);
      this.written.set(part, { kind, records: now });
      if (kind === 'whole' || before?.kind !== kind) {
        if (kind !== 'whole' || before?.records.get('') !== now.get('')) changes.push({ part, value });
        continue;
      }
      for (const [key, json] of now) {
        if (before.records.get(key) !== json) changes.push({ part, key, value: JSON.parse(json) });
      }
      for (const key of before.records.keys()) if (!now.has(key)) changes.push({ part, key });
    }
    const written = this.journal.write(changes).catch((e: unknown) => {
      // Not knowing what reached the disk, the next write journals every part whole.
      this.written = new Map();
      throw e;
    });
    return this.foldEveryWrite && changes.length ? written.then(() => this.journal.foldFresh()) : written;
  }
}

export interface CollectionOptions {
  /**
   * Fold the journal into the snapshot after every write, before `write()` resolves: for a
   * collection holding sealed secrets that must leave the disk as soon as they are wiped (an
   * append-only journal would keep the old ciphertext until its next compaction).
   */
  foldEveryWrite?: boolean;
}

/**
 * One collection in files of its own (`<name>.json` snapshot + `<name>.jsonl` journal), as a lowdb
 * database: change `db.data`, then `await db.write()`; it resolves once the change is on disk.
 * A `<name>.json` written by lowdb's own file adapter opens as the snapshot.
 */
export async function openCollection<T extends object>(dir: string, name: string, defaults: T, options: CollectionOptions = {}): Promise<Low<T>> {
  const journal = await Journal.open<T>(dir, name, defaults, { compactBytes: 1 << 20 });
  const db = new Low<T>(new JournalAdapter(journal, options.foldEveryWrite ?? false), defaults);
  await db.read();
  return db;
}

/** Waits for a collection's last write and closes its journal. */
export async function closeCollection<T extends object>(db: Low<T> | undefined): Promise<void> {
  if (db?.adapter instanceof JournalAdapter) await db.adapter.close();
}
