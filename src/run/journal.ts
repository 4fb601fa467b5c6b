/**
 * The run journal: a flow run written down locally as it goes, so that a run that died (kill -9, a
 * bastion crash, a closed session) can be finished later with `etcd-tui undo RUN`.
 *
 * One JSON-lines file per run in a state dir next to the audit log (<audit dir>/runs/<RUN>.jsonl),
 * each line written and fsync'd before the process goes on: the start (context, flow, steps), each
 * step's start (before it changes anything) and its end, each undo step the moment it is known (as
 * data, src/run/undo-steps.ts), each undo that was carried out, and the end. A run without an end
 * record, or whose undos are not all done, is unfinished.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Plan, RunEvent } from '../domain/plan.js';
import type { UndoEntry } from './types.js';
import type { UndoSpec } from './undo-spec.js';
import { osUser } from './audit.js';
import { utcStamp } from '../format/stamp.js';

export type JournalRecord =
  | { t: 'start'; run: string; time: string; context: string; flow: string; title: string; args: Record<string, unknown>; steps: string[]; pid: number; host: string; user: string }
  /** `upload`: a remote upload step, so that the temporary files of a cut-off upload can be found. */
  | { t: 'step'; i: number; state: 'start' | 'done' | 'failed'; time: string; error?: string; upload?: { host: string; path: string }; memberAdd?: { name: string; peerURLs: string[] } }
  | { t: 'undo'; n: number; title: string; spec?: UndoSpec; time: string }
  | { t: 'undone'; n: number; ok: boolean; text: string; time: string }
  | { t: 'end'; outcome: string; time: string; by?: string }
  /** A point of no return: the undo entries recorded before it no longer apply. */
  | { t: 'commit'; time: string };

/** <dir of the audit log>/runs. */
export function journalDir(auditPath: string): string {
  return join(dirname(auditPath), 'runs');
}

const RUN_ID = /^[a-z0-9-]+-\d{8}T\d{6}Z-[0-9a-f]{4}$/;

export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}


/** Appends records to a journal file, each one on disk (fsync) before append() returns. */
class JournalFile {
  private fd: number | undefined;
  constructor(readonly path: string) {}

  append(record: JournalRecord): void {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      this.fd = openSync(this.path, 'a', 0o600);
    }
    writeSync(this.fd, JSON.stringify(record) + '\n');
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The journal of one run, as the executor writes it. */
export class RunJournal {
  private undoCount = 0;
  private readonly file: JournalFile;

  private constructor(
    readonly id: string,
    readonly path: string,
    private readonly plan: Plan,
  ) {
    this.file = new JournalFile(path);
  }

  /** Starts the journal of a run of `plan` (writes its start record). */
  static start(dir: string, plan: Plan, context: string, now = new Date()): RunJournal {
    const id = `${plan.flow}-${utcStamp(now)}-${randomBytes(2).toString('hex')}`;
    const journal = new RunJournal(id, join(dir, `${id}.jsonl`), plan);
    journal.file.append({
      t: 'start',
      run: id,
      time: now.toISOString(),
      context,
      flow: plan.flow,
      title: plan.title,
      args: plan.args,
      steps: plan.steps.map((s) => s.title),
      pid: process.pid,
      host: hostname(),
      user: osUser(),
    });
    return journal;
  }

  /** Wraps the executor's event sink: each step's start is on disk before the step runs, then its end. */
  onEvent(inner: (event: RunEvent) => void): (event: RunEvent) => void {
    return (event) => {
      const time = new Date().toISOString();
      if (event.type === 'step-start') {
        const action = this.plan.steps[event.index]?.action;
        const upload = action?.kind === 'remote-upload' ? { host: action.host, path: action.remotePath } : undefined;
        // A member add cut off before its answer came may have gone through: its peer URLs find it.
        const memberAdd = action?.kind === 'member-add' ? { name: action.name, peerURLs: action.peerURLs } : undefined;
        this.file.append({ t: 'step', i: event.index, state: 'start', time, ...(upload ? { upload } : {}), ...(memberAdd ? { memberAdd } : {}) });
      } else if (event.type === 'step-done') {
        this.file.append({ t: 'step', i: event.index, state: 'done', time });
      } else if (event.type === 'step-failed') {
        this.file.append({ t: 'step', i: event.index, state: 'failed', time, error: event.error });
      }
      inner(event);
    };
  }

  /** The run's undo list: each entry is on disk the moment it is added, and again once it was carried out. */
  undoList(): UndoEntry[] {
    return new JournaledUndo(this);
  }

  /** Records an undo entry; returns it with a run() that records its outcome. */
  record(entry: UndoEntry): UndoEntry {
    const n = ++this.undoCount;
    this.file.append({ t: 'undo', n, title: entry.title, ...(entry.spec ? { spec: entry.spec } : {}), time: new Date().toISOString() });
    return {
      ...entry,
      run: async () => {
        try {
          const text = await entry.run();
          this.file.append({ t: 'undone', n, ok: true, text, time: new Date().toISOString() });
          return text;
        } catch (error) {
          this.file.append({ t: 'undone', n, ok: false, text: error instanceof Error ? error.message : String(error), time: new Date().toISOString() });
          throw error;
        }
      },
    };
  }

  /** A point of no return: what was recorded before is not undone, by a rollback or by `etcd-tui undo`. */
  commit(): void {
    this.file.append({ t: 'commit', time: new Date().toISOString() });
  }

  /** The run's end (its outcome); the file is closed. */
  finish(outcome: string): void {
    this.file.append({ t: 'end', outcome, time: new Date().toISOString() });
    this.file.close();
  }
}

/** An undo list whose push() writes to the journal first. */
class JournaledUndo extends Array<UndoEntry> {
  constructor(private readonly journal: RunJournal) {
    super();
  }

