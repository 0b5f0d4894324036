import { existsSync, readFileSync, truncateSync } from 'node:fs';
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
   * bytes, and not kept.
   */
  static async open<T>(file: string, each?: (record: T, offset: number, bytes: number) => void): Promise<{ log: AppendLog<T>; records: T[]; bytes: number }> {
    const records: T[] = [];
    let end = 0;
    if (existsSync(file)) {
      const data = readFileSync(file);
      // A torn last line is cut off, or the next append would glue onto it and spoil both.
      end = data.lastIndexOf(0x0a) + 1;
      if (end < data.length) truncateSync(file, end);
      for (let at = 0, line = 1; at < end; line++) {
        const next = data.indexOf(0x0a, at) + 1;
        if (next - at > 1) {
          let record: T;
          try {
            record = JSON.parse(data.toString('utf8', at, next - 1)) as T;
          } catch (e) {
            throw new Error(`${file}: line ${line} is not JSON`, { cause: e });
          }
          if (each) each(record, at, next - at);
          else records.push(record);
        }
        at = next;
      }
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
