/**
 * No import cycles in src/ and screens/, type-only imports included (a type cycle is where a real one
 * starts): the sources are read, every relative import resolved, and the graph's strongly connected
 * components listed. Break a cycle with a types module (src/run/types.ts, src/commands/types.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../harness/binaries.js';

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"](\.{1,2}\/[^'"]+)['"]/g;
const DYNAMIC_RE = /import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) if (existsSync(candidate)) return candidate;
  return undefined;
}

/** Edges of the import graph (file -> files it imports), relative to the repo root. */
export function importGraph(root: string): Map<string, string[]> {
  const files = [...sources(join(root, 'src')), ...sources(join(root, 'screens'))];
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const deps = new Set<string>();
    for (const re of [IMPORT_RE, DYNAMIC_RE]) {
      for (const m of text.matchAll(re)) {
        const target = resolveImport(f, m[1]);
        if (target) deps.add(relative(root, target));
      }
    }
    graph.set(relative(root, f), [...deps]);
  }
  return graph;
}

/** Tarjan: the strongly connected components with more than one file (or a file importing itself). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('the cycle check finds a cycle (two files importing each other, also by type)', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  assert.deepEqual(cycles(graph), [['a.ts', 'b.ts', 'c.ts']]);
  assert.match("import type { X } from './x.js';", new RegExp(IMPORT_RE.source));
});

test('no import cycle in src/ and screens/ (type-only imports count)', () => {
  const graph = importGraph(repoRoot());
  assert.ok(graph.size > 50, `only ${graph.size} source files found`);
  assert.ok((graph.get('src/run/executor.ts') ?? []).includes('src/run/actions.ts'), 'the import graph misses the executor -> actions edge');
  const found = cycles(graph);
  assert.deepEqual(found, [], `import cycles (break each with a types module):\n${found.map((c) => c.join(' <-> ')).join('\n')}`);
});
