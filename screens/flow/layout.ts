/**
 * The flow dialog's layout, pure (no React): the body as styled lines cut to the terminal's width
 * (word wrap), and the window of it that fits the terminal's height (the running step kept in view,
 * the operator's scrolling clamped). screens/flow/FlowScreen.tsx renders what this computes.
 */
import type { FlowStepView, FlowView } from '../../src/flows/state.js';
import type { Outcome, StepState } from '../../src/domain/plan.js';
import { formatDuration, formatPercent, progressBar } from '../../src/format/units.js';

const STEP_MARK: Record<StepState, { mark: string; color?: string }> = {
  pending: { mark: '○', color: 'gray' },
  running: { mark: '▶', color: 'cyan' },
  done: { mark: '✓', color: 'green' },
  failed: { mark: '✗', color: 'red' },
  skipped: { mark: '–', color: 'gray' },
};

export const OUTCOME_COLOR: Record<Outcome, string> = { succeeded: 'green', failed: 'red', aborted: 'yellow', refused: 'red' };

/** One piece of a line, with its style. */
export interface Seg {
  text: string;
  /** On the first segment of a step's first line: the step's index (keeps the running step in view). */
  step?: number;
  color?: string;
  bold?: boolean;
  inverse?: boolean;
}
export type Line = Seg[];

/** Word-wrap plain text to the width; each piece a line with the same style (and indent on continuation lines). */
export function wrap(text: string, width: number, style: Omit<Seg, 'text'> = {}, indent = ''): Line[] {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    let rest = raw;
    // A continuation after a break at a space is indented; one that cuts a long word (a URL list, an
    // env line) is not, so the pieces copy back together exactly.
    let prefix = '';
    let first = true;
    while (rest.length > 0 || first) {
      const room = Math.max(10, width - prefix.length);
      let piece = rest;
      let atSpace = false;
      if (rest.length > room) {
        const cut = rest.lastIndexOf(' ', room);
        atSpace = cut > room / 2;
        piece = rest.slice(0, atSpace ? cut : room);
      }
      out.push([{ ...style, text: prefix + piece }]);
      rest = rest.slice(piece.length);
      if (atSpace) rest = rest.replace(/^ /, '');
      prefix = atSpace ? indent : '';
      first = false;
    }
  }
  return out;
}

const blank: Line = [{ text: ' ' }];

function refusalLines(refusal: string, width: number): Line[] {
  return [...wrap(`REFUSED: ${refusal}`, width, { color: 'red' }), [{ text: 'nothing was changed', color: 'red' }]];
}

function formLines(flow: FlowView, width: number): Line[] {
  const lines: Line[] = [blank];
  const labelWidth = Math.max(11, ...flow.fields.map((f) => f.label.length + 1));
  flow.fields.forEach((f, i) => {
    const focused = i === flow.focus && flow.stage === 'form';
    const line: Line = [{ text: focused ? '› ' : '  ', color: 'cyan' }, { text: f.label.padEnd(labelWidth), color: 'gray' }];
    if (f.choices) {
      // A choice: every value, the chosen one marked; space switches.
      f.choices.forEach((c, j) => line.push({ text: `${j > 0 ? ' ' : ''}${c === f.value ? `(•) ${c}` : `( ) ${c}`}`, bold: c === f.value, inverse: focused && c === f.value }));
      lines.push(line);
      return;
    }
    if (f.value) line.push({ text: f.value });
    if (focused) line.push({ text: ' ', inverse: true });
    if (!f.value) line.push({ text: (focused ? ' ' : '') + (f.placeholder ?? ''), color: 'gray' });
    lines.push(line);
  });
  // A refusal in the form goes right under the fields (a long form at 80x24 would scroll it out of view).
  if (flow.stage === 'form' && flow.refusal) lines.push(...refusalLines(flow.refusal, width));
  if (flow.stage === 'form') {
    for (const n of flow.formNotes ?? []) lines.push(...wrap('  ' + n, width, { color: 'gray' }, '    '));
    const choice = flow.fields.some((f) => f.choices);
    lines.push(...wrap(`${flow.fields.length > 1 ? 'tab or ↑/↓ switch field, ' : ''}type to edit${choice ? ', space switches a choice' : ''}, enter shows the plan`, width, { color: 'gray' }));
  }
  return lines;
}

