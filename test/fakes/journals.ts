/** Run journals written as a run that died would leave them (kill -9: no end record), for the undo tests. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { JournalRecord } from '../../src/run/journal.js';
import type { UndoSpec } from '../../src/run/undo-spec.js';

/** A pid no process has now: a child that has exited (reaped). */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid ?? 999_999;
}

export interface DeadRun {
  id: string;
  path: string;
}

/**
 * Writes `<dir>/<id>.jsonl`: a run of `flow` on `context` whose process is gone, with its steps done
 * (each with the undo it recorded) and no end record.
 */
export function writeDeadRun(dir: string, opts: { context: string; flow?: string; title?: string; started?: Date; steps: Array<{ title: string; undo?: { title: string; spec: UndoSpec } }>; pid?: number; cutAtLast?: boolean }): DeadRun {
  const started = opts.started ?? new Date();
  const flow = opts.flow ?? 'add-learner';
  const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const id = `${flow}-${stamp}-${Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0')}`;
  const time = started.toISOString();
  const records: JournalRecord[] = [
    { t: 'start', run: id, time, context: opts.context, flow, title: opts.title ?? `${flow} (test)`, args: {}, steps: opts.steps.map((s) => s.title), pid: opts.pid ?? deadPid(), host: hostname(), user: 'root' },
  ];
  let n = 0;
  opts.steps.forEach((s, i) => {
    records.push({ t: 'step', i, state: 'start', time });
    if (s.undo) records.push({ t: 'undo', n: ++n, title: s.undo.title, spec: s.undo.spec, time });
    if (!(opts.cutAtLast && i === opts.steps.length - 1)) records.push({ t: 'step', i, state: 'done', time });
  });
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${id}.jsonl`);
  writeFileSync(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n', { mode: 0o600 });
  return { id, path };
}
