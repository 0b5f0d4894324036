import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** The accounts a company-wide reset has already reached, so a rerun after an interruption skips them. */
export class ResetProgress {
  readonly done: Set<string>;

  private constructor(readonly file: string, private readonly partnerId: string, private readonly customerId: string, done: string[]) {
    this.done = new Set(done);
  }

  static open(file: string, partnerId: string, customerId: string): ResetProgress {
    if (!existsSync(file)) return new ResetProgress(file, partnerId, customerId, []);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { partnerId?: string; customerId?: string; done?: unknown };
    if (saved.partnerId !== partnerId || saved.customerId !== customerId || !Array.isArray(saved.done)) {
      throw new Error(`${file} records another company's reset (${saved.partnerId ?? '?'}/${saved.customerId ?? '?'}); choose another --state file`);
    }
    return new ResetProgress(file, partnerId, customerId, saved.done.filter((x): x is string => typeof x === 'string'));
  }

  /** Written whole to a side file and renamed: an interruption mid-write leaves the previous state. */
  record(accountId: string): void {
    this.done.add(accountId);
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ partnerId: this.partnerId, customerId: this.customerId, done: [...this.done] }));
    renameSync(tmp, this.file);
  }
}
