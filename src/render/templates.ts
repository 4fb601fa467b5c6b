/**
 * Handlebars rendering of the files in templates/ (units, env files, scripts: file content only;
 * commands stay argv). noEscape: config files are not HTML; strict: a missing field throws instead of
 * rendering empty. An override directory lets a site keep its own version of a template: a file there
 * with the same name wins, and the result says which file was used.
 */
import Handlebars from 'handlebars';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Render template text with data. Pure: no file access. */
export function renderText(text: string, data: object): string {
  return Handlebars.create().compile(text, { noEscape: true, strict: true })(data);
}

/**
 * The shipped templates/ folder: next to dist/ for the bundle (dist/etcd-tui.js), three levels up for
 * the compiled modules (dist/src/render/templates.js), two for the sources.
 */
export function builtinTemplatesDir(): string {
  const candidates = ['../templates/', '../../../templates/', '../../templates/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((dir) => existsSync(join(dir, 'etcd-defrag.service.hbs')));
  if (!found) throw new Error(`the templates folder was not found (looked in ${candidates.join(', ')})`);
  return found;
}

export interface Rendered {
  /** The rendered file content. */
  text: string;
  /** The template file used. */
  path: string;
  /** True when the file came from the override directory. */
  overridden: boolean;
}

export interface RenderOptions {
  /** A directory whose files replace the shipped templates of the same name. */
  overrideDir?: string;
  /** The shipped templates (default: builtinTemplatesDir()). */
  templatesDir?: string;
}

/** Render templates/NAME (e.g. "etcd-defrag.timer.hbs"), or the override directory's file of that name. */
export function renderTemplate(name: string, data: object, opts: RenderOptions = {}): Rendered {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`template name "${name}" must be a plain file name`);
  const override = opts.overrideDir ? join(opts.overrideDir, name) : undefined;
  const overridden = override !== undefined && existsSync(override);
  const path = overridden ? (override as string) : join(opts.templatesDir ?? builtinTemplatesDir(), name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read template ${path}: ${(error as Error).message}`);
  }
  try {
    return { text: renderText(text, data), path, overridden };
  } catch (error) {
    throw new Error(`template ${path}: ${(error as Error).message}`);
  }
}
