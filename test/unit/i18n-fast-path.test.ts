import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { I18n, LOCALES, NAMESPACES, loadResources } from '../../src/i18n/index.js';

const resources = loadResources();

/** Every leaf key of a namespace, plural suffixes folded into the base key. */
function keys(tree: unknown, prefix = ''): string[] {
  if (typeof tree !== 'object' || tree === null) return [prefix];
  return [...new Set(Object.entries(tree).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k)))]
    .map((k) => k.replace(/_(zero|one|two|few|many|other)$/, ''));
}

const reference = i18next.createInstance();
void reference.init({ resources, initAsync: false, lng: 'en', fallbackLng: 'en', supportedLngs: [...LOCALES], ns: [...NAMESPACES], defaultNS: 'public', returnNull: false, interpolation: { escapeValue: false } });

const values: Array<Record<string, unknown>> = [
  { login: 'a<b>"c\'/&d', company: 'Tom & Jerry <Co>', when: '1 May', name: 'X', count: 1 },
  { login: 'plain', company: 'Contoso', when: '2 June 2030', name: 'Y' },
  { count: 3 },
  { count: 1, min: 12 },
];

describe('page translations with parameters', () => {
  it('read exactly as i18next renders them, escaped or not, in every language', () => {
    const i18n = new I18n(resources);
    let compared = 0;
    for (const lng of LOCALES) {
      const tr = i18n.for(lng);
      const fixed = reference.getFixedT(lng);
      for (const ns of NAMESPACES) {
        for (const key of new Set(keys(resources.en?.[ns]))) {
          const text = String(reference.getResource('en', ns, key) ?? reference.getResource('en', ns, `${key}_other`) ?? '');
          const names = [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!);
          if (!names.length) continue;
          for (const v of values) {
            const params = Object.fromEntries(names.filter((n) => n in v).map((n) => [n, v[n]]));
            if (!Object.keys(params).length) continue;
            const full = `${ns}:${key}`;
            // Twice: the second answer comes from what the first one kept.
            for (let round = 0; round < 2; round++) {
              expect(tr.t(full, params)).toBe(fixed(full, params));
              expect(tr.html(full, params)).toBe(fixed(full, { ...params, interpolation: { escapeValue: true } }));
            }
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(50);
  });

  it('escapes markup in a login shown with trusted markup', () => {
    const html = new I18n(resources).for('en').html('public:reset.form.intro', { login: '<img src=x>', company: 'A & B' });
    expect(html).toContain('&lt;img src=x&gt;');
    expect(html).toContain('A &amp; B');
    expect(html).toContain('<strong>');
  });
});
