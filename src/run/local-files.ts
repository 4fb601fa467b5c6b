/** The local file port of the flows: which paths exist, write a file with a mode. The real one (node:fs); tests may pass another. */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface FilePort {
  /** Which of these paths exist. */
  existing(paths: string[]): string[];
  /** Write text to a file with this mode (replaces it). */
  write(path: string, text: string, mode: number): void;
  /** A path made absolute against the working directory. */
  resolve(path: string): string;
  /** The directory files are written to by default (the working directory). */
  cwd(): string;
}

export const localFiles: FilePort = {
  existing: (paths) => paths.filter((p) => existsSync(p)),
  write: (path, text, mode) => writeFileSync(path, text, { mode }),
  resolve: (path) => resolve(path),
  cwd: () => process.cwd(),
};
