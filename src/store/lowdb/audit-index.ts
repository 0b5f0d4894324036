import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { open } from 'node:fs/promises';
import { Codes, Columns, HashChains } from './audit-columns.js';

/** What the index file holds: the trail's columns and chains up to `bytes` of `audit.jsonl`. */
export interface AuditIndex {
  /** Bytes of `audit.jsonl` it covers: its events end there, on a line boundary. */
  bytes: number;
  last: { seq: number; hash: string };
  partners: Codes;
  types: Codes;
  columns: Columns;
  byTarget: HashChains;
  byReset: HashChains;
}

const VERSION = 1;
type Header = {
  version: number; count: number; bytes: number; last: { seq: number; hash: string }; partners: string[]; types: string[];
  chains: Array<{ used: number; table: number }>;
};
type Section = Float64Array | Uint32Array | Uint16Array;
/** The arrays after the header, by the names the store keeps them under. */
interface Sections {
  offsets: Float64Array; lengths: Uint32Array; seqs: Float64Array; partners: Uint32Array; types: Uint16Array;
  targetKeys: Uint32Array; targetHeads: Uint32Array; targetBefore: Uint32Array;
  resetKeys: Uint32Array; resetHeads: Uint32Array; resetBefore: Uint32Array;
}
const events = (h: Header) => h.count;
const table = (chain: number) => (h: Header) => h.chains[chain]!.table;
/** The file's layout after the header, in order: one list for writing and for reading back. */
const LAYOUT: Array<[keyof Sections, new (n: number) => Section, (h: Header) => number]> = [
  ['offsets', Float64Array, events], ['lengths', Uint32Array, events], ['seqs', Float64Array, events],
  ['partners', Uint32Array, events], ['types', Uint16Array, events],
  ['targetKeys', Uint32Array, table(0)], ['targetHeads', Uint32Array, table(0)], ['targetBefore', Uint32Array, events],
  ['resetKeys', Uint32Array, table(1)], ['resetHeads', Uint32Array, table(1)], ['resetBefore', Uint32Array, events],
];

/**
 * Writes the index beside the trail (temporary file, flushed, renamed), so the next start reads
 * it and parses only the lines after it, instead of every line of a year of history.
 */
export async function saveAuditIndex(file: string, index: AuditIndex): Promise<void> {
  const { columns: c, byTarget, byReset } = index;
  const count = c.length;
  const t = byTarget.state(count);
  const r = byReset.state(count);
  const header: Header = {
    version: VERSION, count, bytes: index.bytes, last: index.last, partners: index.partners.names, types: index.types.names,
    chains: [{ used: t.used, table: t.keys.length }, { used: r.used, table: r.keys.length }],
  };
  const parts: Sections = {
    offsets: c.offsets.subarray(0, count), lengths: c.lengths.subarray(0, count), seqs: c.seqs.subarray(0, count),
    partners: c.partners.subarray(0, count), types: c.types.subarray(0, count),
    targetKeys: t.keys, targetHeads: t.heads, targetBefore: t.before, resetKeys: r.keys, resetHeads: r.heads, resetBefore: r.before,
  };
  const sections = LAYOUT.map(([name, Make, length]) => {
    const section = parts[name];
    if (!(section instanceof Make) || section.length !== length(header)) throw new Error(`audit index section ${name} does not fit its layout`);
    return section;
  });
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(json.length, 0);
  // One temporary file per process: a command-line tool may close the same store meanwhile.
  const temporary = `${file}.${process.pid}.tmp`;
  const buffers = [prefix, json, ...sections.map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength))];
  const total = buffers.reduce((n, b) => n + b.length, 0);
  try {
    const handle = await open(temporary, 'w');
    try {
      const { bytesWritten } = await handle.writev(buffers);
      if (bytesWritten !== total) throw new Error(`wrote ${bytesWritten} of ${total} bytes`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    renameSync(temporary, file);
  } catch (e) {
    // A full disk must not keep a half-written index: the trail's own appends need the space.
    rmSync(temporary, { force: true });
    throw e;
  }
}

/**
 * The index, if there is one and it fits the trail: the event it ends with must be the one in
 * `audit.jsonl` at that place, same number and hash. Anything else (missing, another version,
 * torn, a trail replaced or cut) is no index: the trail is then read whole, as without one.
 */
export function loadAuditIndex(file: string, check: (offset: number, length: number) => { seq: number; hash: string } | undefined): AuditIndex | undefined {
  if (!existsSync(file)) return undefined;
  const fd = openSync(file, 'r');
  try {
    // Read section by section into the arrays kept: no buffer the size of the file on the way.
    const size = fstatSync(fd).size;
    const prefix = Buffer.alloc(8);
    if (readSync(fd, prefix, 0, 8, 0) !== 8) return undefined;
    const headerLength = prefix.readUInt32LE(0);
    if (8 + headerLength > size) return undefined;
    const json = Buffer.alloc(headerLength);
    readSync(fd, json, 0, headerLength, 8);
    const header = JSON.parse(json.toString('utf8')) as Header;
    const sound = (c: { used: number; table: number }) => c.table >= 1024 && (c.table & (c.table - 1)) === 0 && c.used * 2 <= c.table;
    if (header.version !== VERSION || header.chains.length !== 2 || !header.chains.every(sound)) return undefined;
    let at = 8 + headerLength;
    const parts: Partial<Record<keyof Sections, Section>> = {};
    for (const [name, Make, length] of LAYOUT) {
      const section = new Make(length(header));
      if (at + section.byteLength > size || readSync(fd, new Uint8Array(section.buffer), 0, section.byteLength, at) !== section.byteLength) return undefined;
      parts[name] = section;
      at += section.byteLength;
    }
    if (at !== size) return undefined;
    const { offsets, lengths, seqs, partners, types, targetKeys, targetHeads, targetBefore, resetKeys, resetHeads, resetBefore } = parts as Sections;
    const count = header.count;
    // Every link points at an earlier event, and every head at one the index holds.
    const pointsBack = (before: Uint32Array) => before.every((b, p) => b <= p);
    if (![targetHeads, resetHeads].every((h) => h.every((p) => p <= count)) || !pointsBack(targetBefore) || !pointsBack(resetBefore)) return undefined;
    if (count > 0) {
      const lastAt = offsets[count - 1]!;
      const lastLength = lengths[count - 1]!;
      if (lastAt + lastLength !== header.bytes || seqs[count - 1] !== header.last.seq) return undefined;
      const found = check(lastAt, lastLength);
      if (!found || found.seq !== header.last.seq || found.hash !== header.last.hash) return undefined;
    } else if (header.bytes !== 0) return undefined;
    return {
      bytes: header.bytes, last: header.last, partners: new Codes(header.partners), types: new Codes(header.types),
      columns: Columns.from({ length: count, offsets, lengths, seqs, partners, types }),
      byTarget: HashChains.from({ used: header.chains[0]!.used, keys: targetKeys, heads: targetHeads, before: targetBefore }),
      byReset: HashChains.from({ used: header.chains[1]!.used, keys: resetKeys, heads: resetHeads, before: resetBefore }),
    };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** An index that no longer fits is removed, so a later start does not try it again. */
export function dropAuditIndex(file: string): void {
  rmSync(file, { force: true });
}

/** Temporary files of index writes that a crash cut short. */
export function dropStaleIndexWrites(file: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  for (const name of readdirSync(dir)) {
    if (name.startsWith(prefix) && name.endsWith('.tmp') && name !== `${prefix}${process.pid}.tmp`) rmSync(path.join(dir, name), { force: true });
  }
}
