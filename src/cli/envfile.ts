/**
 * Parser for environment files as systemd's EnvironmentFile= reads them (e.g. /etc/etcd.env on a node).
 * Pure: text in, record out.
 *
 * Accepted: `KEY=VALUE` lines; blank lines; comment lines starting with `#` or `;`; an optional
 * `export ` prefix; spaces around `=`; values unquoted (inner spaces kept, outer spaces trimmed),
 * 'single-quoted' (literal) or "double-quoted" (\" \\ \$ \` escapes); a backslash at the end of a line
 * continues the value on the next line. As in systemd, `#` after a value is part of the value.
 * Later assignments of the same key win.
 */
import { ConfigError } from '../domain/errors.js';

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** Parse an env file. `source` (the file path) prefixes error messages. Throws ConfigError on a malformed line. */
export function parseEnvFile(text: string, source = 'env file'): Record<string, string> {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const out: Record<string, string> = {};
  let pos = 0;
  let line = 1;

  const fail = (lineNo: number, what: string): never => {
    throw new ConfigError(`${source}: line ${lineNo}: ${what}`);
  };

  while (pos < src.length) {
    const startLine = line;
    const eol = src.indexOf('\n', pos);
    const lineEnd = eol === -1 ? src.length : eol;
    const rawLine = src.slice(pos, lineEnd);
    const trimmed = rawLine.trim();

    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      pos = lineEnd + 1;
      line++;
      continue;
    }

    const eq = rawLine.indexOf('=');
    if (eq === -1) {
      fail(startLine, `"${truncate(trimmed)}" is not KEY=VALUE (is this an environment file?)`);
    }
    let key = rawLine.slice(0, eq).trim();
    if (key.startsWith('export ') || key.startsWith('export\t')) key = key.slice(7).trim();
    if (!KEY_RE.test(key)) {
      fail(startLine, `"${truncate(key)}" is not a variable name (letters, digits and _; is this an environment file?)`);
    }

    // Parse the value from just after '=' to the end of the (possibly continued) line.
    pos = pos + eq + 1;
    while (pos < src.length && (src[pos] === ' ' || src[pos] === '\t')) pos++;
    let value = '';
    let keep = 0; // length of value that must not be trimmed (ends after the last non-space or quoted char)
    for (;;) {
      if (pos >= src.length) break;
      const c = src[pos];
      if (c === '\n') {
        pos++;
        line++;
        break;
      }
      if (c === '\\') {
        const n = src[pos + 1];
        if (n === '\n') {
          // Line continuation.
          pos += 2;
          line++;
          continue;
        }
        if (n === undefined) {
          pos++;
          continue;
        }
        value += n;
        keep = value.length;
        pos += 2;
        continue;
      }
      if (c === "'") {
        const close = src.indexOf("'", pos + 1);
        if (close === -1) fail(startLine, `${key}: the single quote is never closed`);
        const chunk = src.slice(pos + 1, close);
        line += countNewlines(chunk);
        value += chunk;
        keep = value.length;
        pos = close + 1;
        continue;
      }
      if (c === '"') {
        pos++;
        let closed = false;
        while (pos < src.length) {
          const d = src[pos];
          if (d === '"') {
            closed = true;
            pos++;
            break;
          }
          if (d === '\\') {
            const n = src[pos + 1];
            if (n === '\n') {
              pos += 2;
              line++;
              continue;
            }
            if (n === '"' || n === '\\' || n === '$' || n === '`') {
              value += n;
              pos += 2;
              continue;
            }
            value += d;
            pos++;
            continue;
          }
          if (d === '\n') line++;
          value += d;
          pos++;
        }
        if (!closed) fail(startLine, `${key}: the double quote is never closed`);
        keep = value.length;
        continue;
      }
      value += c;
      if (c !== ' ' && c !== '\t') keep = value.length;
      pos++;
    }
    out[key] = value.slice(0, keep);
  }
  return out;
}

function countNewlines(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === '\n') n++;
  return n;
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
