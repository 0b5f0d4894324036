import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

export const viewsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'views');

/** One eta instance for pages and mails; `<%= %>` escapes, so names with markup show as text. */
export function createViews(opts: { cache: boolean }): Eta {
  return new Eta({ views: viewsDir, cache: opts.cache, autoEscape: true, autoTrim: false });
}
