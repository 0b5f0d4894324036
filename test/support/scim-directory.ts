// The user store behind the test SCIM server: what scimmy's ingress/egress/degress handlers read and write.
// Passwords are kept only as scrypt hashes; the policy (length, history) is enforced on every write.
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import SCIMMY from 'scimmy';

export interface ScimUserSeed {
  userName: string;
  password?: string;
  emails?: string[];
  externalId?: string;
}

/** The server's switches; all can change while it runs. */
export interface DirectoryOptions {
  /** Code points a new password needs; 0 switches the rule off. */
  minLength?: number;
  /** Earlier passwords refused besides the current one (which is refused whenever this is above 0). */
  historySize?: number;
  /** What /ServiceProviderConfig says about changePassword. */
  changePassword?: boolean;
  /** meta.version on users and If-Match honoured. */
  etag?: boolean;
  /** 'invalidPath' answers PATCH ops with `"path":"password"` like servers that only take the value form. */
  passwordPath?: 'accept' | 'invalidPath';
  /** Repeat the refused password in error details, as careless servers do. */
  echoPassword?: boolean;
  /** Answer searches with every user, as servers without filter support do. */
  ignoreFilter?: boolean;
}

/** What scimmy hands a handler as `resource`. */
export type ScimResource = { id?: string; filter?: unknown };

export interface StoredUser {
  id: string;
  userName: string;
  externalId?: string;
  emails: string[];
  hash?: string;
  history: string[];
  version: number;
  created: string;
  lastModified: string;
}

// ---- passwords: only scrypt hashes are kept (low cost: this is a test peer) ----

const SCRYPT = { N: 1024, r: 8, p: 1 };
const scryptAsync = (pw: string, salt: Buffer) =>
  new Promise<Buffer>((resolve, reject) => scrypt(pw.normalize('NFC'), salt, 32, SCRYPT, (e, k) => (e ? reject(e) : resolve(k))));

async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(16);
  return `${salt.toString('base64')}$${(await scryptAsync(pw, salt)).toString('base64')}`;
}

export async function verifyHash(pw: string, stored: string | undefined): Promise<boolean> {
  const [salt, key] = (stored ?? '').split('$');
  if (!salt || !key) return false;
  return timingSafeEqual(await scryptAsync(pw, Buffer.from(salt, 'base64')), Buffer.from(key, 'base64'));
}

const scimError = (status: number, scimType: string | null, detail: string) => new SCIMMY.Types.Error(status, scimType as string, detail);

