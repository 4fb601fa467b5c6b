/**
 * Handlebars rendering of the files in templates/ (units, env files, scripts: file content only;
 * commands stay argv). noEscape: config files are not HTML; strict: a missing field throws instead of
 * rendering empty. An override directory lets a site keep its own version of a template: a file there
 * with the same name wins, and the result says which file was used.
 */
import Handlebars from 'handlebars';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../domain/errors.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The standalone build (scripts/standalone.mjs) puts the shipped templates into the one file: esbuild
 * replaces this name with an object of file name -> text. Elsewhere it is not defined.
 */
declare const ETCD_TUI_EMBEDDED_TEMPLATES: Record<string, string> | undefined;

function embeddedTemplate(name: string): string | undefined {
  return typeof ETCD_TUI_EMBEDDED_TEMPLATES === 'undefined' ? undefined : ETCD_TUI_EMBEDDED_TEMPLATES[name];
}

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

/**
 * A Handlebars failure as one line with the template's file and line: a syntax error ("Parse error on
 * line 3: ... Expecting ..."), a variable the data does not have (strict mode: `"x" not defined in
 * [object Object] - 3:4`), a missing helper.
 */
export function templateErrorText(path: string, error: unknown, data: object): string {
  const message = error instanceof Error ? error.message : String(error);
  const parse = /^Parse error on line (\d+):[\s\S]*\n(Expecting [^\n]*|[^\n]*)$/.exec(message);
  if (parse) {
    const unclosed = /got 'EOF'/.test(parse[2]) ? ' (a block such as {{#if}} or {{#each}} is not closed?)' : '';
    return `${path}:${parse[1]}: template syntax error: ${parse[2].trim()}${unclosed}`;
  }
  const missing = /^"([^"]+)" not defined in .* - (\d+):(\d+)$/.exec(message);
  if (missing) {
    const known = Object.keys(data).sort();
    return `${path}:${missing[2]}:${Number(missing[3]) + 1}: unknown variable "${missing[1]}" (the template gets: ${known.join(', ') || 'nothing'})`;
  }
  const at = /(?:- |line )(\d+)(?::(\d+))?/.exec(message);
  return `${path}${at ? `:${at[1]}` : ''}: ${message.split('\n')[0]}`;
}

/** The override directory must exist: a typo there would silently render the shipped templates. */
function checkOverrideDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new ConfigError(`templatesDir ${dir} does not exist (create it with your templates, or remove etcd.templatesDir from the context)`);
  }
  if (!isDir) throw new ConfigError(`templatesDir ${dir} is not a directory (it must hold template files named like templates/*.hbs)`);
}

/** Render templates/NAME (e.g. "etcd-defrag.timer.hbs"), or the override directory's file of that name. */
export function renderTemplate(name: string, data: object, opts: RenderOptions = {}): Rendered {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`template name "${name}" must be a plain file name`);
  if (opts.overrideDir) checkOverrideDir(opts.overrideDir);
  const override = opts.overrideDir ? join(opts.overrideDir, name) : undefined;
  const overridden = override !== undefined && existsSync(override);
  const builtIn = !overridden && opts.templatesDir === undefined ? embeddedTemplate(name) : undefined;
  const path = overridden ? (override as string) : builtIn !== undefined ? `(built in)/templates/${name}` : join(opts.templatesDir ?? builtinTemplatesDir(), name);
  let text: string;
  try {
    text = builtIn ?? readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read template ${path}: ${(error as Error).message}`);
  }
  try {
    return { text: renderText(text, data), path, overridden };
  } catch (error) {
    throw new ConfigError(templateErrorText(path, error, data));
  }
}

/**
 * Where rendered files go (`--out DIR`) must be a directory or not exist yet: checked before anything
 * is written, so a file named there is one line and exit 4, not a half-written tree.
 */
export function checkOutputDir(dir: string, flag = '--out'): void {
  let stat;
  try {
    stat = statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new ConfigError(`${flag}: ${dir} is inside a file, not a directory (choose a directory)`);
    throw new ConfigError(`${flag}: cannot use ${dir} (${(error as Error).message})`);
  }
  if (!stat.isDirectory()) throw new ConfigError(`${flag}: ${dir} is a file, not a directory (choose a directory; it is created when missing)`);
}
