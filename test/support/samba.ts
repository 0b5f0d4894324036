// A throwaway Samba AD DC for tests: a domain provisioned in a temp dir, a delegated service account
// (Reset Password + write pwdLastSet on CN=Users, nothing more), started in the foreground with only
// its LDAP service. AD's ports are fixed (389/636), so only one DC can run per machine: a lock file
// serialises test files (and anyone else's runs), and the domain SID proves we reached our own DC.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client } from 'ldapts';

const run = promisify(execFile);
const LOCK = join(tmpdir(), 'resetbridge-samba-dc.lock');
const REALM = 'EXAMPLE.TEST';
const BASE = 'DC=example,DC=test';
const USERS = `CN=Users,${BASE}`;
// Control-access right "Reset Password" and the pwdLastSet attribute, for user objects (schema GUIDs).
const RESET_PASSWORD_RIGHT = '00299570-246d-11d0-a768-00aa006e0529';
const PWD_LAST_SET = 'bf967a0a-0de6-11d0-a285-00aa003049e2';
const USER_CLASS = 'bf967aba-0de6-11d0-a285-00aa003049e2';

export interface SambaDc {
  ldapsUrl: string;
  /** Plain port: StartTLS works there, a simple bind without it is refused. */
  ldapUrl: string;
  /** The DC's own CA (private/tls/ca.pem), generated at first start. */
  caCert: string;
  /** Its certificate has no SANs: verify against this name (the certificate's CN). */
  serverName: string;
  baseDn: string;
  usersDn: string;
  domainSid: string;
  service: { upn: string; dn: string; password: string };
  /** Creates an enabled user as Administrator, by default in CN=Users (where the service account may reset), and returns its DN. */
  addUser(name: string, password: string, extra?: Record<string, string>, parent?: string): Promise<string>;
  /** Creates an organizational unit under the domain, where the service account has no rights. */
  addOu(name: string): Promise<string>;
  /** Asks the DC itself whether the password binds (independent of any adapter). */
  canBind(dn: string, password: string): Promise<boolean>;
  read(dn: string, attributes: string[]): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes the machine-wide DC lock, waiting for another holder; a dead holder's DC is killed and its lock taken over. */
async function lock(timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(LOCK, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
    const [owner, dc] = (await readFile(LOCK, 'utf8').catch(() => '')).split('\n').map(Number);
    if (owner && !alive(owner)) {
      if (dc && alive(dc)) process.kill(dc, 'SIGKILL');
      await unlink(LOCK).catch(() => undefined);
      continue;
    }
    if (Date.now() > until) throw new Error(`another Samba DC test run holds ${LOCK} (pid ${owner})`);
    await sleep(250);
  }
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

/** Binary objectSid → S-1-5-21-… */
export function sidToString(sid: Buffer): string {
  const count = sid.readUInt8(1);
  const authority = sid.readUIntBE(2, 6);
  const subs = Array.from({ length: count }, (_, i) => sid.readUInt32LE(8 + 4 * i));
  return ['S', sid.readUInt8(0), authority, ...subs].join('-');
}

async function tool(args: string[]): Promise<void> {
  await run('samba-tool', args, { maxBuffer: 16 * 1024 * 1024 });
}

/** Samba's bindings live in the system Python, whatever python3 comes first on PATH. */
async function python(script: string, args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', script, ...args], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    child.stdin!.end(`${stdin}\n`);
  });
}

/**
 * Offline, on the fresh sam.ldb: no minimum password age (a test changes a password twice in a row),
 * the service account, and its two rights on CN=Users, inherited by user objects: what
 * `samba-tool domain passwordsettings set`, `user create` and `dsacl set` would do. Prints the domain SID.
 */
const SETUP_PY = `
import re, sys
import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_pack, ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB

conf, name, aces = sys.argv[1], sys.argv[2], sys.argv[3]
password = sys.stdin.readline().rstrip('\\n')
lp = LoadParm()
lp.load(conf)
db = SamDB(url=lp.private_path('sam.ldb'), session_info=system_session(), lp=lp)
base = db.domain_dn()
def sid_of(expr):
    return ndr_unpack(security.dom_sid, db.search(base=base, expression=expr, attrs=['objectSid'])[0]['objectSid'][0])
def replace(dn, attr, value):
    m = ldb.Message()
    m.dn = ldb.Dn(db, str(dn))
    m[attr] = ldb.MessageElement(value, ldb.FLAG_MOD_REPLACE, attr)
    db.modify(m)
domain_sid = sid_of('(objectClass=domain)')
replace(base, 'minPwdAge', '0')
db.newuser(name, password)
user_sid = sid_of('(sAMAccountName=%s)' % name)
users = 'CN=Users,%s' % base
desc = ndr_unpack(security.descriptor, db.search(base=users, scope=ldb.SCOPE_BASE, attrs=['nTSecurityDescriptor'])[0]['nTSecurityDescriptor'][0])
sddl = desc.as_sddl(domain_sid)
for ace in re.findall(r'\\(.*?\\)', sddl):
    if 'ID' in ace:
        sddl = sddl.replace(ace, '')
at = sddl.index('(')
sddl = sddl[:at] + aces.replace('{sid}', str(user_sid)) + sddl[at:]
replace(users, 'nTSecurityDescriptor', ndr_pack(security.descriptor.from_sddl(sddl, domain_sid)))
print(domain_sid)
`;

