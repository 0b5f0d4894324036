import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppendLog } from '../../src/store/lowdb/append-log.js';

const tempFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'rb-log-')), 'log.jsonl');

describe('the append-only log under the embedded audit trail', () => {
  it('keeps every record of a burst of concurrent appends, in order, and reads them back after reopening', async () => {
    const file = tempFile();
    const { log } = await AppendLog.open<{ n: number }>(file);
    await Promise.all(Array.from({ length: 500 }, (_, n) => log.append({ n })));
    await log.close();
    const { log: again, records } = await AppendLog.open<{ n: number }>(file);
    expect(records.map((r) => r.n)).toEqual(Array.from({ length: 500 }, (_, n) => n));
    await again.close();
  });

  it('drops a torn last line left by a crash mid-write, and refuses a damaged line in the middle', async () => {
    const file = tempFile();
    const { log } = await AppendLog.open<{ n: number }>(file);
    await log.append({ n: 1 });
    await log.append({ n: 2 });
    await log.close();
    appendFileSync(file, '{"n":3,"tor');
    const { log: reopened, records } = await AppendLog.open<{ n: number }>(file);
    expect(records).toEqual([{ n: 1 }, { n: 2 }]);
    await reopened.close();
    const damaged = tempFile();
    appendFileSync(damaged, '{"n":1}\nnot json\n{"n":3}\n');
    await expect(AppendLog.open(damaged)).rejects.toThrow(/line 2 is not JSON/);
  });

  it('reads back lines that straddle its read chunks, one larger than a chunk, each with where it lies in the file', async () => {
    const file = tempFile();
    const { log } = await AppendLog.open<{ n: number; pad: string }>(file);
    const written = Array.from({ length: 3000 }, (_, n) => ({ n, pad: 'é'.repeat(n === 1500 ? 1_500_000 : n % 977) }));
    for (const r of written) await log.append(r);
    await log.close();
    const bytes = readFileSync(file);
    const seen: Array<{ n: number; pad: string }> = [];
    const { log: again } = await AppendLog.open<{ n: number; pad: string }>(file, (r, offset, length) => {
      expect(JSON.parse(bytes.toString('utf8', offset, offset + length))).toEqual(r);
      seen.push(r);
    });
    expect(seen).toEqual(written);
    await again.close();
  });

  it('resolves an append only once its line is on disk', async () => {
    const file = tempFile();
    const { log } = await AppendLog.open<{ n: number }>(file);
    await log.append({ n: 7 });
    expect(readFileSync(file, 'utf8')).toBe('{"n":7}\n');
    await log.close();
  });
});
