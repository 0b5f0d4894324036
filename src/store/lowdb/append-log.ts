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

  private constructor(private readonly handle: FileHandle) {}

  /** Opens the log and reads what it holds; a torn last line (a crash mid-write) is dropped. */
  static async open<T>(file: string): Promise<{ log: AppendLog<T>; records: T[] }> {
    const records: T[] = [];
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      // A torn last line is cut off, or the next append would glue onto it and spoil both.
      const end = text.lastIndexOf('\n') + 1;
      if (end < text.length) truncateSync(file, Buffer.byteLength(text.slice(0, end)));
      for (const [i, line] of text.slice(0, end).split('\n').entries()) {
        if (!line) continue;
        try {
          records.push(JSON.parse(line) as T);
        } catch (e) {
          throw new Error(`${file}: line ${i + 1} is not JSON`, { cause: e });
        }
      }
    }
    return { log: new AppendLog<T>(await open(file, 'a')), records };
  }

  append(record: T): Promise<void> {
    return new Promise((done, fail) => {
      this.pending.push({ line: `${JSON.stringify(record)}\n`, done, fail });
      this.writing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      try {
        await this.handle.write(batch.map((p) => p.line).join(''));
        await this.handle.datasync();
        for (const p of batch) p.done();
      } catch (e) {
        for (const p of batch) p.fail(e);
      }
    }
    this.writing = undefined;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.handle.close();
  }
}
