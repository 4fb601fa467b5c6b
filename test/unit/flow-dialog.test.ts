/** The flow dialog's pure parts the controller wires: typed keys, openings, what it says about a plan, the gate before a run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan, PlanStep } from '../../src/domain/plan.js';
import type { FlowView } from '../../src/flows/state.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import { applyRefreshes, emptyView, type Refresh } from '../../src/health/view.js';
import { dialogKey } from '../../src/flows/dialog-input.js';
import { openFlow, type OpeningContext } from '../../src/flows/openings.js';
import { leftoverLearner, localStartProblem, previewNotice } from '../../src/flows/plan-notes.js';
import { runGate } from '../../src/flows/flow-run.js';
import { flowById } from '../../src/flows/modules/index.js';
import { member, status } from '../fakes/fixtures.js';

function view(members = [member('m1'), member('m2'), member('m3')]) {
  const batch: Refresh[] = [{ type: 'membership', at: 1, result: { ok: true, clusterId: '7', members } }];
  for (const m of members) batch.push({ type: 'probe', at: 1, memberId: m.id, probe: { ok: true, status: status({ memberId: m.id }), latencyMs: 1, at: 1 } });
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
}

const step = (id: string, action: PlanStep['action']): PlanStep => ({ id, title: id, command: id, preconditions: [], action });
const plan = (steps: PlanStep[], extra: Partial<Plan> = {}): Plan => ({ flow: 'add-learner', title: 't', preview: [], warnings: [], args: {}, steps, ...extra });
const dialog = (extra: Partial<FlowView>): FlowView => ({ kind: 'add-learner', title: 't', stage: 'form', fields: [], focus: 0, typed: '', steps: [], ...extra });

test('dialog keys: text edits the focused field, tab and up move, a choice field switches, confirm edits the typed name', () => {
  const f = dialog({ fields: [{ key: 'name', label: 'Name', value: 'm' }, { key: 'moveLeader', label: 'Move', value: 'yes', choices: ['yes', 'no'] }], refusal: 'old' });
  assert.deepEqual(dialogKey(f, '4', '4'), { taken: true, patch: { refusal: undefined, fields: [{ ...f.fields[0], value: 'm4' }, f.fields[1]] } });
  assert.deepEqual(dialogKey(f, 'backspace', ''), { taken: true, patch: { refusal: undefined, fields: [{ ...f.fields[0], value: '' }, f.fields[1]] } });
  assert.deepEqual(dialogKey(f, 'tab', '\t'), { taken: true, patch: { focus: 1 } });
  assert.deepEqual(dialogKey(f, 'up', ''), { taken: true, patch: { focus: 1 } }, 'up wraps to the last field');
  const onChoice = { ...f, focus: 1 };
  assert.equal(dialogKey(onChoice, 'space', ' ').taken, true);
  assert.equal((dialogKey(onChoice, 'right', '') as { patch: Partial<FlowView> }).patch.fields?.[1].value, 'no');
  assert.equal((dialogKey(onChoice, 'left', '') as { patch: Partial<FlowView> }).patch.fields?.[1].value, 'no', 'two choices: left wraps to the other');
  assert.deepEqual(dialogKey(onChoice, 'x', 'x'), { taken: true }, 'typed text does not change a choice');
  assert.deepEqual(dialogKey(f, 'escape', '\x1b'), { taken: false });
  assert.deepEqual(dialogKey(dialog({ stage: 'confirm', typed: 'm' }), '2', '2'), { taken: true, patch: { typed: 'm2' } });
  assert.deepEqual(dialogKey(dialog({ stage: 'confirm', typed: 'm' }), 'enter', '\r'), { taken: false });
  assert.deepEqual(dialogKey(dialog({ stage: 'preview' }), 'a', 'a'), { taken: false }, 'the preview takes no text');
});

test('openings: a member flow without a selection refuses; with one it plans; a hosts flow without an inventory refuses', () => {
  const v = view();
  const ctx: OpeningContext = { view: v, hosts: undefined, canStartMembers: false, canSuggestPeerURL: false, formEnv: () => assert.fail('no form here') };
  const none = openFlow(flowById('remove'), undefined, ctx);
  assert.equal(none.then, 'none');
  assert.match(none.flow.refusal ?? '', /^no member selected/);
  const chosen = openFlow(flowById('remove'), undefined, { ...ctx, selectedId: v.members[1].id });
  assert.deepEqual([chosen.then, chosen.flow.target, chosen.flow.title], ['plan', v.members[1].id, `${flowById('remove').title}: m2`]);
  const named = openFlow(flowById('remove'), 'm3', ctx);
  assert.equal(named.flow.target, v.members[2].id, 'the argument names the member');
  const replace = openFlow(flowById('replace'), 'm2', ctx);
  assert.deepEqual([replace.then, replace.flow.stage], ['check-refusal', 'form']);
  const hostless = openFlow(flowById('upgrade'), undefined, ctx);
  assert.equal(hostless.then, 'none');
  assert.match(hostless.flow.refusal ?? '', /^this context has no hosts/);
  assert.equal(openFlow(flowById('recover-nospace'), ' ', ctx).flow.argument, undefined, 'a blank argument is none');
});

test('plan notes: down-time seen, a non-loopback local start, the learner a failed add left behind', () => {
  const v = view([member('m1'), member('m2'), member('m4', { isLearner: true, peerURLs: ['http://127.0.0.1:2420'] })]);
  const down = plan([step('down', { kind: 'confirm-down', name: 'm2', memberId: v.members[1].id, forMs: 5000 })]);
  assert.equal(previewNotice({ plan: down }, { [v.members[1].id]: 1000 }, 61_000), 'the console has seen m2 down for 1m0s: step 1 checks it for 5.0s more');
  assert.equal(previewNotice({ plan: down }, {}, 61_000), undefined, 'not seen down: nothing to say');
  const add = (url: string) => plan([step('add', { kind: 'member-add', name: 'm4', peerURLs: [url], isLearner: true })]);
  assert.equal(localStartProblem({ startLocally: true, plan: add('http://127.0.0.1:2420') }), undefined);
  assert.match(localStartProblem({ startLocally: true, plan: add('http://10.0.0.4:2380') }) ?? '', /127\.0\.0\.1 only/);
  assert.equal(localStartProblem({ startLocally: false, plan: add('http://10.0.0.4:2380') }), undefined, 'not started locally: no problem');
  const learner = v.members.find((m) => m.isLearner)!;
  assert.equal(leftoverLearner(add('http://127.0.0.1:2420'), { outcome: 'failed' }, v)?.member, learner.id);
  assert.equal(leftoverLearner(add('http://127.0.0.1:2420'), { outcome: 'succeeded' }, v), undefined, 'a run that succeeded leaves nothing to remove');
  assert.equal(leftoverLearner(add('http://127.0.0.1:2999'), { outcome: 'aborted' }, v), undefined, 'no learner with those peer URLs');
});

test('run gate: a changed plan goes back to the preview; an output that cannot be written refuses; else go', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flow-gate-'));
  try {
    const a = plan([step('one', { kind: 'verify-health', timeoutMs: 1 })]);
    const b = plan([step('two', { kind: 'verify-health', timeoutMs: 1 })]);
    const audit = join(dir, 'audit.jsonl');
    assert.deepEqual(runGate(a, b, audit), { kind: 'changed' });
    assert.deepEqual(runGate(a, a, audit), { kind: 'go' });
    writeFileSync(audit, '');
    // the audit log's directory is a file: nothing can be written there, whoever runs the test
    const notADir = runGate(a, a, join(audit, 'nested.jsonl'));
    assert.equal(notADir.kind, 'refused');
    assert.match((notADir as { error: string }).error, /; nothing was changed$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
