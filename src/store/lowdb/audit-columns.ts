/**
 * What the embedded audit trail keeps in memory per event (./audit.ts), in typed arrays: nothing
 * for the garbage collector to trace, and written whole to an index file (./audit-index.ts).
 */

/** Small integers for the few distinct partner ids and event types, so each event costs a number, not a string. */
export class Codes {
  constructor(names: readonly string[] = []) {
    for (const n of names) this.code(n);
  }

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

/**
 * A 32-bit FNV-1a hash of a target or reset id, never 0 (0 is "none"). Equal hashes only say an
 * event may match: its line is read and compared before it is returned.
 */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) || 1;
}

/**
 * Positions by a 32-bit key hash, in typed arrays: an open-addressing table gives the newest
 * position of each hash, and each position points at the one before it with the same hash, so a
 * key's events are found without walking the trail (an API client may ask after thousands of links).
 */
export class HashChains {
  private keys: Uint32Array = new Uint32Array(1024);
  /** Newest position + 1 per slot; 0 for none. */
  private heads: Uint32Array = new Uint32Array(1024);
  private used = 0;
  /** Per position: the previous position with the same hash + 1; 0 for none. */
  private before: Uint32Array = new Uint32Array(1024);

  add(hash: number, position: number): void {
    while (position >= this.before.length) this.before = grown(this.before, Math.max(1024, this.before.length * 2));
    if ((this.used + 1) * 2 > this.keys.length) this.rehash();
    const slot = this.slot(hash);
    if (this.keys[slot] === 0) {
      this.keys[slot] = hash;
      this.used++;
    }
    this.before[position] = this.heads[slot]!;
    this.heads[slot] = position + 1;
  }

  /** Positions whose key had this hash, oldest first. */
  positions(hash: number): number[] {
    const out: number[] = [];
    for (let p = this.heads[this.slot(hash)]!; p !== 0; p = this.before[p - 1]!) out.push(p - 1);
    return out.reverse();
  }

  /**
   * Its arrays for the index file, and back (./audit-index.ts). The table is copied: appends go on
   * while the file is written, and its heads would point past the events written.
   */
  state(count: number): { used: number; keys: Uint32Array; heads: Uint32Array; before: Uint32Array } {
    // Links grow only with keyed events: after the last of them come positions with no link (0).
    const before = this.before.length >= count ? this.before.subarray(0, count) : grown(this.before, count);
    return { used: this.used, keys: this.keys.slice(), heads: this.heads.slice(), before };
  }

  static from(s: { used: number; keys: Uint32Array; heads: Uint32Array; before: Uint32Array }): HashChains {
    const chains = new HashChains();
    chains.used = s.used;
    chains.keys = s.keys;
    chains.heads = s.heads;
    chains.before = s.before;
    return chains;
  }

  private slot(hash: number): number {
    const mask = this.keys.length - 1;
    let i = hash & mask;
    while (this.keys[i] !== 0 && this.keys[i] !== hash) i = (i + 1) & mask;
    return i;
  }

  private rehash(): void {
    const { keys, heads } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.heads = new Uint32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === 0) continue;
      const slot = this.slot(keys[i]!);
      this.keys[slot] = keys[i]!;
      this.heads[slot] = heads[i]!;
    }
  }
}

function grown<A extends Float64Array | Uint32Array | Uint16Array>(a: A, size: number): A {
  const b = new (a.constructor as new (n: number) => A)(size);
  b.set(a);
  return b;
}

/** What memory holds per event, in typed arrays that grow by doubling: 26 bytes, and nothing for the collector to trace. */
export class Columns {
  length = 0;
  offsets: Float64Array = new Float64Array(1024);
  lengths: Uint32Array = new Uint32Array(1024);
  seqs: Float64Array = new Float64Array(1024);
  partners: Uint32Array = new Uint32Array(1024);
  types: Uint16Array = new Uint16Array(1024);

  push(offset: number, bytes: number, seq: number, partner: number, type: number): number {
    if (this.length === this.seqs.length) this.grow();
    const p = this.length++;
    this.offsets[p] = offset;
    this.lengths[p] = bytes;
    this.seqs[p] = seq;
    this.partners[p] = partner;
    this.types[p] = type;
    return p;
  }

  static from(c: Pick<Columns, 'length' | 'offsets' | 'lengths' | 'seqs' | 'partners' | 'types'>): Columns {
    // Taken as they are: the first push past their end grows them.
    return Object.assign(new Columns(), c);
  }

  private grow(): void {
    const size = Math.max(1024, this.seqs.length * 2);
    this.offsets = grown(this.offsets, size);
    this.lengths = grown(this.lengths, size);
    this.seqs = grown(this.seqs, size);
    this.partners = grown(this.partners, size);
    this.types = grown(this.types, size);
  }
}
