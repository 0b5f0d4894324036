import type { SsoConnectionConfig } from '../config/schema.js';
import type { Clock, Store } from '../domain/ports.js';
import type { Logger } from '../sync/contract.js';
import { OidcConnection } from './oidc.js';
import { SamlConnection } from './saml.js';

export type SsoConnection = OidcConnection | SamlConnection;

/** One connection object per configured SSO connection; ids must be unique across protocols. */
export function buildConnections(
  configs: SsoConnectionConfig[],
  deps: { publicUrl: string; store: Store; clock: Clock; logger?: Logger },
): SsoConnection[] {
  const seen = new Set<string>();
  return configs.map((c) => {
    if (seen.has(c.id)) throw new Error(`sso.connections: the id ${c.id} is used twice (each connection needs its own)`);
    seen.add(c.id);
    return c.type === 'saml' ? new SamlConnection(c, deps) : new OidcConnection(c, deps.publicUrl);
  });
}

/**
 * Reads every SAML connection's IdP metadata once at start, so its endpoints are known to the
 * pages' CSP from the first request. An IdP that cannot be read now is tried again at sign-in.
 */
export async function warmUp(connections: SsoConnection[], logger?: Logger): Promise<void> {
  await Promise.all(connections.map(async (c) => {
    if (c.protocol !== 'saml') return;
    await c.describeIdp().catch((e: unknown) => logger?.warn({ connection: c.config.id, err: String(e) }, 'SAML IdP metadata cannot be read yet; trying again at sign-in'));
  }));
}
