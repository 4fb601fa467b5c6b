/**
 * README claims about the members table, on the real App rendered by Ink into a terminal of a
 * chosen width (a fake gateway behind one poll): a member whose own leader differs from the
 * majority's shows `up, sees m1`; a learner at 45 % of the leader's index shows `catch 45%`;
 * columns drop, least important first, as the terminal narrows, and NAME, ROLE, STATE and VERSION stay (the version survives narrow terminals: issue 11).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import { App } from '../../screens/App.js';
import { createAppStore } from '../../src/store/store.js';
import { pollOnce } from '../../src/monitor/poller.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { IDS } from '../fakes/fixtures.js';
import { waitFor } from '../harness/wait.js';

/** A terminal of `columns` columns for Ink: keeps the last frame it was given. */
class Terminal extends EventEmitter {
  last = '';
  constructor(readonly columns: number) {
    super();
  }
  rows = 60;
  write = (frame: string) => {
    this.last = frame;
    return true;
  };
}

class Keyboard extends EventEmitter {
  isTTY = true;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => null;
}

const connection = { contextName: 'test', endpoints: ['http://127.0.0.1:2389'], readOnly: false, refreshMs: 1000, secure: false };
const TITLES = ['NAME', 'ID', 'ROLE', 'STATE', 'VERSION', 'CLIENT URL', 'DB', 'IN USE', 'QUOTA', 'TERM', 'INDEX', 'APPLIED', 'LAG', 'LATENCY', 'ERRORS'];

/** The App drawn at `columns` wide; returns the frame once the members table is there. */
async function draw(gateway: FakeGateway, columns: number): Promise<string> {
  const store = createAppStore({ connection, contexts: ['test'] });
  store.getState().applyBatch(await pollOnce(gateway));
  const stdout = new Terminal(columns);
  const instance = render(<App store={store} actions={{ quit: () => undefined, refreshNow: () => undefined, switchContext: () => undefined }} />, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new Terminal(columns) as unknown as NodeJS.WriteStream,
    stdin: new Keyboard() as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  try {
    return await waitFor(() => (/MEMBERS \(\d+\)/.test(stdout.last) && /\bm3\b/.test(stdout.last) ? stdout.last : undefined), { what: `the members table at ${columns} columns`, timeoutMs: 5000, intervalMs: 10 });
  } finally {
    instance.unmount();
    instance.cleanup();
  }
}

/** The column titles on the table's header line. */
function headerTitles(frame: string): string[] {
  const header = frame.split('\n').find((l) => /^\s*NAME\s/.test(l));
  assert.ok(header, `no header line in:\n${frame}`);
  return TITLES.filter((t) => new RegExp(`(^|\\s)${t}(\\s|$)`).test(header));
}

function row(frame: string, name: string): string {
  const line = frame.split('\n').find((l) => new RegExp(`^\\W*${name}\\s`).test(l));
  assert.ok(line, `no row of ${name} in:\n${frame}`);
  return line;
}

test('a member that sees another leader than the majority: "up, sees m1" in its row', async () => {
  const gateway = new FakeGateway();
  // m2 and m3 follow m2 (the majority); m1 still claims m1.
  for (const [url, s] of gateway.statuses) gateway.statuses.set(url, { ...s, leader: s.memberId === IDS.m1 ? IDS.m1 : IDS.m2 });
  const frame = await draw(gateway, 200);
  assert.match(row(frame, 'm1'), /\bup, sees m1\b/);
  assert.match(row(frame, 'm2'), /leader ★\s+up\s/);
  assert.match(row(frame, 'm3'), /follower\s+up\s/);
});

test('a learner at 45 % of the leader\'s index: "catch 45%" in its LAG column', async () => {
  const gateway = new FakeGateway();
  gateway.addLearner('m4', 45); // the leader's index is 100
  const frame = await draw(gateway, 200);
  assert.match(row(frame, 'm4'), /\blearner\b.*\bcatch 45%/);
});

test('columns drop as the terminal narrows, never the name, role, state or version; no header is cut', async () => {
  const gateway = new FakeGateway();
  const widths = [200, 160, 120, 100, 80, 70];
  const seen: string[][] = [];
  for (const w of widths) {
    const frame = await draw(gateway, w);
    const titles = headerTitles(frame);
    seen.push(titles);
    for (const keep of ['NAME', 'ROLE', 'STATE', 'VERSION']) assert.ok(titles.includes(keep), `${keep} is shown at ${w} columns: ${titles.join(' ')}`);
    for (const line of frame.split('\n')) assert.ok(line.length <= w, `a line wider than ${w} columns: ${JSON.stringify(line)}`);
  }
  assert.deepEqual(seen[0], TITLES, 'every column at 200 columns');
  for (let i = 1; i < widths.length; i++) {
    assert.ok(seen[i].every((t) => seen[i - 1].includes(t)), `narrower (${widths[i]}) shows no column that ${widths[i - 1]} did not: ${seen[i].join(' ')} vs ${seen[i - 1].join(' ')}`);
  }
  assert.ok(seen[widths.length - 1].length < TITLES.length - 5, `at ${widths.at(-1)} columns most columns are gone: ${seen.at(-1)?.join(' ')}`);
  // Least important first: the ERRORS and APPLIED columns go before the member's ID and client URL.
  const at = (t: string) => seen.findIndex((s) => !s.includes(t));
  assert.ok(at('ERRORS') <= at('ID') && at('APPLIED') <= at('CLIENT URL'), `drop order: ${JSON.stringify(seen)}`);
});
