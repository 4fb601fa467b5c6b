/**
 * The flow dialog: the members (to watch the flow act) and the open flow's form, plan, confirmation,
 * live steps or result. Thin: it renders the store's `flow` slice, which the FlowController writes;
 * its keys come from the registry's 'flow' scope (see the footer).
 */
import { Box, Text } from 'ink';
import { useAppStore } from '../context.js';
import { Members } from '../dashboard/Dashboard.js';
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

const OUTCOME_COLOR: Record<Outcome, string> = { succeeded: 'green', failed: 'red', aborted: 'yellow', refused: 'red' };

function Form({ flow }: { flow: FlowView }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      {flow.fields.map((f, i) => {
        const focused = i === flow.focus && flow.stage === 'form';
        return (
          <Text key={f.key}>
            <Text color="cyan">{focused ? '› ' : '  '}</Text>
            <Text color="gray">{f.label.padEnd(11)}</Text>
            {f.value ? f.value : focused ? '' : <Text color="gray">{f.placeholder}</Text>}
            {focused ? <Text inverse> </Text> : null}
            {focused && !f.value ? <Text color="gray"> {f.placeholder}</Text> : null}
          </Text>
        );
      })}
      {flow.stage === 'form' ? <Text color="gray">tab or ↑/↓ switch field, type to edit, enter shows the plan</Text> : null}
    </Box>
  );
}

/** One step; `detailed` adds its command and preconditions (before the run), `showOutput` what it printed (during the run; afterwards the result shows it). */
function Step({ step, index, detailed, showOutput }: { step: FlowStepView; index: number; detailed: boolean; showOutput: boolean }) {
  const { mark, color } = STEP_MARK[step.state];
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={color}>
          {'  '}
          {mark} {index + 1}.
        </Text>{' '}
        {step.title}
        {step.detail ? <Text color="gray"> — {step.detail}</Text> : null}
      </Text>
      {detailed ? <Text color="gray">{'       $ ' + step.command}</Text> : null}
      {detailed && step.preconditions.length > 0 ? <Text color="gray">{'       requires: ' + step.preconditions.join('; ')}</Text> : null}
      {step.state === 'running' && step.progress ? (
        <Text>
          {'       '}
          {step.progress.ratio !== undefined ? (
            <Text color="cyan">
              {progressBar(step.progress.ratio, 30)} {formatPercent(step.progress.ratio).padStart(4)}{'  '}
            </Text>
          ) : null}
          {step.progress.text}
        </Text>
      ) : null}
      {step.retries.map((r, i) => (
        <Text key={i} color="yellow">
          {'       ↻ ' + r}
        </Text>
      ))}
      {showOutput
        ? step.output.map((l, i) => (
            <Text key={i}>{'       ' + l}</Text>
          ))
        : null}
      {step.error ? <Text color="red">{'       ' + step.error}</Text> : null}
    </Box>
  );
}

function PlanView({ flow }: { flow: FlowView }) {
  const plan = flow.plan;
  if (!plan) return null;
  const before = flow.stage === 'preview' || flow.stage === 'confirm';
  return (
    <Box flexDirection="column" marginTop={before ? 1 : 0}>
      {before
        ? plan.preview.map((l, i) => (
            <Text key={i} wrap="wrap">
              {'  ' + l}
            </Text>
          ))
        : null}
      {before
        ? plan.warnings.map((w, i) => (
            <Text key={i} color="yellow" wrap="wrap">
              {'  ! ' + w}
            </Text>
          ))
        : null}
      {before && flow.candidates ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>CANDIDATES</Text>
          {flow.candidates.map((c, i) => (
            <Text key={i} color="gray">
              {'  ' + c}
            </Text>
          ))}
        </Box>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        <Text bold>STEPS</Text>
        {flow.steps.map((s, i) => (
          <Step key={i} step={s} index={i} detailed={before} showOutput={flow.stage === 'running'} />
        ))}
      </Box>
      {before && flow.startLocally !== undefined ? (
        <Text color={flow.startLocally ? 'green' : 'gray'}>
          {'\n'}
          {flow.startLocally ? '[x] the console starts it locally (sandbox, client URL on 127.0.0.1); l: start it yourself' : '[ ] you start it yourself with the env block; l: let the console start it locally'}
        </Text>
      ) : null}
    </Box>
  );
}

function Confirm({ flow }: { flow: FlowView }) {
  if (flow.stage === 'preview' && flow.plan) {
    return <Text color="cyan">{'\n'}{flow.plan.confirmPhrase ? 'enter: go on to confirm by typing the name' : `enter: run ${flow.plan.steps.length === 1 ? 'this step' : `these ${flow.plan.steps.length} steps`}`}, esc: cancel</Text>;
  }
  if (flow.stage !== 'confirm' || !flow.plan?.confirmPhrase) return null;
  return (
    <Text>
      {'\n'}
      <Text color="red" bold>
        Type {flow.kind === 'bootstrap-cluster' ? "the context's name" : "the member's name"} ({flow.plan.confirmPhrase}) to go ahead:{' '}
      </Text>
      {flow.typed}
      <Text inverse> </Text>
      <Text color="gray"> enter runs, esc cancels</Text>
    </Text>
  );
}

function Result({ flow }: { flow: FlowView }) {
  const r = flow.result;
  if (flow.stage !== 'done' || !r) return null;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        <Text color={OUTCOME_COLOR[r.outcome]} bold>
          {r.outcome.toUpperCase()}
        </Text>
        {r.durationMs > 0 ? ` in ${formatDuration(r.durationMs)}` : ''}
        {r.error ? `: ${r.error}` : ''}
      </Text>
      {r.output.map((l, i) => (
        <Text key={i}>{'  ' + l}</Text>
      ))}
      {r.auditPath ? (
        <Text color="gray">{r.auditError ? `audit record NOT written to ${r.auditPath}: ${r.auditError}` : `audit record appended to ${r.auditPath}`}</Text>
      ) : (
        <Text color="gray">nothing was sent to the cluster, so nothing was recorded</Text>
      )}
      {r.rollback ? <RollbackLines lines={[...r.rollback.done.map((text) => ({ text, ok: true })), ...r.rollback.failed.map((text) => ({ text, ok: false }))]} failed={r.rollback.failed.length} /> : null}
      {r.after ? <Text color="green">{r.after}</Text> : null}
      {flow.envFile ? <Text color="green">env block written to {flow.envFile}</Text> : null}
      {r.followUp ? (
        <Text color="yellow" bold>
          x: remove learner {r.followUp.label}
        </Text>
      ) : null}
    </Box>
  );
}

