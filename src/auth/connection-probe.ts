import * as client from 'openid-client';
import { parseIdpMetadata, certBody, type IdpDescription } from './saml-metadata.js';

/** What the console checks before a connection is saved: the IdP must answer as a real one would. */
export interface ConnectionProbe {
  /** Reads the issuer's discovery document; throws with a plain reason when it cannot. */
  discoverOidc(issuer: string): Promise<void>;
  /** Reads IdP metadata (fetched from `url` server-side, or the pasted `xml`). */
  readSamlMetadata(source: { url: string } | { xml: string }): Promise<IdpDescription>;
}

export function connectionProbe(opts: { allowInsecure: boolean; fetch?: typeof fetch; timeoutMs?: number }): ConnectionProbe {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    async discoverOidc(issuer) {
      try {
        await client.discovery(new URL(issuer), 'resetbridge-probe', undefined, undefined, {
          timeout: timeoutMs / 1000,
          ...(opts.allowInsecure && issuer.startsWith('http://') ? { execute: [client.allowInsecureRequests] } : {}),
        });
      } catch (e) {
        throw new Error(discoveryFailure(e));
      }
    },

    async readSamlMetadata(source) {
      let xml: string;
      if ('url' in source) {
        const res = await (opts.fetch ?? fetch)(source.url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } })
          .catch((e: unknown) => {
            throw new Error(`the metadata URL cannot be reached (${(e as Error).name === 'TimeoutError' ? 'no answer' : 'connection failed'})`);
          });
        if (!res.ok) throw new Error(`the metadata URL answered HTTP ${res.status}`);
        xml = await res.text();
      } else {
        xml = source.xml;
      }
      const found = parseIdpMetadata(xml);
      const certs = (found.certs ?? []).map(certBody).filter(Boolean);
      if (!found.entityId) throw new Error('the metadata has no entityID');
      if (!found.ssoUrl) throw new Error('the metadata has no SingleSignOnService with the HTTP-Redirect binding');
      if (certs.length === 0) throw new Error('the metadata has no signing certificate');
      return { entityId: found.entityId, ssoUrl: found.ssoUrl, certs, ...(found.sloUrl ? { sloUrl: found.sloUrl } : {}) };
    },
  };
}

/** Plain words for the form: what went wrong at the issuer, without the document's contents. */
function discoveryFailure(e: unknown): string {
  const err = e as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: unknown } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'the issuer did not answer in time';
  if (err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || /status code/i.test(err.message ?? '')) return 'the issuer has no discovery document at /.well-known/openid-configuration';
  if (/issuer/i.test(err.message ?? '') && /mismatch|unexpected|"issuer"/i.test(err.message ?? '')) return 'the discovery document names another issuer';
  if (err.cause?.code === 'ECONNREFUSED' || /fetch failed/i.test(err.message ?? '')) return 'the issuer cannot be reached';
  return 'the issuer\'s discovery document cannot be read';
}
