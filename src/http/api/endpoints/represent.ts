// What the API shows of each record: named fields only, so a field added to the domain for
// another purpose never leaks into responses (nor out of the documented schema).
import type { Account, Customer, Partner } from '../../../domain/types.js';

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export const partnerOut = (p: Partner) => defined({
  id: p.id, name: p.name, domains: p.domains, disabled: p.disabled, selfService: p.selfService, outOfBandLinks: p.outOfBandLinks, defaultLocale: p.defaultLocale, deletedAt: p.deletedAt,
});

export const customerOut = (c: Customer) => defined({
  id: c.id, partnerId: c.partnerId, externalId: c.externalId, name: c.name, country: c.country, selfService: c.selfService,
  directory: c.directory && { instance: c.directory.instance, mapping: c.directory.mapping }, defaultLocale: c.defaultLocale, deletedAt: c.deletedAt,
});

export const accountOut = (a: Account) => defined({
  id: a.id, partnerId: a.partnerId, customerId: a.customerId, externalId: a.externalId, name: a.name, login: a.login,
  email: a.email, lastResetAt: a.lastResetAt, locale: a.locale, timeZone: a.timeZone, deletedAt: a.deletedAt,
});

export const flag = (v: 'true' | 'false' | undefined) => v === 'true';

/** Strips `undefined` so a page request names only what was asked. */
export const only = defined;
