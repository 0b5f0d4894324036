// ldap: writes passwords to OpenLDAP (ppolicy) or Active Directory over LDAPS/StartTLS, as ADAPTERS.md §7 describes.
import { debuglog } from 'node:util';
import { definePlugin } from '../../src/sync/contract.js';
import { createLdapAdapter } from './adapter.js';
import { configSchema } from './config.js';

export { configSchema, createLdapAdapter };
export type { LdapAdapter } from './adapter.js';
export type { LdapConfig, LdapConfigInput } from './config.js';

export default definePlugin({
  name: 'ldap',
  configSchema,
  create(config, ctx) {
    // ldapts prints every request it sends under NODE_DEBUG=ldapts, new passwords included.
    if (debuglog('ldapts').enabled) {
      throw new Error('NODE_DEBUG includes "ldapts", which would print new passwords to the console; remove it from NODE_DEBUG');
    }
    return createLdapAdapter(config, ctx);
  },
});
