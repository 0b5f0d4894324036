import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

export const COLUMNS = ['partner', 'customerExternalId', 'customerName', 'accountExternalId', 'name', 'login', 'email'] as const;
type Column = (typeof COLUMNS)[number];

/** One row of the file, checked for shape; `account` is absent on a row that only names a company. */
export interface ImportRow {
  line: number;
  partner: string;
  customer: { externalId: string; name: string };
  account?: { externalId: string; name: string; login: string; email: string };
}

export interface BadRow {
  line: number;
  reason: string;
}

export class ImportFileError extends Error {}

const ACCOUNT_FIELDS = ['accountExternalId', 'name', 'login', 'email'] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function formatOf(file: string, given: string | undefined): 'csv' | 'jsonl' {
  const format = given ?? (/\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : /\.csv$/i.test(file) ? 'csv' : undefined);
  if (format === 'csv' || format === 'jsonl') return format;
  throw new ImportFileError(given
    ? `unknown format "${given}": use csv or jsonl`
    : `cannot tell the format of ${file} from its name: name it .csv or .jsonl, or pass --format csv|jsonl`);
}

export function checkRow(line: number, raw: Partial<Record<Column, unknown>>): ImportRow | BadRow {
  const field = (c: Column) => (typeof raw[c] === 'string' ? (raw[c] as string).trim() : raw[c] === undefined || raw[c] === null ? '' : undefined);
  const wrongType = COLUMNS.filter((c) => field(c) === undefined);
  if (wrongType.length) return { line, reason: `${wrongType.join(', ')} must be text` };
  const v = (c: Column) => field(c)!;
  const missing = (['partner', 'customerExternalId', 'customerName'] as const).filter((c) => !v(c));
  const hasAccount = ACCOUNT_FIELDS.some((c) => v(c));
  if (hasAccount) missing.push(...ACCOUNT_FIELDS.filter((c) => !v(c)) as never[]);
  if (missing.length) return { line, reason: `missing ${missing.join(', ')}` };
  if (hasAccount && !EMAIL.test(v('email'))) return { line, reason: `email "${v('email')}" is not an email address` };
  return {
    line, partner: v('partner'), customer: { externalId: v('customerExternalId'), name: v('customerName') },
    ...(hasAccount ? { account: { externalId: v('accountExternalId'), name: v('name'), login: v('login'), email: v('email') } } : {}),
  };
}

/** Reads every row of the file, in order, with the line it starts on (the header is line 1 of a CSV). */
export async function readRows(file: string, format: 'csv' | 'jsonl', onRow: (row: ImportRow | BadRow) => void): Promise<void> {
  if (format === 'jsonl') {
    let line = 0;
    for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      line++;
      if (!text.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        onRow({ line, reason: 'not valid JSON' });
        continue;
      }
      onRow(value && typeof value === 'object' && !Array.isArray(value)
        ? checkRow(line, value as Record<Column, unknown>)
        : { line, reason: 'not a JSON object' });
    }
    return;
  }
  const parser = createReadStream(file).pipe(parse({
    columns: (header: string[]) => {
      const names = header.map((h) => h.trim());
      const absent = COLUMNS.filter((c) => !names.includes(c));
      if (absent.length) throw new ImportFileError(`the header row lacks ${absent.join(', ')} (columns: ${COLUMNS.join(', ')})`);
      return names;
    },
    bom: true, skip_empty_lines: true, relax_column_count: true, info: true,
  }));
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<Column, string>; info: { lines: number } }>) {
      onRow(checkRow(info.lines, record));
    }
  } catch (e) {
    if (e instanceof ImportFileError) throw e;
    throw new ImportFileError(`${file} is not valid CSV: ${(e as Error).message}`);
  }
}