  // Array methods that build new arrays (the rollback's [...undo].reverse()) make plain arrays.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  override push(...items: UndoEntry[]): number {
    return super.push(...items.map((e) => this.journal.record(e)));
  }
}

// ---------------------------------------------------------------------------------------------------
// Reading journals back

export interface RunUndo {
  n: number;
  title: string;
  spec?: UndoSpec;
  /** Set once the undo was carried out (ok) or tried (not ok). */
  outcome?: { ok: boolean; text: string };
}

export interface RunSummary {
  id: string;
  path: string;
  context: string;
  flow: string;
  title: string;
  started: string;
  pid: number;
  host: string;
  user: string;
  steps: Array<{ title: string; state: 'pending' | 'running' | 'done' | 'failed'; error?: string }>;
  undo: RunUndo[];
  /** Uploads that started and neither finished nor left an undo: their temporary files may be there. */
  cutUploads: Array<{ host: string; path: string }>;
  /** Member adds that started and left no undo (cut off before etcd's answer): the member may be there. */
  cutMemberAdds: Array<{ name: string; peerURLs: string[] }>;
  /** The end record's outcome, when there is one. */
  ended?: string;
  /** Undo steps not carried out yet (newest last). */
  pending: RunUndo[];
  /** Unfinished: no end record, or undo steps left that failed or never ran. */
  unfinished: boolean;
}

/** Reads one journal file; throws on a file that is not a journal. */
export function readRun(path: string): RunSummary {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const records: JournalRecord[] = [];
  for (const line of lines) {
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      // a line cut off by a crash in the middle of a write: the ones before it stand
    }
  }
  const start = records[0];
  if (start?.t !== 'start') throw new Error(`${path} is not a run journal (no start record)`);
  const steps: RunSummary['steps'] = start.steps.map((title) => ({ title, state: 'pending' }));
  const undo = new Map<number, RunUndo>();
  const uploads = new Map<number, { host: string; path: string }>();
  const adds = new Map<number, { name: string; peerURLs: string[] }>();
  let ended: string | undefined;
  for (const r of records.slice(1)) {
    if (r.t === 'step' && steps[r.i]) {
      steps[r.i].state = r.state === 'start' ? 'running' : r.state;
      if (r.error) steps[r.i].error = r.error;
      if (r.upload && r.state === 'start') uploads.set(r.i, r.upload);
      if (r.memberAdd && r.state === 'start') adds.set(r.i, r.memberAdd);
      if (r.state === 'done') uploads.delete(r.i);
    } else if (r.t === 'undo') {
      undo.set(r.n, { n: r.n, title: r.title, ...(r.spec ? { spec: r.spec } : {}) });
    } else if (r.t === 'undone') {
      const u = undo.get(r.n);
      if (u) u.outcome = { ok: r.ok, text: r.text };
    } else if (r.t === 'end') {
      ended = r.outcome;
    } else if (r.t === 'commit') {
      // Past a point of no return: nothing recorded so far is to be undone.
      undo.clear();
      uploads.clear();
      adds.clear();
    }
  }
  const list = [...undo.values()].sort((a, b) => a.n - b.n);
  // An upload whose cleanup undo is already listed needs no second one.
  const covered = new Set(list.filter((u) => u.spec?.kind === 'upload-leftovers').map((u) => `${u.spec!.kind === 'upload-leftovers' ? u.spec!.host : ''}:${u.spec!.kind === 'upload-leftovers' ? u.spec!.path : ''}`));
  // A run that succeeded keeps what it did: nothing is left to undo.
  const succeeded = ended === 'succeeded';
  const cutUploads = succeeded || ended === 'undone' ? [] : [...uploads.values()].filter((u) => !covered.has(`${u.host}:${u.path}`));
  const pending = succeeded ? [] : list.filter((u) => !u.outcome?.ok);
  const removes = new Set(list.map((u) => (u.spec?.kind === 'member-remove' ? u.spec.name : '')));
  const cutMemberAdds = succeeded || ended === 'undone' ? [] : [...adds.values()].filter((a) => !removes.has(a.name));
  return {
    id: start.run,
    path,
    context: start.context,
    flow: start.flow,
    title: start.title,
    started: start.time,
    pid: start.pid,
    host: start.host,
    user: start.user,
    steps,
    undo: list,
    cutUploads,
    cutMemberAdds,
    ...(ended !== undefined ? { ended } : {}),
    pending,
    unfinished: pending.length > 0 || cutUploads.length > 0 || cutMemberAdds.length > 0,
  };
}

/** Every journal in the dir, oldest first (unreadable files are skipped). */
export function listRuns(dir: string): RunSummary[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const runs: RunSummary[] = [];
  for (const n of names.sort()) {
    try {
      runs.push(readRun(join(dir, n)));
    } catch {
      // not a journal
    }
  }
  return runs.sort((a, b) => a.started.localeCompare(b.started));
}

/** Appends records to an existing run's journal (undo RUN writes what it did, then the end). */
export function appendToRun(path: string): { append(record: JournalRecord): void; close(): void } {
  const f = new JournalFile(path);
  return { append: (r) => f.append(r), close: () => f.close() };
}

/** True when the run's process still runs on this machine (then it is not finished by someone else). */
export function runIsAlive(run: RunSummary): boolean {
  if (run.host !== hostname()) return false;
  try {
    process.kill(run.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const cmdline = readFileSync(`/proc/${run.pid}/cmdline`, 'utf8');
    return /etcd-tui/.test(cmdline);
  } catch {
    return true;
  }
}
