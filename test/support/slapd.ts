// A throwaway OpenLDAP server for tests: own slapd.conf in a temp dir, back_mdb + ppolicy, a TLS
// certificate from `selfsigned`, entries loaded with slapadd, a write-only service account (ppolicy
// does not apply to the rootdn or to `manage` access, so tests must write as the service account).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'ldapts';
import { generate } from 'selfsigned';

const run = promisify(execFile);
const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';

export interface SlapdPolicy {
  minLength: number;
  inHistory: number;
}

export interface Slapd {
  /** StartTLS endpoint (plain binds are refused there: `security simple_bind=128`). */
  ldapUrl: string;
  ldapsUrl: string;
  /** The server's self-signed certificate, to trust as CA. */
  caCert: string;
  baseDn: string;
  peopleDn: string;
  policyDn: string;
  serviceDn: string;
  servicePassword: string;
  /** Adds an inetOrgPerson under ou=people as the rootdn (bypassing ppolicy) and returns its DN. */
  addUser(uid: string, password: string, extra?: Record<string, string>): Promise<string>;
  /** Asks the server itself whether the password binds, independent of any adapter. */
  canBind(dn: string, password: string): Promise<boolean>;
  /** Reads attributes as the rootdn (operational ones included when named). */
  read(dn: string, attributes: string[]): Promise<Record<string, unknown>>;
  /** Stops the process but keeps the data, so start() brings the same server back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops and deletes everything. */
  dispose(): Promise<void>;
}

const BASE = 'dc=example,dc=test';
const ROOT_DN = `cn=admin,${BASE}`;
const SERVICE_DN = `cn=resetbridge,ou=services,${BASE}`;

/** `{SSHA}` as slapd stores it, so nothing in the test directory is clear text. */
export function sshaHash(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

function slapdConf(dir: string, rootPassword: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCertificateFile ${dir}/cert.pem
TLSCertificateKeyFile ${dir}/key.pem
security simple_bind=128
database mdb
maxsize 10485760
suffix "${BASE}"
rootdn "${ROOT_DN}"
rootpw ${sshaHash(rootPassword)}
directory ${dir}/db
overlay ppolicy
ppolicy_default "cn=default,ou=policies,${BASE}"
ppolicy_hash_cleartext
access to attrs=userPassword,pwdReset
  by dn.exact="${SERVICE_DN}" write
  by anonymous auth
  by * none
access to *
  by dn.exact="${SERVICE_DN}" read
  by self read
  by * none
`;
}

function entries(policy: SlapdPolicy, servicePassword: string): string {
  return `dn: ${BASE}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,${BASE}
objectClass: organizationalUnit
ou: people

dn: ou=services,${BASE}
objectClass: organizationalUnit
ou: services

dn: ou=policies,${BASE}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,${BASE}
objectClass: pwdPolicy
objectClass: device
cn: default
pwdAttribute: userPassword
pwdMinLength: ${policy.minLength}
pwdCheckQuality: 2
pwdInHistory: ${policy.inHistory}
pwdAllowUserChange: TRUE

dn: ${SERVICE_DN}
objectClass: person
cn: resetbridge
sn: password reset service
userPassword: ${sshaHash(servicePassword)}
`;
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => { sock.destroy(); resolve(true); });
      sock.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`slapd did not listen on ${port} within ${timeoutMs} ms: ${stderr()}`);
}

export async function startSlapd(policy: Partial<SlapdPolicy> = {}): Promise<Slapd> {
  const full: SlapdPolicy = { minLength: 12, inHistory: 3, ...policy };
  const dir = await mkdtemp(join(tmpdir(), 'resetbridge-slapd-'));
  const rootPassword = randomBytes(12).toString('base64url');
  const servicePassword = randomBytes(12).toString('base64url');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048, algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  await writeFile(join(dir, 'cert.pem'), pems.cert);
  await writeFile(join(dir, 'key.pem'), pems.private, { mode: 0o600 });
  await writeFile(join(dir, 'slapd.conf'), slapdConf(dir, rootPassword));
  await writeFile(join(dir, 'entries.ldif'), entries(full, servicePassword));
  await mkdir(join(dir, 'db'));
  try {
    await run(SLAPADD, ['-q', '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'entries.ldif')]);
  } catch (e) {
    throw new Error(`slapadd failed (is slapd installed? apt-get install slapd ldap-utils): ${(e as Error).message}`);
  }
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const ldapUrl = `ldap://127.0.0.1:${plainPort}`;
  const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
  const tlsOptions = { ca: [pems.cert] };

  let child: ChildProcess | undefined;
  async function start(): Promise<void> {
    let err = '';
    const c = spawn(SLAPD, ['-f', join(dir, 'slapd.conf'), '-h', `${ldapUrl}/ ${ldapsUrl}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child = c;
    await waitForPort(tlsPort, c, () => err);
  }
  async function stop(): Promise<void> {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  async function asRoot<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url: ldapsUrl, tlsOptions, timeout: 5_000 });
    try {
      await client.bind(ROOT_DN, rootPassword);
      return await work(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  await start();
  const peopleDn = `ou=people,${BASE}`;
  return {
    ldapUrl, ldapsUrl, caCert: pems.cert, baseDn: BASE, peopleDn, policyDn: `cn=default,ou=policies,${BASE}`,
    serviceDn: SERVICE_DN, servicePassword,
    async addUser(uid, password, extra = {}) {
      const dn = `uid=${uid},${peopleDn}`;
      await asRoot((c) => c.add(dn, {
        objectClass: ['inetOrgPerson'], uid, cn: uid, sn: uid, userPassword: sshaHash(password), ...extra,
      }));
      return dn;
    },
    async canBind(dn, password) {
      const client = new Client({ url: ldapsUrl, tlsOptions, timeout: 5_000 });
      try {
        await client.bind(dn, password);
        return true;
      } catch (e) {
        if ((e as { code?: unknown }).code === 49) return false;
        throw e;
      } finally {
        await client.unbind().catch(() => undefined);
      }
    },
    async read(dn, attributes) {
      const { searchEntries } = await asRoot((c) => c.search(dn, { scope: 'base', attributes }));
      return searchEntries[0] ?? {};
    },
    stop,
    start,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
