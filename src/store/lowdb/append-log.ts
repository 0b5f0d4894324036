import { closeSync, existsSync, fstatSync, openSync, readSync, truncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * An append-only JSON-lines file. Appends made while a write is in flight are grouped into the
 * next write, and each write is flushed to disk (fdatasync) before its appends resolve, so an
 * answered request's record survives a crash, and no append rewrites the whole history.
 */
export class AppendLog<T> {
  private pending: Array<{ line: string; done: () => void; fail: (e: unknown) => void }> = [];
  private writing: Promise<void> | undefined;
  /** Why a write failed: that line may or may not be on disk, so nothing is appended after it. */
  private failed: unknown;

  private constructor(private readonly handle: FileHandle) {}

  /**
   * Opens the log and reads what it holds; a torn last line (a crash mid-write) is dropped. With
   * `each`, records are handed over one by one with where their line starts and its length in
   * bytes, and not kept. `from` (a line boundary) skips lines the caller has read before.
   */
  static async open<T>(file: string, each?: (record: T, offset: number, bytes: number) => void, from = 0): Promise<{ log: AppendLog<T>; records: T[]; bytes: number }> {
    const records: T[] = [];
    let end = 0;
    if (existsSync(file)) {
      const read = readLines(file, (data, at, next, line, offset) => {
        let record: T;
        try {
          record = JSON.parse(data.toString('utf8', at, next - 1)) as T;
        } catch (e) {
          throw new Error(from === 0 ? `${file}: line ${line} is not JSON` : `${file}: the line at byte ${offset} is not JSON`, { cause: e });
        }
        if (each) each(record, offset, next - at);
        else records.push(record);
      }, from);
      end = read.end;
      // A torn last line is cut off, or the next append would glue onto it and spoil both.
      if (end < read.size) truncateSync(file, end);
    }
    return { log: new AppendLog<T>(await open(file, 'a')), records, bytes: end };
  }

  append(record: T): Promise<void> {
    return this.appendLine(`${JSON.stringify(record)}\n`);
  }

  /** Appends a line already serialised (ending in a newline), for a caller that needs its length. */
  appendLine(line: string): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return new Promise((done, fail) => {
      this.pending.push({ line, done, fail });
      this.writing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      try {
        const data = Buffer.from(batch.map((p) => p.line).join(''));
        const { bytesWritten } = await this.handle.write(data);
        if (bytesWritten !== data.length) throw new Error(`wrote ${bytesWritten} of ${data.length} bytes`);
        await this.handle.datasync();
        for (const p of batch) p.done();
      } catch (e) {
        // Lines queued behind this batch would land after bytes whose fate is unknown (readers
        // locate lines by offset): they fail too, and so does every later append.
        this.failed = e;
        for (const p of [...batch, ...this.pending.splice(0)]) p.fail(e);
      }
    }
    this.writing = undefined;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.handle.close();
  }
}

const CHUNK = 1 << 20;

/**
 * Hands over each complete, non-empty line of `file` (`data[at, next)`, newline included), read a
 * chunk at a time: a trail of a year or more is not loaded whole, which briefly doubled the
 * memory of a start-up by the file's size. `offset` is where the line starts in the file.
 * Returns where the last complete line ends and the file's size (a difference is a torn last line).
 */
function readLines(file: string, onLine: (data: Buffer, at: number, next: number, line: number, offset: number) => void, from = 0): { end: number; size: number } {
  const fd = openSync(file, 'r');
  const state = { base: from, size: 0 };
  try {
    state.size = fstatSync(fd).size;
    let data = Buffer.allocUnsafe(CHUNK);
    let filled = 0;
    let line = 1;
    for (;;) {
      // A line longer than the buffer: the buffer grows to hold it.
      if (filled === data.length) data = Buffer.concat([data], data.length * 2);
      const read = readSync(fd, data, filled, data.length - filled, state.base + filled);
      if (read === 0) break;
      filled += read;
      const view = data.subarray(0, filled);
      let at = 0;
      for (let nl = view.indexOf(0x0a, at); nl !== -1; nl = view.indexOf(0x0a, at)) {
        if (nl > at) onLine(data, at, nl + 1, line, state.base + at);
        line++;
        at = nl + 1;
      }
      // The unfinished line moves to the front and the next read completes it.
      data.copy(data, 0, at, filled);
      state.base += at;
      filled -= at;
    }
    return { end: state.base, size: state.size };
  } finally {
    closeSync(fd);
  }
}
