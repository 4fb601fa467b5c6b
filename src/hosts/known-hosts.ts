/**
 * OpenSSH known_hosts: parsing, matching a presented host key, fingerprints, appending a new line.
 * Pure functions over the file's text, plus two small file helpers (read, append). The format is the
 * one of sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT": optional marker (@cert-authority, @revoked), host
 * patterns (comma-separated, `*` `?` wildcards, `!` negation, `[host]:port` for ports other than 22) or
 * one hashed name (`|1|base64 salt|base64 HMAC-SHA1(salt, name)`), key type, base64 key, comment.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** The names a known_hosts line applies to. */
export type KnownHostNames =
  | { kind: 'patterns'; patterns: string[] }
  | { kind: 'hashed'; salt: Buffer; hash: Buffer };

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: 'cert-authority' | 'revoked';
  names: KnownHostNames;
  /** ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa ... */
  keyType: string;
  /** The SSH wire-format public key (what the base64 field decodes to). */
  keyBlob: Buffer;
}

/** What known_hosts says about a key that a host presents. */
export type HostKeyCheck =
  | { status: 'trusted' }
  | { status: 'unknown' }
  | { status: 'changed'; known: Array<{ keyType: string; fingerprint: string; line: number }> }
  | { status: 'revoked' };

const HASH_MAGIC = '|1|';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses known_hosts text. Comments, blank lines and lines it cannot read are left out, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const entry = parseLine(lines[i].replace(/\r$/, ''), i + 1);
    if (entry) entries.push(entry);
  }
  return entries;
}

function parseLine(raw: string, line: number): KnownHostEntry | undefined {
  const text = raw.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const fields = text.split(/[ \t]+/);
  let marker: KnownHostEntry['marker'];
  if (fields[0].startsWith('@')) {
    const m = fields.shift();
    if (m === '@cert-authority') marker = 'cert-authority';
    else if (m === '@revoked') marker = 'revoked';
    else return undefined;
  }
  if (fields.length < 3) return undefined; // also drops SSH1 lines (bits exponent modulus)
  const [hostField, keyType, keyBase64] = fields;
  if (!BASE64.test(keyBase64)) return undefined;
  const keyBlob = Buffer.from(keyBase64, 'base64');
  // The key names its own type; a line whose type field disagrees is corrupt.
  if (keyBlobType(keyBlob) !== keyType) return undefined;
  const names = parseNames(hostField);
  if (!names) return undefined;
  return { line, ...(marker ? { marker } : {}), names, keyType, keyBlob };
}

function parseNames(field: string): KnownHostNames | undefined {
  if (field.startsWith(HASH_MAGIC)) {
    const parts = field.slice(HASH_MAGIC.length).split('|');
    if (parts.length !== 2 || !BASE64.test(parts[0]) || !BASE64.test(parts[1])) return undefined;
    const salt = Buffer.from(parts[0], 'base64');
    const hash = Buffer.from(parts[1], 'base64');
    if (salt.length !== 20 || hash.length !== 20) return undefined;
    return { kind: 'hashed', salt, hash };
  }
  const patterns = field.split(',').filter((p) => p !== '');
  return patterns.length > 0 ? { kind: 'patterns', patterns } : undefined;
}

/** The type name at the start of an SSH public key blob (its first SSH string), or undefined. */
export function keyBlobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** `SHA256:<base64 without padding>` of a public key blob, as `ssh-keygen -lf` prints it. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${crypto.createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise; lower case. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** OpenSSH's match_pattern: `*` any run of characters, `?` any one character, the whole string. */
function globMatch(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === text[t]))) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** OpenSSH's match_hostname: some positive pattern matches and no negated one does. */
function patternsMatch(name: string, patterns: string[]): boolean {
  let positive = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (globMatch(name, pattern)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** HMAC-SHA1(key = salt, message = name), the hashed form of a known_hosts name. */
function hashName(salt: Buffer, name: string): Buffer {
  return crypto.createHmac('sha1', salt).update(name).digest();
}

/** True when the entry applies to host:port. */
export function entryMatches(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostName(host, port);
  if (entry.names.kind === 'hashed') return crypto.timingSafeEqual(hashName(entry.names.salt, name), entry.names.hash);
  return patternsMatch(name, entry.names.patterns);
}

/**
 * What known_hosts says about the key host:port presents. @cert-authority lines are ignored (no
 * certificates here); a key on a matching @revoked line is refused.
 *
 * Stricter than OpenSSH on purpose: when the host has any key in known_hosts and none equals the
 * presented one, the result is 'changed', even when the known keys are of another type. OpenSSH would
 * treat a key of a new type as unknown and ask; a console that replaces etcd members unattended
 * should stop instead (the gateway first asks the host for the key types it is known by, so a host
 * that still has its old key is not reported as changed).
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyCheck {
  const matching = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, host, port));
  const same = (e: KnownHostEntry): boolean => e.keyType === keyType && e.keyBlob.equals(keyBlob);
  if (matching.some((e) => e.marker === 'revoked' && same(e))) return { status: 'revoked' };
  const plain = matching.filter((e) => e.marker === undefined);
  if (plain.some(same)) return { status: 'trusted' };
  if (plain.length > 0) {
    return {
      status: 'changed',
      known: plain.map((e) => ({ keyType: e.keyType, fingerprint: fingerprint(e.keyBlob), line: e.line })),
    };
  }
  return { status: 'unknown' };
}

/** Key types known_hosts has for host:port (plain lines only), in file order, without repeats. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types: string[] = [];
  for (const e of entries) {
    if (e.marker === undefined && entryMatches(e, host, port) && !types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/** One known_hosts line (without newline) for host:port; hashed with a fresh salt when asked. */
export function knownHostLine(host: string, port: number, keyType: string, keyBlobBase64: string, opts: { hash?: boolean } = {}): string {
  if (!/^[^\s,#|[\]!*?]+$/.test(host)) throw new RangeError(`cannot write a known_hosts line for host ${JSON.stringify(host)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`bad port ${port}`);
  if (!/^[\x21-\x7e]+$/.test(keyType)) throw new RangeError(`bad key type ${JSON.stringify(keyType)}`);
  if (!BASE64.test(keyBlobBase64) || keyBlobType(Buffer.from(keyBlobBase64, 'base64')) !== keyType) {
    throw new RangeError(`the key is not a base64 ${keyType} public key`);
  }
  const name = knownHostName(host, port);
  let names = name;
  if (opts.hash) {
    const salt = crypto.randomBytes(20);
    names = `${HASH_MAGIC}${salt.toString('base64')}|${hashName(salt, name).toString('base64')}`;
  }
  return `${names} ${keyType} ${keyBlobBase64}`;
}

/** The entries of a known_hosts file; a missing file has none. */
export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await fs.readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Appends one line for host:port to a known_hosts file and returns it. Creates the file (mode 0600)
 * and its directory (0700) when missing; never rewrites what is there (a last line without a newline
 * gets one first).
 */
export async function appendKnownHost(
  file: string,
  host: string,
  port: number,
  keyType: string,
  keyBlobBase64: string,
  opts: { hash?: boolean } = {},
): Promise<string> {
  const line = knownHostLine(host, port, keyType, keyBlobBase64, opts);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const handle = await fs.open(file, 'a+', 0o600);
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    // One write of the whole line: O_APPEND keeps it in one piece next to other writers.
    await handle.write(`${prefix}${line}\n`);
  } finally {
    await handle.close();
  }
  return line;
}
