/**
 * Rewriting the contexts file after a run changed what it describes (config set's settings, a CA
 * change's TLS files): the context found by name in the YAML document (comments and the other contexts
 * kept), the old file copied aside first (never over an existing file), the new text written beside it
 * and renamed over (atomic), the file's mode kept.
 */
import { chmodSync, constants, copyFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';

/** The context named `name` in a parsed contexts file, or undefined. */
export function contextNode(doc: YAML.Document, name: string): YAML.YAMLMap | undefined {
  const contexts = doc.get('contexts');
  const ctx = YAML.isSeq(contexts) ? contexts.items.find((item) => YAML.isMap(item) && item.get('name') === name) : undefined;
  return YAML.isMap(ctx) ? ctx : undefined;
}

/** Copy `path` to `backup`, never over an existing file; with `numbered`, `-2`, `-3` ... when the name is taken. The backup's path. */
export function copyAside(path: string, backup: string, numbered = false): string {
  for (let i = 1; ; i++) {
    const name = i === 1 ? backup : `${backup}-${i}`;
    try {
      copyFileSync(path, name, constants.COPYFILE_EXCL);
      return name;
    } catch (error) {
      if (!numbered || (error as NodeJS.ErrnoException).code !== 'EEXIST' || i >= 100) throw error;
    }
  }
}

/** Replace `path` by `text` atomically (written beside it, renamed over), keeping its mode. */
export function replaceFile(path: string, text: string): void {
  const mode = statSync(path).mode & 0o777;
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}