/** One step; `detailed` adds its command and preconditions (before the run), `showOutput` what it printed. */
function stepLines(step: FlowStepView, index: number, detailed: boolean, showOutput: boolean, width: number): Line[] {
  const { mark, color } = STEP_MARK[step.state];
  const lines: Line[] = [[{ text: `  ${mark} ${index + 1}.`, color, step: index }, { text: ` ${step.title}` }, ...(step.detail ? [{ text: ` — ${step.detail}`, color: 'gray' }] : [])]];
  if (detailed && step.command) lines.push(...wrap(`       $ ${step.command}`, width, { color: 'gray' }, '         '));
  if (detailed && step.preconditions.length > 0) lines.push(...wrap(`       requires: ${step.preconditions.join('; ')}`, width, { color: 'gray' }, '         '));
  if (step.state === 'running' && step.progress) {
    const p = step.progress;
    lines.push([{ text: '       ' }, ...(p.ratio !== undefined ? [{ text: `${progressBar(p.ratio, 30)} ${formatPercent(p.ratio).padStart(4)}  `, color: 'cyan' }] : []), { text: p.text }]);
  }
  for (const r of step.retries) lines.push(...wrap(`       ↻ ${r}`, width, { color: 'yellow' }, '         '));
  if (showOutput) for (const l of step.output) lines.push(...wrap(`       ${l}`, width, {}, '         '));
  if (step.error) lines.push(...wrap(`       ${step.error}`, width, { color: 'red' }, '         '));
  return lines;
}

function rollbackLines(items: Array<{ text: string; ok: boolean }>, failed: number | undefined, width: number): Line[] {
  const title = failed === undefined ? 'ROLLBACK (undoing, newest first)' : failed === 0 ? 'ROLLBACK: everything this run changed was undone' : `ROLLBACK: ${failed} undo(s) FAILED, do them by hand`;
  const lines: Line[] = [blank, [{ text: title, bold: true, color: 'yellow' }]];
  for (const l of items) lines.push(...wrap((l.ok ? '  ↺ ' : '  ✗ ') + l.text, width, l.ok ? {} : { color: 'red' }, '    '));
  return lines;
}

/** Bootstrap: each host's preflight state, and host keys known_hosts lacks (t trusts them). */
function hostLines(flow: FlowView, width: number): Line[] {
  const lines: Line[] = [];
  const states = flow.busy && flow.hostStates ? Object.entries(flow.hostStates) : [];
  if (states.length > 0) lines.push([{ text: '  ' + states.map(([h, st]) => `${h}: ${st}`).join('   '), color: 'gray' }]);
  if (flow.unknownKeys?.length) {
    lines.push(blank, ...wrap('UNKNOWN HOST KEYS: check each fingerprint on its host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)', width, { bold: true, color: 'yellow' }));
    for (const k of flow.unknownKeys) lines.push(...wrap(`  ${k.host} (${k.address}): ${k.keyType} ${k.fingerprint}`, width));
    lines.push([{ text: 't: trust these keys (recorded in known_hosts) and run preflight again', color: 'yellow' }]);
  }
  return lines;
}

function planLines(flow: FlowView, width: number): Line[] {
  const plan = flow.plan;
  if (!plan) return [];
  const before = flow.stage === 'preview' || flow.stage === 'confirm';
  const lines: Line[] = [];
  if (before) {
    lines.push(blank);
    for (const l of plan.preview) lines.push(...wrap('  ' + l, width, {}, '    '));
    for (const w of plan.warnings) lines.push(...wrap('  ! ' + w, width, { color: 'yellow' }, '    '));
    if (flow.candidates) {
      lines.push(blank, [{ text: 'CANDIDATES', bold: true }]);
      for (const c of flow.candidates) lines.push(...wrap('  ' + c, width, { color: 'gray' }, '    '));
    }
  }
  lines.push(blank, [{ text: 'STEPS', bold: true }]);
  flow.steps.forEach((s, i) => lines.push(...stepLines(s, i, before, flow.stage === 'running', width)));
  if (before && flow.startLocally !== undefined) {
    lines.push(blank, [
      {
        text: flow.startLocally ? '[x] the console starts it locally (sandbox, client URL on 127.0.0.1); l: start it yourself' : '[ ] you start it yourself with the env block; l: let the console start it locally',
        color: flow.startLocally ? 'green' : 'gray',
      },
    ]);
  }
  return lines;
}

function resultLines(flow: FlowView, width: number): Line[] {
  const r = flow.result;
  if (flow.stage !== 'done' || !r) return [];
  const lines: Line[] = [blank];
  lines.push(...wrap(`${r.outcome.toUpperCase()}${r.durationMs > 0 ? ` in ${formatDuration(r.durationMs)}` : ''}${r.error ? `: ${r.error}` : ''}`, width, { color: OUTCOME_COLOR[r.outcome], bold: true }, '  '));
  for (const l of r.output) lines.push(...wrap('  ' + l, width, {}, '    '));
  if (r.rollback) lines.push(...rollbackLines([...r.rollback.done.map((text) => ({ text, ok: true })), ...r.rollback.failed.map((text) => ({ text, ok: false }))], r.rollback.failed.length, width));
  // After a run that did not succeed, what comes after says where things stand (a CA change's phase STATE): not green.
  if (r.after) lines.push(...wrap(r.after, width, { color: r.outcome === 'succeeded' ? 'green' : 'yellow' }));
  lines.push(...wrap(r.auditPath ? (r.auditError ? `audit record NOT written to ${r.auditPath}: ${r.auditError}` : `audit record appended to ${r.auditPath}`) : 'nothing was sent to the cluster, so nothing was recorded', width, { color: 'gray' }));
  if (flow.envFile) lines.push([{ text: `env block written to ${flow.envFile}`, color: 'green' }]);
  if (r.followUp) lines.push([{ text: `x: remove learner ${r.followUp.label}`, color: 'yellow', bold: true }]);
  return lines;
}

