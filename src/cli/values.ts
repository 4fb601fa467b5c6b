/**
 * The value parsers of the command line, shared with the environment, env-file and contexts layers:
 * durations, sizes, counts, booleans, endpoints, user:password. Pure; every bad value throws one
 * ConfigError line: which value, what is wrong, what to do.
 */
import { ConfigError } from '../domain/errors.js';

/** Shortest refresh interval accepted: faster polling only loads the cluster. */
export const MIN_REFRESH_MS = 100;

/** Split etcdctl's `user:password` form. A value without ":" is a bare user name. */
export function splitUserPassword(text: string, label: string): { user: string; password?: string } {
  const colon = text.indexOf(':');
  if (colon === -1) return { user: text };
  const user = text.slice(0, colon);
  if (user === '') {
    throw new ConfigError(`${label}: no user name before ":" (write NAME or NAME:PASSWORD, e.g. root)`);
  }
  return { user, password: text.slice(colon + 1) };
}

/** Parse `true`/`false` (also for `--flag=value` booleans). */
export function parseBool(text: string, label: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw new ConfigError(`${label}: "${text}" is not true or false`);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parse a duration into milliseconds: `500ms`, `2s`, `1.5s`, `1m`, `1h30m`; a bare number is seconds.
 * Must be greater than zero (and at least `minMs` when given).
 */
export function parseDuration(text: string, flagName: string, opts: { minMs?: number } = {}): number {
  const t = text.trim();
  const bad = () => new ConfigError(`${flagName}: "${text}" is not a duration (examples: 500ms, 1s, 2m)`);
  if (t.startsWith('-')) {
    throw new ConfigError(`${flagName}: "${text}" must be greater than zero (examples: 500ms, 1s, 2m)`);
  }
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(t)) {
    ms = Number(t) * 1000;
  } else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) {
    ms = 0;
    for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
      ms += Number(m[1]) * DURATION_UNITS[m[2]];
    }
  } else {
    throw bad();
  }
  ms = Math.round(ms);
  if (!Number.isFinite(ms) || ms > 2_147_483_647) {
    throw new ConfigError(`${flagName}: "${text}" is too long (at most 24 days)`);
  }
  if (ms <= 0) {
    throw new ConfigError(`${flagName}: "${text}" must be greater than zero (examples: 500ms, 1s, 2m)`);
  }
  if (opts.minMs !== undefined && ms < opts.minMs) {
    throw new ConfigError(`${flagName}: "${text}" is too short (at least ${formatDuration(opts.minMs)})`);
  }
  return ms;
}

/** Format milliseconds in the shortest exact form parseDuration reads back: 1m, 2s, 500ms. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 2 ** 10,
  kib: 2 ** 10,
  mi: 2 ** 20,
  mib: 2 ** 20,
  gi: 2 ** 30,
  gib: 2 ** 30,
  ti: 2 ** 40,
  tib: 2 ** 40,
};

/**
 * Parse a size into bytes: plain bytes (`8589934592`), binary units (`16MiB`, `2GiB`, `8Gi`) or
 * decimal units (`16MB`, `8G`, `8GB` = 8e9, the way etcd itself prints sizes). Case-insensitive.
 */
export function parseSize(text: string, flagName: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const factor = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || factor === undefined) {
    throw new ConfigError(`${flagName}: "${text}" is not a size (examples: 8GiB, 2GB, 16MiB, 8589934592)`);
  }
  const bytes = Math.round(Number(m[1]) * factor);
  if (bytes <= 0) {
    throw new ConfigError(`${flagName}: "${text}" must be greater than zero (examples: 8GiB, 2GB, 16MiB)`);
  }
  if (!Number.isSafeInteger(bytes)) {
    throw new ConfigError(`${flagName}: "${text}" is too large`);
  }
  return bytes;
}

/** Format bytes in the shortest exact binary form parseSize reads back: 8GiB, 16MiB, 1000. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

export function parseCount(text: string, flagName: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new ConfigError(`${flagName}: "${text}" is not a whole number (example: ${flagName} 3)`);
  }
  const n = Number(text.trim());
  if (n < 1) throw new ConfigError(`${flagName}: "${text}" must be at least 1 (example: ${flagName} 3)`);
  return n;
}

const ENDPOINT_RE = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d+))?(\/?)$/i;

/**
 * Validate one endpoint URL and normalize it to `scheme://host:port` (lower-case scheme, no trailing slash).
 * Requires http:// or https://, a host and a port.
 */
export function parseEndpoint(text: string, label: string): string {
  const t = text.trim();
  const example = 'example: https://10.0.0.1:2379';
  if (!t.includes('://')) {
    if (/^[^\s/]+:\d+$/.test(t)) {
      throw new ConfigError(`${label}: "${t}" has no scheme (write https://${t}, or http://${t} without TLS)`);
    }
    throw new ConfigError(`${label}: "${t}" is not a URL with http:// or https:// (${example})`);
  }
  if (/^[a-z]+:\/\/[^/@]*@/i.test(t)) {
    throw new ConfigError(`${label}: credentials in URLs are not supported (${t.replace(/\/\/[^/@]*@/, '//***@')}): drop them from the URL and pass --user NAME (the password is asked for, or comes from ETCDCTL_PASSWORD)`);
  }
  const m = ENDPOINT_RE.exec(t);
  const scheme = m?.[1].toLowerCase();
  if (!m || (scheme !== 'http' && scheme !== 'https')) {
    if (/^https?:\/\/[^/]*\/./i.test(t)) {
      const origin = /^(https?:\/\/[^/]*)/i.exec(t)?.[1] ?? t;
      throw new ConfigError(`${label}: "${t}" must not have a path (write ${origin})`);
    }
    throw new ConfigError(`${label}: "${t}" is not a URL with http:// or https:// (${example})`);
  }
  const host = m[2].toLowerCase();
  if (m[3] === undefined) {
    throw new ConfigError(`${label}: "${t}" has no port (example: ${scheme}://${host}:2379)`);
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) {
    throw new ConfigError(`${label}: "${t}" has a bad port (use 1-65535, e.g. ${scheme}://${host}:2379)`);
  }
  return `${scheme}://${host}:${port}`;
}

/**
 * Parse a comma-separated endpoint list (or a list of URLs), validate each, drop duplicates,
 * and refuse a mix of http:// and https://.
 */
export function parseEndpoints(input: string | readonly string[], label: string): string[] {
  const parts = typeof input === 'string' ? input.split(',') : input;
  const out = dedupe(parts.map((p) => p.trim()).filter((p) => p !== '').map((p) => parseEndpoint(p, label)));
  if (out.length === 0) {
    throw new ConfigError(`${label}: no endpoints given (example: https://10.0.0.1:2379,https://10.0.0.2:2379)`);
  }
  checkSchemes(out, label);
  return out;
}

export function checkSchemes(endpoints: readonly string[], label: string): void {
  const https = endpoints.filter((e) => e.startsWith('https://'));
  const http = endpoints.filter((e) => e.startsWith('http://'));
  if (https.length > 0 && http.length > 0) {
    throw new ConfigError(
      `${label}: mixes https:// and http:// (${https[0]}, ${http[0]}): use https:// for all endpoints, or http:// for all`,
    );
  }
}

export function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}
