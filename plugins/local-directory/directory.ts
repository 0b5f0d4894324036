// The thin client seam: file I/O and password hashing for the demo's own directory.
// It knows nothing about the adapter contract; index.ts maps its failures to error classes.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { access, constants, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JSONFile } from 'lowdb/node';

export interface DirectoryEntry {
  id: string;
  login: string;
  email: string;
  externalId?: string;
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
  passwordHash: string;
  /** Earlier password hashes, most recent first. */
  history: string[];
}

export interface DirectoryData {
  entries: DirectoryEntry[];
}

export interface SeedEntry {
  id: string;
  login: string;
  email: string;
  externalId?: string;
  password?: string;
}

// One of OWASP's equivalent minimum settings for scrypt (N=2^14, r=8, p=5): 16 MiB and ~0.2 s per hash.
// The parameters travel in each hash, so raising them later keeps old hashes readable.
const SCRYPT = { N: 16384, r: 8, p: 5, keyLength: 32 };

function scryptAsync(password: string, salt: Buffer, p: { N: number; r: number; p: number; keyLength: number }): Promise<Buffer> {
  const maxmem = 256 * p.N * p.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, p.keyLength, { N: p.N, r: p.r, p: p.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const formatHash = (salt: Buffer, key: Buffer) =>
  ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return formatHash(salt, await scryptAsync(password, salt, SCRYPT));
}

/**
 * A well-formed hash of no known password: random bytes in place of the key. As safe as hashing a random
 * password, without 0.2 s of scrypt for each of the demo's thousand seeded entries.
 */
export function unusableHash(): string {
  return formatHash(randomBytes(16), randomBytes(SCRYPT.keyLength));
}

/** False for a wrong password and for a hash this code cannot read (it can never match). */
export async function verifyHash(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  // Bounds, so a tampered file cannot make one check allocate gigabytes.
  const sane = (v: number, max: number) => Number.isInteger(v) && v > 0 && v <= max;
  if (!sane(params.N, 2 ** 20) || !sane(params.r, 32) || !sane(params.p, 16)) return false;
  const expected = Buffer.from(hash, 'base64');
  if (expected.length === 0) return false;
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), { ...params, keyLength: expected.length });
  return timingSafeEqual(actual, expected);
}

/** The file is missing or is not a directory file: the operator has to fix it. */
export class DirectoryFileError extends Error {
  constructor(message: string, readonly kind: 'MISSING' | 'MALFORMED') {
    super(message);
    this.name = 'DirectoryFileError';
  }
}

export class DirectoryFile {
  readonly #store: JSONFile<DirectoryData>;
  // Writes are read-modify-write; chaining them keeps two updates in this process from losing one.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {
    this.#store = new JSONFile<DirectoryData>(file);
  }

  /** Each call reads the file afresh, so edits by the seed command are seen without a restart. */
  async read(): Promise<DirectoryData> {
    let data: DirectoryData | null;
    try {
      data = await this.#store.read();
    } catch (e) {
      if (e instanceof SyntaxError) throw new DirectoryFileError(`The directory file ${this.file} is not valid JSON.`, 'MALFORMED');
      throw e;
    }
    if (data === null) throw new DirectoryFileError(`The directory file ${this.file} does not exist.`, 'MISSING');
    if (!Array.isArray(data.entries)) {
      throw new DirectoryFileError(`The directory file ${this.file} has no "entries" list.`, 'MALFORMED');
    }
    return data;
  }

  async find(match: (entry: DirectoryEntry) => boolean): Promise<DirectoryEntry[]> {
    return (await this.read()).entries.filter(match);
  }

  async findById(id: string): Promise<DirectoryEntry | undefined> {
    return (await this.read()).entries.find((e) => e.id === id);
  }

  /** Runs `change` on a fresh copy of the data and resolves only once the result is on disk. */
  update<T>(change: (data: DirectoryData) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      const data = await this.read();
      const result = await change(data);
      await this.#writeDurably(data);
      return result;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Throws the file-system error when the file cannot be read and replaced. */
  async checkAccess(): Promise<number> {
    await access(this.file, constants.R_OK | constants.W_OK);
    // The write goes to a temporary file beside it and is renamed over it, so the folder must be writable too.
    await access(dirname(this.file), constants.W_OK);
    return (await this.read()).entries.length;
  }

  async write(data: DirectoryData): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await this.#writeDurably(data);
  }

  // lowdb replaces the file atomically (temp file + rename) but does not fsync, so a crash right after a
  // password change could bring back the old one: flush the file and the rename ourselves.
  async #writeDurably(data: DirectoryData): Promise<void> {
    await this.#store.write(data);
    await fsync(this.file, 'r+');
    await fsync(dirname(this.file), 'r').catch(() => undefined); // some platforms cannot fsync a folder
  }
}

async function fsync(path: string, flags: string): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates or overwrites `file` with these entries. An entry without a password gets a hash no password matches. */
export async function seedDirectory(file: string, entries: SeedEntry[]): Promise<void> {
  const ids = new Set<string>();
  for (const e of entries) {
    if (ids.has(e.id)) throw new Error(`seedDirectory: duplicate id "${e.id}"`);
    ids.add(e.id);
  }
  // Hashes run on libuv's thread pool, so they can overlap.
  const out = await Promise.all(entries.map(async (e): Promise<DirectoryEntry> => ({
    id: e.id,
    login: e.login,
    email: e.email,
    ...(e.externalId !== undefined ? { externalId: e.externalId } : {}),
    passwordHash: e.password === undefined ? unusableHash() : await hashPassword(e.password),
    history: [],
  })));
  await new DirectoryFile(file).write({ entries: out });
}

/** Reads the raw file without going through lowdb, e.g. for tests that check what reached the disk. */
export async function readDirectoryFile(file: string): Promise<DirectoryData> {
  return JSON.parse(await readFile(file, 'utf8')) as DirectoryData;
}
