import type { z } from 'zod';
import type { BulkResult } from '../../../services/provisioning-customers.js';
import { issuesOf, type Reply } from '../builder.js';

type Problems = Array<{ path: string; message: string }>;

/** Checks each record on its own, so one malformed record fails alone instead of the whole call. */
export function checkRecords<T>(records: unknown[], schema: z.ZodType<T>) {
  const valid: Array<{ index: number; record: T }> = [];
  const invalid: Array<{ index: number; externalId: string | null; errors: Problems }> = [];
  records.forEach((raw, index) => {
    const parsed = schema.safeParse(raw);
    if (parsed.success) valid.push({ index, record: parsed.data });
    else {
      const externalId = (raw as { externalId?: unknown } | null)?.externalId;
      invalid.push({ index, externalId: typeof externalId === 'string' ? externalId : null, errors: issuesOf(parsed.error, `body/records/${index}`) });
    }
  });
  return { valid, invalid };
}

export function bulkReply(results: BulkResult[], invalid: ReturnType<typeof checkRecords>['invalid']): Reply {
  const all = [
    ...results.map((r) => (r.status === 'failed'
      ? { index: r.index, externalId: r.externalId, status: r.status, errors: [r.problem] }
      : { index: r.index, externalId: r.externalId, status: r.status, id: r.id })),
    ...invalid.map((r) => ({ index: r.index, externalId: r.externalId, status: 'failed' as const, errors: r.errors })),
  ].sort((a, b) => a.index - b.index);
  const count = (s: string) => all.filter((r) => r.status === s).length;
  return {
    status: 200,
    body: { summary: { created: count('created'), updated: count('updated'), restored: count('restored'), failed: count('failed') }, results: all },
  };
}