export async function startSambaDc(opts: { lockTimeoutMs?: number } = {}): Promise<SambaDc> {
  await lock(opts.lockTimeoutMs ?? 120_000);
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  try {
    if (await portOpen(636)) throw new Error('port 636 is already in use: another directory server runs on this machine');
    // tmpfs where there is one: the DC's databases sync to disk a lot while provisioning.
    dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'resetbridge-samba-'));
    const d = join(dir, 'dc');
    const conf = join(d, 'etc', 'smb.conf');
    const adminPassword = `Admin-${randomBytes(9).toString('base64url')}-1a`;
    const service = { upn: `svc-reset@${REALM.toLowerCase()}`, dn: `CN=svc-reset,${USERS}`, password: `Svc-${randomBytes(9).toString('base64url')}-1a` };

    await tool([
      'domain', 'provision', `--targetdir=${d}`, `--realm=${REALM}`, '--domain=EXAMPLE', '--server-role=dc', '--dns-backend=NONE',
      `--adminpass=${adminPassword}`, '--option=interfaces = lo', '--option=bind interfaces only = yes',
    ]);
    // One Python run instead of four samba-tool calls (each pays ~0.5 s of start-up).
    const aces = `(OA;CIIO;CR;${RESET_PASSWORD_RIGHT};${USER_CLASS};{sid})(OA;CIIO;WP;${PWD_LAST_SET};${USER_CLASS};{sid})`;
    const domainSid = (await python(SETUP_PY, [conf, 'svc-reset', aces], service.password)).trim();
    if (!/^S-1-5-21-[\d-]+$/.test(domainSid)) throw new Error(`domain setup printed no domain SID: ${domainSid}`);

    const runDir = join(d, 'run');
    await mkdir(runDir, { recursive: true });
    let err = '';
    child = spawn('samba', [
      '-i', '-M', 'single', '-s', conf,
      `--option=log file = ${join(d, 'samba.log')}`, `--option=pid directory = ${runDir}`,
      `--option=ncalrpc dir = ${join(runDir, 'ncalrpc')}`, `--option=winbindd socket directory = ${join(runDir, 'winbindd')}`,
      `--option=ntp signd socket directory = ${join(runDir, 'ntp_signd')}`,
      '--option=server services = ldap',
      // Otherwise the previous password keeps binding for an hour after a change.
      '--option=old password allowed period = 0',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (b: Buffer) => { err = (err + b.toString()).slice(-4000); });
    await writeLockDc(child.pid!);

    const tlsDir = join(d, 'private', 'tls');
    const until = Date.now() + 30_000;
    while (!(existsSync(join(tlsDir, 'ca.pem')) && (await portOpen(636)))) {
      if (child.exitCode !== null) throw new Error(`samba exited with ${child.exitCode}: ${err}`);
      if (Date.now() > until) throw new Error(`samba did not listen on 636 within 30 s (binding ports 389/636 needs root): ${err}`);
      await sleep(50);
    }
    const caCert = await readFile(join(tlsDir, 'ca.pem'), 'utf8');
    const serverName = /CN=([^\n,]+)/.exec(new X509Certificate(await readFile(join(tlsDir, 'cert.pem'))).subject)?.[1];
    if (!serverName) throw new Error('the DC certificate has no CN');
    const tlsOptions = { ca: [caCert], servername: serverName };
    const ldapsUrl = 'ldaps://127.0.0.1:636';

    async function asAdmin<T>(work: (c: Client) => Promise<T>): Promise<T> {
      const c = new Client({ url: ldapsUrl, tlsOptions, timeout: 10_000 });
      try {
        await c.bind(`Administrator@${REALM.toLowerCase()}`, adminPassword);
        return await work(c);
      } finally {
        await c.unbind().catch(() => undefined);
      }
    }

    const seen = await asAdmin((c) => c.search(BASE, { scope: 'base', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] }));
    const sid = seen.searchEntries[0]?.objectSid;
    if (!Buffer.isBuffer(sid) || sidToString(sid) !== domainSid) {
      throw new Error(`the DC on port 636 is not the one just provisioned (expected domain SID ${domainSid})`);
    }

    const dc = child;
    const root = dir;
    return {
      ldapsUrl, ldapUrl: 'ldap://127.0.0.1:389', caCert, serverName, baseDn: BASE, usersDn: USERS, domainSid, service,
      async addUser(name, password, extra = {}, parent = USERS) {
        const dn = `CN=${name},${parent}`;
        await asAdmin(async (c) => {
          await c.add(dn, {
            objectClass: ['top', 'person', 'organizationalPerson', 'user'],
            sAMAccountName: name, userPrincipalName: `${name}@${REALM.toLowerCase()}`, ...extra,
          });
          await c.modify(dn, [
            new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }) }),
            new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['512'] }) }),
          ]);
        });
        return dn;
      },
      async addOu(name) {
        const dn = `OU=${name},${BASE}`;
        await asAdmin((c) => c.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: name }));
        return dn;
      },
      async canBind(dn, password) {
        const c = new Client({ url: ldapsUrl, tlsOptions, timeout: 10_000 });
        try {
          await c.bind(dn, password);
          return true;
        } catch (e) {
          if ((e as { code?: unknown }).code === 49) return false;
          throw e;
        } finally {
          await c.unbind().catch(() => undefined);
        }
      },
      async read(dn, attributes) {
        const { searchEntries } = await asAdmin((c) => c.search(dn, { scope: 'base', attributes }));
        return searchEntries[0] ?? {};
      },
      async stop() {
        await stopProcess(dc);
        await rm(root, { recursive: true, force: true });
        await unlink(LOCK).catch(() => undefined);
      },
    };
  } catch (e) {
    if (child) await stopProcess(child);
    if (dir) await rm(dir, { recursive: true, force: true });
    await unlink(LOCK).catch(() => undefined);
    throw e;
  }
}

async function writeLockDc(pid: number): Promise<void> {
  const fh = await open(LOCK, 'w');
  await fh.writeFile(`${process.pid}\n${pid}\n`);
  await fh.close();
}

async function stopProcess(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