/** Everything between the title and the prompt, as lines. */
export function bodyLines(flow: FlowView, width: number): Line[] {
  const lines: Line[] = [];
  if (flow.fields.length > 0 && (flow.stage === 'form' || flow.stage === 'preview' || flow.stage === 'confirm')) lines.push(...formLines(flow, width));
  const refusalInForm = flow.stage === 'form' && flow.fields.length > 0;
  if (flow.refusal && !refusalInForm) lines.push(blank, ...refusalLines(flow.refusal, width));
  if (flow.refusal && flow.candidates) {
    lines.push(blank, [{ text: 'CANDIDATES', bold: true }]);
    for (const c of flow.candidates) lines.push(...wrap('  ' + c, width, { color: 'gray' }, '    '));
  }
  if (flow.notice) lines.push(blank, ...wrap(flow.notice, width, { color: 'yellow' }));
  lines.push(...hostLines(flow, width), ...planLines(flow, width));
  if (flow.stage === 'running' && flow.rollback?.length) lines.push(...rollbackLines(flow.rollback, undefined, width));
  lines.push(...resultLines(flow, width));
  return lines;
}

/** Where the window starts when the operator has not scrolled: the top of a plan, the running step, the end of a result. */
export function autoOffset(flow: Pick<FlowView, 'stage' | 'rollback' | 'steps'>, lines: Line[], height: number): number {
  const max = Math.max(0, lines.length - height);
  if (flow.stage === 'done' || (flow.stage === 'running' && flow.rollback?.length)) return max;
  if (flow.stage === 'running') {
    // Keep the running step (its progress, retries, output) in view: the lines of the steps after it are what may go.
    const running = flow.steps.findIndex((s) => s.state === 'running');
    const marker = running < 0 ? -1 : lines.findIndex((l) => l[0]?.step === running);
    return marker < 0 ? max : Math.min(max, Math.max(0, marker - Math.floor(height / 3)));
  }
  return 0;
}

/** The window of the body the dialog shows: how many rows it has, where it starts, what is above and below. */
export interface BodyWindow {
  height: number;
  /** The largest offset (0: everything fits). */
  max: number;
  offset: number;
  shown: Line[];
}

/**
 * The body's window for a terminal of `rows` rows (undefined: no terminal, show everything): the rows
 * left after the members table, the title, the prompt and the footer; the offset from where the stage
 * shows it by itself plus what the operator scrolled in this stage, clamped.
 */
export function bodyWindow(flow: Pick<FlowView, 'stage' | 'rollback' | 'steps' | 'scroll'>, lines: Line[], rows: number | undefined, memberCount: number): BodyWindow {
  const height = rows ? Math.max(6, rows - (memberCount + 4) - 7) : lines.length;
  const max = Math.max(0, lines.length - height);
  const scrolled = flow.scroll && flow.scroll.stage === flow.stage ? flow.scroll.delta : 0;
  const offset = Math.min(max, Math.max(0, autoOffset(flow, lines, height) + scrolled));
  return { height, max, offset, shown: lines.slice(offset, offset + height) };
}


/**
 * The dialog's title row, kept to one row of `width` columns (a wrapped title pushes the screen past
 * the terminal's height at 80x24): the scroll note shortened first ("lines 6-15 of 201 (↑/↓ PgUp/PgDn
 * scroll)" -> "6-15/201"), then the title cut in the middle (its start and its end say the most).
 */
export function titleRow(title: string, stage: string, width: number, scroll?: { from: number; to: number; total: number }): { title: string; rule: string; note: string } {
  const fixed = `── ${''} [${stage}] `.length;
  const rule = '─'.repeat(8);
  const notes = scroll ? [` lines ${scroll.from}-${scroll.to} of ${scroll.total} (↑/↓ PgUp/PgDn scroll)`, ` ${scroll.from}-${scroll.to}/${scroll.total}`] : [''];
  for (const note of notes) if (fixed + title.length + rule.length + note.length <= width) return { title, rule, note };
  const note = notes[notes.length - 1];
  const room = Math.max(8, width - fixed - 2 - note.length);
  if (title.length <= room) return { title, rule: '─'.repeat(Math.max(0, width - fixed - title.length - note.length)), note };
  const head = Math.ceil((room - 1) * 0.4);
  return { title: `${title.slice(0, head)}…${title.slice(title.length - (room - 1 - head))}`, rule: '──', note };
}