/** What a failed bootstrap undid (and what it could not: to do by hand). */
function RollbackLines({ lines, failed }: { lines: Array<{ text: string; ok: boolean }>; failed?: number }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold color="yellow">
        ROLLBACK{failed === undefined ? ' (undoing, newest first)' : failed === 0 ? ': everything this run changed was undone' : `: ${failed} undo(s) FAILED, do them by hand`}
      </Text>
      {lines.map((l, i) => (
        <Text key={i} color={l.ok ? undefined : 'red'} wrap="wrap">
          {(l.ok ? '  ↺ ' : '  ✗ ') + l.text}
        </Text>
      ))}
    </Box>
  );
}

/** Bootstrap: each host's preflight state, and host keys known_hosts lacks (t trusts them). */
function Hosts({ flow }: { flow: FlowView }) {
  const states = flow.busy && flow.hostStates ? Object.entries(flow.hostStates) : [];
  return (
    <Box flexDirection="column">
      {states.length > 0 ? <Text color="gray">{'  ' + states.map(([h, st]) => `${h}: ${st}`).join('   ')}</Text> : null}
      {flow.unknownKeys?.length ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold color="yellow">
            UNKNOWN HOST KEYS: check each fingerprint on its host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)
          </Text>
          {flow.unknownKeys.map((k) => (
            <Text key={k.host}>{`  ${k.host} (${k.address}): ${k.keyType} ${k.fingerprint}`}</Text>
          ))}
          <Text color="yellow">t: trust these keys (recorded in known_hosts) and run preflight again</Text>
        </Box>
      ) : null}
    </Box>
  );
}

export function FlowScreen() {
  const flow = useAppStore((s) => s.flow);
  if (!flow) return null;
  const title = flow.plan?.title ?? flow.title;
  const color = flow.stage === 'done' && flow.result ? OUTCOME_COLOR[flow.result.outcome] : flow.refusal ? 'red' : 'cyan';
  return (
    <Box flexDirection="column">
      <Members />
      {/* No box around the dialog: long lines (the env block) wrap without border characters, so they copy cleanly. */}
      <Box flexDirection="column" marginTop={1}>
        <Text>
          <Text color={color}>{'── '}</Text>
          <Text bold color="cyan">
            {title}
          </Text>
          <Text color="gray"> [{flow.stage}] </Text>
          <Text color={color}>{'─'.repeat(8)}</Text>
        </Text>
        {flow.fields.length > 0 && (flow.stage === 'form' || flow.stage === 'preview' || flow.stage === 'confirm') ? <Form flow={flow} /> : null}
        {flow.refusal ? (
          <Text color="red" wrap="wrap">
            {'\n'}REFUSED: {flow.refusal}
            {'\n'}nothing was changed
          </Text>
        ) : null}
        {flow.refusal && flow.candidates ? (
          <Box flexDirection="column" marginTop={1}>
            <Text bold>CANDIDATES</Text>
            {flow.candidates.map((c, i) => (
              <Text key={i} color="gray">
                {'  ' + c}
              </Text>
            ))}
          </Box>
        ) : null}
        {flow.notice ? (
          <Text color="yellow" wrap="wrap">
            {'\n'}
            {flow.notice}
          </Text>
        ) : null}
        <Hosts flow={flow} />
        <PlanView flow={flow} />
        {flow.busy ? <Text color="cyan">{flow.busy}…</Text> : null}
        {flow.stage === 'running' && flow.rollback?.length ? <RollbackLines lines={flow.rollback} /> : null}
        {flow.aborting ? <Text color="yellow">aborting: the run stops after the current call or inside the current wait</Text> : null}
        <Confirm flow={flow} />
        <Result flow={flow} />
      </Box>
    </Box>
  );
}
