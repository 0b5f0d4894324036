// The thin seam over ldapts: one short-lived, encrypted connection per piece of work. Resets are rare,
// so a fresh TLS session each time costs little and never leaves a half-dead pooled socket behind.
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Attribute, Change, Client } from 'ldapts';
import type { Control } from 'ldapts';
import type { ConnectionSettings } from './config.js';
import type { Stage } from './errors.js';

export interface Modification {
  operation: 'add' | 'delete' | 'replace';
  type: string;
  values: Array<string | Buffer>;
}

export interface FoundEntry {
  dn: string;
  /** Attribute values by lower-cased name. */
  attributes: Map<string, string[]>;
}

export interface SearchSpec {
  scope: 'base' | 'sub';
  filter?: string;
  attributes: string[];
  sizeLimit?: number;
}

export class LdapSession {
  /** The step in progress or last attempted, so a failure can be read in its context. */
  stage: Stage = 'connect';
  readonly #client: Client;
  readonly #settings: ConnectionSettings;

  constructor(settings: ConnectionSettings) {
    this.#settings = settings;
    this.#client = new Client({
      url: settings.url,
      timeout: settings.timeoutMs,
      connectTimeout: settings.connectTimeoutMs,
      // ldapts speaks TLS from the first byte whenever tlsOptions are given, even for ldap://, which
      // would break StartTLS and plain: pass them only for ldaps://.
      ...(settings.transport === 'ldaps' ? { tlsOptions: tlsOptions(settings) } : {}),
    });
  }

  /**
   * For ldap:// without allowPlainLdap: upgrades with StartTLS before anything else is sent.
   * ldaps:// and plain connect on the first request.
   */
  async secure(): Promise<void> {
    if (this.#settings.transport !== 'starttls') return;
    this.stage = 'starttls';
    let timer: NodeJS.Timeout | undefined;
    // ldapts bounds the connect and the exop but not the TLS handshake that follows.
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Connection timeout')), this.#settings.connectTimeoutMs + this.#settings.timeoutMs);
    });
    try {
      // A fresh object: ldapts writes the socket into the options it is given.
      await Promise.race([this.#client.startTLS(tlsOptions(this.#settings)), stalled]);
    } finally {
      clearTimeout(timer);
    }
  }

  async bind(dn: string, password: string): Promise<void> {
    this.stage = 'bind';
    await this.#client.bind(dn, password);
  }

  async search(base: string, spec: SearchSpec): Promise<FoundEntry[]> {
    this.stage = 'search';
    const { searchEntries } = await this.#client.search(base, {
      scope: spec.scope,
      filter: spec.filter ?? '(objectClass=*)',
      attributes: spec.attributes,
      ...(spec.sizeLimit ? { sizeLimit: spec.sizeLimit } : {}),
    });
    return searchEntries.map((e) => {
      const attributes = new Map<string, string[]>();
      for (const [k, v] of Object.entries(e)) {
        if (k === 'dn') continue;
        const values = (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
        attributes.set(k.toLowerCase(), values);
      }
      return { dn: e.dn, attributes };
    });
  }

  async modify(dn: string, mods: Modification[], controls: Control[] = []): Promise<void> {
    this.stage = 'write';
    const changes = mods.map((m) => new Change({
      operation: m.operation,
      modification: new Attribute({ type: m.type, values: m.values as string[] | Buffer[] }),
    }));
    await this.#client.modify(dn, changes, controls);
  }

  async exop(oid: string, value: Buffer, controls: Control[] = []): Promise<void> {
    this.stage = 'write';
    await this.#client.exop(oid, value, controls);
  }

  /** Best effort: a connection that already broke has nothing left to close. */
  async close(): Promise<void> {
    try {
      await this.#client.unbind();
    } catch {
      // ignored on purpose
    }
  }
}

function tlsOptions(s: ConnectionSettings): ConnectionOptions {
  // SNI may not carry an IP address; the certificate is then checked against the IP itself (via host).
  const servername = s.serverName ?? (isIP(s.host) ? undefined : s.host);
  return {
    host: s.host,
    ...(servername ? { servername } : {}),
    ...(s.caCert ? { ca: [s.caCert] } : {}),
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
  };
}

export function firstValue(entry: FoundEntry, attribute: string): string | undefined {
  return entry.attributes.get(attribute.toLowerCase())?.[0];
}
