import { open, rename } from 'node:fs/promises';
import path from 'node:path';

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Gives the event loop a turn: other requests run between chunks of a long serialisation. */
const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

/** Time slice after which serialisation yields, so a request never waits on it for long. */
const SLICE_MS = 4;
const CHUNK_BYTES = 1 << 20;
/** Records serialised between two looks at the clock. */
const BATCH = 200;

/**
 * Writes `doc` as one JSON document (the lowdb file format) to `file`: to a temporary file first,
 * flushed to disk, then renamed over the old one, so a crash leaves either the old or the new
 * snapshot, never half of one. Records are serialised one at a time, yielding every few
 * milliseconds. The arrays and maps are copied first (pointers only): records added or removed
 * meanwhile cannot shift the walk, and a record changed meanwhile is also in the journal that
 * is replayed over this snapshot. Returns the size written.
 */
export async function writeSnapshot(file: string, doc: object): Promise<number> {
  const parts = Object.entries(doc).map(([name, value]) => {
    if (Array.isArray(value)) return { name, list: value.slice() };
    // A Map (an indexed collection held in memory) is written as the list of its records.
    if (value instanceof Map) return { name, list: [...(value as Map<unknown, unknown>).values()] };
    if (isMap(value)) return { name, entries: Object.entries(value) };
    return { name, whole: JSON.stringify(value) ?? 'null' };
  });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.compacting`);
  const handle = await open(tmp, 'w');
  let total = 0;
  try {
    let chunk: string[] = [];
    let size = 0;
    let slice = performance.now();
    const emit = async (text: string) => {
      chunk.push(text);
      size += text.length;
      if (size >= CHUNK_BYTES) {
        const out = chunk.join('');
        chunk = [];
        size = 0;
        total += Buffer.byteLength(out);
        await handle.write(out);
      }
      if (performance.now() - slice > SLICE_MS) {
        await yieldTurn();
        slice = performance.now();
      }
    };
    await emit('{');
    for (const [i, part] of parts.entries()) {
      await emit(`${i ? ',' : ''}${JSON.stringify(part.name)}:`);
      if (part.list) {
        const list = part.list;
        await emit('[');
        for (let at = 0; at < list.length; at += BATCH) {
          await emit(`${at ? ',' : ''}${list.slice(at, at + BATCH).map((r) => JSON.stringify(r) ?? 'null').join(',')}`);
        }
        await emit(']');
      } else if (part.entries) {
        const entries = part.entries;
        await emit('{');
        for (let at = 0; at < entries.length; at += BATCH) {
          await emit(`${at ? ',' : ''}${entries.slice(at, at + BATCH).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}`);
        }
        await emit('}');
      } else await emit(part.whole ?? 'null');
    }
    await emit('}\n');
    const out = chunk.join('');
    total += Buffer.byteLength(out);
    await handle.write(out);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await syncDir(path.dirname(file));
  return total;
}

/** Makes a rename or a new file in `dir` survive a power cut, not only a crash of this process. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic there.
  } finally {
    await handle.close();
  }
}
