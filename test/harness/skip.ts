// Skips that are counted. Node 20 reports a skipped `describe` as one skipped
// suite and never counts the tests inside it, so a run could say "skipped 0"
// while dozens of tests did not run. This module's `describe` takes the same
// `{ skip: reason }` option but hands the reason down to every test inside
// (nested describes too): each of them is reported as skipped, with the reason,
// and scripts/test.sh counts them per tier (and fails CI on them). The suite's
// hooks (before/after/beforeEach/afterEach) are not registered while a reason
// holds, so a cluster or an sshd is never started for tests that will not run.
//
// Use: `import { after, before, describe, test } from '../harness/skip.js';`
// in place of node:test's, and `{ skip: someSkipReason() }` on a describe or a
// test. A reason is a string (undefined/false/'' = run). toolSkipReason(cmd)
// gives the reason for a missing command.
import * as nodeTest from 'node:test';
import { execFileSync } from 'node:child_process';

type Fn = (...args: never[]) => unknown;
type Options = { skip?: boolean | string; todo?: boolean | string; timeout?: number; concurrency?: number | boolean; only?: boolean; signal?: AbortSignal };

/** Reasons of the enclosing skipped describes, innermost last (describe callbacks run synchronously). */
const reasons: string[] = [];

function reasonOf(skip: boolean | string | undefined): string | undefined {
  if (skip === true) return 'skipped (no reason given)';
  if (typeof skip === 'string' && skip !== '') return skip;
  return undefined;
}

function split(a: unknown, b: unknown, c: unknown): { name: string | undefined; options: Options; fn: Fn | undefined } {
  const args = [a, b, c].filter((x) => x !== undefined);
  let name: string | undefined;
  let options: Options = {};
  let fn: Fn | undefined;
  for (const x of args) {
    if (typeof x === 'string') name = x;
    else if (typeof x === 'function') fn = x as Fn;
    else if (x && typeof x === 'object') options = x as Options;
  }
  return { name, options, fn };
}

function testImpl(a?: unknown, b?: unknown, c?: unknown): Promise<void> {
  const { name, options, fn } = split(a, b, c);
  const outer = reasons[reasons.length - 1];
  const opts: Options = outer ? { ...options, skip: outer } : options;
  return (nodeTest.test as unknown as (n: string | undefined, o: Options, f?: Fn) => Promise<void>)(name, opts, fn);
}
/** node:test's `test`, skipped with the enclosing describe's reason when there is one. */
export const test = testImpl as unknown as typeof nodeTest.test;
export const it = test;

function describeImpl(a?: unknown, b?: unknown, c?: unknown): Promise<void> {
  const { name, options, fn } = split(a, b, c);
  const own = reasonOf(options.skip);
  const { skip: _skip, ...rest } = options;
  void _skip;
  const body = (...args: unknown[]): unknown => {
    const reason = reasons[reasons.length - 1] ?? own;
    if (reason) reasons.push(reason);
    try {
      return (fn as ((...x: unknown[]) => unknown) | undefined)?.(...args);
    } finally {
      if (reason) reasons.pop();
    }
  };
  return (nodeTest.describe as unknown as (n: string | undefined, o: Options, f: Fn) => Promise<void>)(name, rest, body as Fn);
}

/** node:test's `describe`, whose `skip` reason is handed to every test inside instead of hiding them. */
export const describe = describeImpl as unknown as typeof nodeTest.describe;

function hook(kind: 'before' | 'after' | 'beforeEach' | 'afterEach') {
  return (fn: Fn, options?: { timeout?: number; signal?: AbortSignal }): void => {
    if (reasons.length > 0) return; // every test of this suite is skipped: nothing to set up
    (nodeTest[kind] as unknown as (f: Fn, o?: unknown) => void)(fn, options);
  };
}
export const before = hook('before') as unknown as typeof nodeTest.before;
export const after = hook('after') as unknown as typeof nodeTest.after;
export const beforeEach = hook('beforeEach') as unknown as typeof nodeTest.beforeEach;
export const afterEach = hook('afterEach') as unknown as typeof nodeTest.afterEach;

const toolCache = new Map<string, string | undefined>();
/** Why a command is missing from PATH (and /usr/sbin, /sbin), or undefined when it is there. */
export function toolSkipReason(command: string, why = ''): string | undefined {
  if (!toolCache.has(command)) {
    let found: string | undefined;
    try {
      found = execFileSync('sh', ['-c', 'PATH="$PATH:/usr/sbin:/sbin"; command -v "$1"', 'sh', command], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      found = undefined;
    }
    toolCache.set(command, found);
  }
  if (toolCache.get(command)) return undefined;
  return `${command} is not installed${why ? ` (${why})` : ''}; scripts/install-deps.sh installs it`;
}
