import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN_LOCALES, LOCALES, loadResources, localesDir, pickLocale, sharedI18n, type Locale } from '../../src/i18n/index.js';

type Tree = { [key: string]: string | Tree };
const resources = loadResources() as unknown as Record<Locale, Record<string, Tree>>;
const PLURAL = /_(zero|one|two|few|many|other)$/;

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

const variables = (s: string) => [...s.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]).sort();
const markup = (s: string) => [...s.matchAll(/<\/?([a-z]+)>/g)].map((m) => m[0]).sort();

/** Base key → every form of it (plural forms grouped), with the variables each form uses. */
function catalogue(lng: Locale, ns: string) {
  const byBase = new Map<string, Map<string, string>>();
  for (const [key, value] of flatten(resources[lng][ns] ?? {})) {
    const base = key.replace(PLURAL, '');
    if (!byBase.has(base)) byBase.set(base, new Map());
    byBase.get(base)!.set(key.slice(base.length) || '', value);
  }
  return byBase;
}

const namespaces: Array<{ ns: string; locales: readonly Locale[] }> = [
  { ns: 'public', locales: LOCALES },
  { ns: 'mail', locales: LOCALES },
  { ns: 'policy', locales: LOCALES },
  { ns: 'admin', locales: ADMIN_LOCALES },
];

// Words that are the same in English and in that language.
const SAME_AS_ENGLISH = new Set([
  'es:public:errors.title.error', 'ja:admin:notice.ok',
  // Protocol terms an identity product keeps as they are.
  'ja:admin:idp.common.url', 'ja:admin:idp.webhooks.pageTitle', 'ja:admin:idp.connections.acs', 'ja:admin:idp.connections.issuer',
]);

describe('translations', () => {
  for (const { ns, locales } of namespaces) {
    for (const lng of locales.filter((l) => l !== 'en')) {
      it(`has every ${ns} key in ${lng}, with the same variables and markup, and nothing left in English`, () => {
        const en = catalogue('en', ns);
        const other = catalogue(lng, ns);
        expect([...other.keys()].sort()).toEqual([...en.keys()].sort());
        const categories = new Intl.PluralRules(lng).resolvedOptions().pluralCategories;
        for (const [base, forms] of en) {
          const theirs = other.get(base)!;
          const isPlural = [...forms.keys()].some((f) => f !== '');
          // A plural key needs exactly the forms this language's plural rules ask for.
          if (isPlural) expect([...theirs.keys()].map((f) => f.slice(1)).sort(), `${lng} ${ns}:${base}`).toEqual([...categories].sort());
          const englishVars = variables([...forms.values()].at(-1)!);
          const englishMarkup = markup([...forms.values()].at(-1)!);
          for (const [form, text] of theirs) {
            expect(text.trim(), `${lng} ${ns}:${base}${form}`).not.toBe('');
            expect(variables(text), `${lng} ${ns}:${base}${form}`).toEqual(englishVars);
            expect(markup(text), `${lng} ${ns}:${base}${form}`).toEqual(englishMarkup);
            const english = forms.get(form) ?? forms.get('_other');
            if (!SAME_AS_ENGLISH.has(`${lng}:${ns}:${base}`)) expect(text, `${lng} ${ns}:${base}${form} is still English`).not.toBe(english);
          }
        }
      });
    }
  }

  it('has every key the templates and the code name literally', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = path.join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(eta|ts)$/.test(f)) files.push(p);
      }
    };
    walk(path.join(localesDir, '..', 'views'));
    walk(path.join(localesDir, '..', 'src'));
    const en = sharedI18n().for('en');
    const used = new Set(files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/['"`]((?:public|mail|policy|admin):[\w.]+[\w])['"`]/g)].map((m) => m[1]!)));
    expect(used.size).toBeGreaterThan(50);
    const missing = [...used].filter((k) => !en.has(k) && !en.has(`${k}_other`));
    expect(missing).toEqual([]);
  });

  it('keeps a name with angle brackets whole in plain text and escapes it in HTML, dropping only the resource\'s own markup', () => {
    const ja = sharedI18n().for('ja');
    const params = { login: 'mina', company: 'Acme <b> Co', when: '2026年11月27日', ip: '10.0.0.1' };
    expect(ja.text('mail:passwordChanged.body', params)).toBe('Acme <b> Co のアカウント mina のパスワードが 2026年11月27日 に、アドレス 10.0.0.1 から変更されました。');
    expect(ja.html('mail:passwordChanged.body', params)).toContain('Acme &lt;b&gt; Co のアカウント <strong>mina</strong>');
  });

  it('picks the first stored language it has, then the browser\'s, then English', () => {
    expect(pickLocale(['ja-JP', 'de'], 'fr')).toBe('ja');
    expect(pickLocale([undefined, 'tlh', 'DE_at'], 'fr')).toBe('de');
    expect(pickLocale([], 'ko, es-MX;q=0.8, fr;q=0.9')).toBe('fr');
    expect(pickLocale([], 'ja;q=0, *')).toBe('en');
    expect(pickLocale(['ja'], undefined, ['en'])).toBe('en');
  });
});
