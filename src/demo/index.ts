import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config, OidcConnectionConfig, SamlConnectionConfig } from '../config/schema.js';
import type { Logger } from '../sync/contract.js';
import type { Account, Customer, Partner } from '../domain/types.js';
import { seedDirectory } from '../../plugins/local-directory/directory.js';
import { startDemoIdp, type DemoIdp } from './idp.js';
import { startDemoSamlIdp, type DemoSamlIdp } from './saml-idp.js';
import { demoAdmins, demoPartners, demoTenants } from './tenants.js';

export { demoDirectoryInstance } from './directory.js';

/** What seeding needs from a store; both the embedded and the PostgreSQL store have it. */
export interface TenantImporter {
  isEmpty(): Promise<boolean>;
  /** Adds or replaces partners, customers and accounts by id. */
  importTenants(data: { partners?: Partner[]; customers?: Customer[]; accounts?: Account[] }): Promise<void>;
}

/** Fills an empty store (and the demo directory) with the demo tenants. */
export async function seedDemo(store: TenantImporter, dataDir: string, logger: Logger): Promise<void> {
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
    tokenEndpointAuth: 'client_secret_basic',
    scope: 'openid email profile',
    roleClaim: 'groups',
    roles: { 'partner-admin': ['resetbridge-admins'], 'idp-admin': ['resetbridge-idp-admins'] },
    allowInsecureIssuer: true,
  }));
  return { idp, connections };
}

/**
 * Starts the demo SAML IdP and returns one SAML connection per demo partner. The connections read
 * the IdP's metadata from its URL and sign their AuthnRequests with a key made for this run.
 */
export async function startDemoSamlSso(config: Config, logger: Logger): Promise<{ idp: DemoSamlIdp; connections: SamlConnectionConfig[] }> {
  const base = config.server.publicUrl.replace(/\/$/, '');
  const { generate } = await import('selfsigned'); // a development dependency: loaded only when the demo runs
  const spKey = await generate([{ name: 'commonName', value: 'resetbridge demo SP' }], { keySize: 2048, algorithm: 'sha256' });
  const sps = demoPartners.map((p) => {
    const id = `demo-saml-${p.id}`;
    return { partner: p, id, entityId: `${base}/auth/${id}/saml/metadata`, acsUrl: `${base}/auth/${id}/saml/acs`, sloUrl: `${base}/auth/${id}/saml/slo` };
  });
  const idp = await startDemoSamlIdp({
    port: config.demo.samlIdpPort,
    users: demoAdmins.map((a) => ({ email: a.email, password: a.password, name: a.name, groups: a.groups, spEntityIds: sps.filter((sp) => sp.partner.id === a.partnerId).map((sp) => sp.entityId) })),
    sps: sps.map((sp) => ({ entityId: sp.entityId, acsUrl: sp.acsUrl, sloUrl: sp.sloUrl, name: `resetbridge for ${sp.partner.name}`, cert: spKey.cert })),
    onLog: (msg) => logger.info({ component: 'demo-saml-idp' }, msg),
  });
  logger.warn({ metadata: idp.metadataUrl }, 'DEMO SAML identity provider running: development only, refused in production');
  const connections = sps.map((sp): SamlConnectionConfig => ({
    id: sp.id,
    type: 'saml',
    partner: sp.partner.id,
    displayName: `${sp.partner.name} (demo SAML IdP)`,
    idp: { metadataUrl: idp.metadataUrl, metadataRefreshHours: 24 },
    sp: { privateKey: spKey.private, cert: spKey.cert },
    signAuthnRequests: true,
    wantResponseSigned: true,
    wantAssertionsSigned: true,
    clockSkewSeconds: 60,
    requestTtlSeconds: 600,
    allowIdpInitiated: false,
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    emailAttribute: 'email',
    nameAttribute: 'displayName',
    roleAttribute: 'groups',
    roles: { 'partner-admin': ['resetbridge-admins'], 'idp-admin': ['resetbridge-idp-admins'] },
    allowInsecureMetadataUrl: true,
  }));
  return { idp, connections };
}