export class ScimDirectory {
  readonly users = new Map<string, StoredUser>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly options: Required<DirectoryOptions>) {}

  async add(seed: ScimUserSeed): Promise<string> {
    const now = new Date().toISOString();
    const user: StoredUser = {
      id: randomUUID(), userName: seed.userName, emails: seed.emails ?? [], history: [], version: 1, created: now, lastModified: now,
      ...(seed.externalId !== undefined ? { externalId: seed.externalId } : {}),
      ...(seed.password !== undefined ? { hash: await hashPassword(seed.password) } : {}),
    };
    this.users.set(user.id, user);
    return user.id;
  }

  toScim(u: StoredUser): Record<string, unknown> {
    return {
      id: u.id, userName: u.userName, ...(u.externalId !== undefined ? { externalId: u.externalId } : {}),
      ...(u.emails.length ? { emails: u.emails.map((value, i) => ({ value, type: 'work', primary: i === 0 })) } : {}),
      meta: { created: u.created, lastModified: u.lastModified, ...(this.options.etag ? { version: versionTag(u) } : {}) },
    };
  }

  egress(resource: ScimResource, literals: Map<string, string>): Record<string, unknown> | Array<Record<string, unknown>> {
    if (resource.id !== undefined) {
      const user = this.users.get(resource.id);
      if (!user) throw scimError(404, null, `Resource ${resource.id} not found`);
      return this.toScim(user);
    }
    const all = [...this.users.values()];
    if (!resource.filter) return all.map((u) => this.toScim(u));
    // scimmy compares strings exactly; userName and emails are case-insensitive (RFC 7643 §4.1), so both
    // sides of those comparisons are lower-cased first.
    const shadows = all.map((u) => ({
      id: u.id, userName: u.userName.toLowerCase(), externalId: u.externalId, emails: u.emails.map((v) => ({ value: v.toLowerCase() })),
    }));
    const expression = rewriteFilter(resource.filter, [], literals);
    const hits = new Set(new SCIMMY.Types.Filter(expression).match(shadows).map((s: { id: string }) => s.id));
    return all.filter((u) => hits.has(u.id)).map((u) => this.toScim(u));
  }

  ingress(resource: ScimResource, instance: Record<string, unknown>): Promise<Record<string, unknown>> {
    // One write at a time: the policy check and the hash swap must not interleave.
    const work = this.#queue.then(() => this.#write(resource, instance));
    this.#queue = work.catch(() => undefined);
    return work;
  }

  async #write(resource: ScimResource, instance: Record<string, unknown>): Promise<Record<string, unknown>> {
    const password = typeof instance.password === 'string' ? instance.password : undefined;
    const emails = Array.isArray(instance.emails) ? instance.emails.map((e: { value?: unknown }) => String(e.value ?? '')).filter(Boolean) : undefined;
    if (resource.id === undefined) {
      const userName = String(instance.userName);
      if ([...this.users.values()].some((u) => u.userName.toLowerCase() === userName.toLowerCase())) {
        throw scimError(409, 'uniqueness', 'userName is already in use');
      }
      if (password !== undefined) this.#checkLength(password);
      const id = await this.add({ userName, ...(password !== undefined ? { password } : {}), ...(emails ? { emails } : {}),
        ...(typeof instance.externalId === 'string' ? { externalId: instance.externalId } : {}) });
      return this.toScim(this.users.get(id)!);
    }
    const user = this.users.get(resource.id);
    if (!user) throw scimError(404, null, `Resource ${resource.id} not found`);
    if (password !== undefined) await this.#setPassword(user, password);
    if (typeof instance.userName === 'string') user.userName = instance.userName;
    if (emails) user.emails = emails;
    if (typeof instance.externalId === 'string') user.externalId = instance.externalId;
    this.touch(user);
    return this.toScim(user);
  }

  #said(password: string) {
    return this.options.echoPassword ? ` ("${password}")` : '';
  }

  #checkLength(password: string): void {
    const min = this.options.minLength;
    if (min > 0 && [...password].length < min) {
      throw scimError(400, 'invalidValue', `The password${this.#said(password)} is too short: it must be at least ${min} characters long.`);
    }
  }

  async #setPassword(user: StoredUser, password: string): Promise<void> {
    this.#checkLength(password);
    const n = this.options.historySize;
    if (n > 0) {
      const recent = [user.hash, ...user.history.slice(0, n)];
      const used = await Promise.all(recent.map((h) => verifyHash(password, h)));
      if (used.some(Boolean)) {
        throw scimError(400, 'invalidValue',
          `The password${this.#said(password)} was used before: it must differ from the current and the last ${n} passwords.`);
      }
      user.history = user.hash ? [user.hash, ...user.history].slice(0, n) : user.history;
    }
    user.hash = await hashPassword(password);
  }

  touch(user: StoredUser): void {
    user.version += 1;
    user.lastModified = new Date().toISOString();
  }

  remove(id: string): void {
    if (!this.users.delete(id)) throw scimError(404, null, `Resource ${id} not found`);
  }
}

export const versionTag = (u: StoredUser) => `W/"${u.version}"`;

/** Copies scimmy's parsed filter, putting the decoded literals back and lower-casing case-insensitive sides. */
function rewriteFilter(node: unknown, path: string[], literals: Map<string, string>): unknown {
  if (Array.isArray(node)) {
    if (node.every(Array.isArray) || node.every((n) => typeof n === 'object' && n !== null)) {
      return node.map((n) => rewriteFilter(n, path, literals));
    }
    const caseless = ['username', 'emails.value'].includes(path.join('.').toLowerCase());
    return node.map((v, i) => {
      if (i !== node.length - 1 || typeof v !== 'string' || node.length < 2) return v;
      const value = literals.get(v) ?? v;
      return caseless ? value.toLowerCase() : value;
    });
  }
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewriteFilter(v, [...path, k], literals)]));
  }
  return node;
}

/**
 * scimmy's filter lexer neither understands `\"` nor unescapes strings, though RFC 7644 §3.4.2.2 makes them
 * JSON strings. Each literal is decoded here and replaced by a plain token that egress maps back.
 */
export function decodeLiterals(filter: string): { filter: string; literals: Map<string, string> } {
  const literals = new Map<string, string>();
  const tag = `lit${randomBytes(6).toString('hex')}x`;
  const rewritten = filter.replace(/"(?:[^"\\]|\\.)*"/g, (literal) => {
    const token = `${tag}${literals.size}`;
    literals.set(token, JSON.parse(literal) as string);
    return `"${token}"`;
  });
  return { filter: rewritten, literals };
}
