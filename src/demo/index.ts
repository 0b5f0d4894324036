import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config, OidcConnectionConfig } from '../config/schema.js';
import type { Logger } from '../sync/contract.js';
import type { LowdbStore } from '../store/lowdb/index.js';
import { seedDirectory } from '../../plugins/local-directory/directory.js';
import { startDemoIdp, type DemoIdp } from './idp.js';
import { DEMO_DIRECTORY, demoAdmins, demoPartners, demoTenants } from './tenants.js';

export const demoDirectoryInstance = { id: DEMO_DIRECTORY, plugin: 'local-directory', config: { file: 'directory.json' } };

/** Fills an empty embedded store (and the demo directory) with the demo tenants. */
export async function seedDemo(store: LowdbStore, dataDir: string, logger: Logger): Promise<void> {
  if (!(await store.isEmpty())) return;
  const tenants = demoTenants();
  await store.importTenants(tenants);
  await seedDirectory(path.resolve(dataDir, 'directory.json'), tenants.accounts.map((a) => ({ id: a.id, login: a.login, email: a.email })));
  logger.info({ partners: tenants.partners.length, customers: tenants.customers.length, accounts: tenants.accounts.length }, 'demo data seeded');
}

/** Starts the demo OpenID Provider and returns one OIDC connection per demo partner. */
export async function startDemoSso(config: Config, logger: Logger): Promise<{ idp: DemoIdp; connections: OidcConnectionConfig[] }> {
  const base = config.server.publicUrl.replace(/\/$/, '');
  const clients = demoPartners.map((p) => ({
    partner: p,
    clientId: `resetbridge-${p.id}`,
    clientSecret: randomBytes(24).toString('base64url'),
    connectionId: `demo-${p.id}`,
  }));
  const idp = await startDemoIdp({
    port: config.demo.idpPort,
    users: demoAdmins.map((a) => ({ email: a.email, password: a.password, name: a.name, groups: a.groups, clientIds: [`resetbridge-${a.partnerId}`] })),
    clients: clients.map((c) => ({ clientId: c.clientId, clientSecret: c.clientSecret, name: `resetbridge for ${c.partner.name}`, redirectUris: [`${base}/auth/${c.connectionId}/callback`] })),
    onLog: (msg) => logger.info({ component: 'demo-idp' }, msg),
  });
  logger.warn({ issuer: idp.issuer }, 'DEMO identity provider running: development only, refused in production');
  const connections: OidcConnectionConfig[] = clients.map((c) => ({
    id: c.connectionId,
    type: 'oidc',
    partner: c.partner.id,
    displayName: `${c.partner.name} (demo IdP)`,
    issuer: idp.issuer,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    scope: 'openid email profile',
    roleClaim: 'groups',
    roles: { 'partner-admin': ['resetbridge-admins'], 'idp-admin': ['resetbridge-idp-admins'] },
    allowInsecureIssuer: true,
  }));
  return { idp, connections };
}
