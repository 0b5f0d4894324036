import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

export const viewsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'views');

/** One eta instance for pages and mails; `<%= %>` escapes, so names with markup show as text. */
export function createViews(opts: { cache: boolean }): Eta {
  const views = new Eta({ views: viewsDir, cache: opts.cache, autoEscape: true, autoTrim: false });
  if (opts.cache) rememberPaths(views);
  return views;
}

/**
 * eta works out where a template is on every render and include (a JSON key, path joins and a
 * check that it stays inside views/): a tenth of a page's render time. Templates never move while
 * they are cached, so each answer is kept, by the template asked for and the one asking (names
 * come from the code, so they are few; the bound is a guard).
 */
function rememberPaths(views: Eta): void {
  const resolve = views.resolvePath;
  if (!resolve) return;
  const known = new Map<string, string>();
  views.resolvePath = function (template, options) {
    const key = `${options?.filepath ?? ''}\0${template}`;
    let found = known.get(key);
    if (found === undefined) {
      found = resolve.call(this, template, options);
      if (known.size < 1000) known.set(key, found);
    }
    return found;
  };
}
