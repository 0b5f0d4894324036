/** Who a partner's IdP says signed in, whatever the protocol. */
export interface SsoIdentity {
  /** Stable subject at that IdP (OIDC `sub`, SAML NameID). */
  sub: string;
  email: string;
  name: string;
  /** Values of the connection's role claim or attribute. */
  groups: string[];
}

/** The resetbridge roles a connection's mapping grants for these claim/attribute values. */
export function rolesFor(mapping: Record<string, string[]>, groups: string[]): string[] {
  return Object.entries(mapping).filter(([, values]) => values.some((v) => groups.includes(v))).map(([role]) => role);
}
