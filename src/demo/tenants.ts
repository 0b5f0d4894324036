import { Faker, en } from '@faker-js/faker';
import type { Account, Customer, Partner } from '../domain/types.js';
import { DEMO_DIRECTORY } from './directory.js';

export interface DemoAdmin {
  email: string;
  password: string;
  name: string;
  partnerId: string;
  groups: string[];
}

export const demoPartners: Partner[] = [
  { id: 'northwind', name: 'Northwind Partners', domains: ['northwind-partners.example'], selfService: true },
  { id: 'contoso', name: 'Contoso Reseller', domains: ['contoso-reseller.example'] },
];

/** Listed in the README. Demo only: the demo IdP is refused in production. */
export const demoAdmins: DemoAdmin[] = [
  { email: 'alice@northwind-partners.example', password: 'northwind-demo', name: 'Alice Moreau', partnerId: 'northwind', groups: ['resetbridge-admins'] },
  { email: 'bob@contoso-reseller.example', password: 'contoso-demo', name: 'Bob Tanaka', partnerId: 'contoso', groups: ['resetbridge-admins'] },
  { email: 'dana@northwind-partners.example', password: 'northwind-demo', name: 'Dana Okafor', partnerId: 'northwind', groups: ['resetbridge-admins', 'resetbridge-idp-admins'] },
  { email: 'carol@northwind-partners.example', password: 'northwind-demo', name: 'Carol Jensen', partnerId: 'northwind', groups: ['sales'] },
];

const ascii = (s: string) => s.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '');

/** Deterministic demo tenants: the same companies and people on every fresh start. */
export function demoTenants(seed = 20261127): { partners: Partner[]; customers: Customer[]; accounts: Account[] } {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  const customers: Customer[] = [];
  const accounts: Account[] = [];
  for (const partner of demoPartners) {
    const count = faker.number.int({ min: 26, max: 34 });
    const names = new Set<string>();
    while (names.size < count) names.add(faker.company.name());
    for (const name of names) {
      const customer: Customer = {
        id: `cus_${faker.string.alphanumeric({ length: 12, casing: 'lower' })}`,
        partnerId: partner.id,
        name,
        country: faker.location.country(),
        directory: { instance: DEMO_DIRECTORY, mapping: 'login' },
      };
      customers.push(customer);
      const domain = `${ascii(name.split(/[ ,-]/)[0] ?? 'company') || 'company'}.example`;
      const logins = new Set<string>();
      const n = faker.number.int({ min: 3, max: 40 });
      for (let i = 0; i < n; i++) {
        const first = faker.person.firstName();
        const last = faker.person.lastName();
        let login = `${ascii(first)}.${ascii(last)}`;
        while (logins.has(login)) login = `${login}${faker.number.int({ min: 2, max: 9 })}`;
        logins.add(login);
        accounts.push({
          id: `acc_${faker.string.alphanumeric({ length: 12, casing: 'lower' })}`,
          partnerId: partner.id,
          customerId: customer.id,
          name: `${first} ${last}`,
          login,
          email: `${login}@${domain}`,
        });
      }
    }
  }
  return { partners: demoPartners.map((p) => ({ ...p })), customers, accounts };
}
