/**
 * The flow dialog: the members (to watch the flow act) and the open flow's form, plan, confirmation,
 * live steps or result. Thin: it renders the store's `flow` slice, which the FlowController writes;
 * its keys come from the registry's 'flow' scope (see the footer).
 *
 * The body (refusal, preview, steps, result) is a list of lines cut to the terminal: a plan longer than
 * the screen (a bootstrap has ~20 steps and an env file) scrolls with ↑/↓ or PgUp/PgDn instead of
 * pushing its top out of sight. The title and the confirmation prompt stay in place. The layout and
 * scrolling arithmetic is pure and unit-tested (layout.ts).
 */
import { Box, Text, useStdout } from 'ink';
import { useAppStore } from '../context.js';
import { Members } from '../dashboard/Dashboard.js';
import type { FlowView } from '../../src/flows/state.js';
import { OUTCOME_COLOR, bodyLines, bodyWindow, titleRow } from './layout.js';
import { RollingBoard } from './RollingBoard.js';

function Prompt({ flow }: { flow: FlowView }) {
  if (flow.secretPrompt) {
    return (
      <Text>
        <Text color="yellow" bold>
          {flow.secretPrompt.question}:{' '}
        </Text>
        {'*'.repeat(flow.secretPrompt.length)}
        <Text inverse> </Text>
        <Text color="gray"> enter uses it, esc skips this key</Text>
      </Text>
    );
  }
  if (flow.undoRun && flow.stage === 'preview' && flow.plan) return <Text color="cyan">enter: go on to confirm by typing the run ID, esc: cancel (nothing is undone)</Text>;
  if (flow.stage === 'preview' && flow.plan) {
    return <Text color="cyan">{flow.plan.confirmPhrase ? 'enter: go on to confirm by typing the name' : `enter: run ${flow.plan.steps.length === 1 ? 'this step' : `these ${flow.plan.steps.length} steps`}`}, esc: cancel</Text>;
  }
  if (flow.stage !== 'confirm' || !flow.plan?.confirmPhrase) return null;
  return (
    <Text>
      <Text color="red" bold>
        Type {flow.undoRun ? 'the run ID' : flow.kind === 'bootstrap-cluster' || flow.kind === 'snapshot-restore' || ((flow.kind === 'rolling-restart' || flow.kind === 'upgrade' || flow.kind === 'config-change' || flow.kind === 'rotate-certs') && (flow.plan.args.only as string[] | undefined)?.length !== 1) ? "the context's name" : "the member's name"} ({flow.plan.confirmPhrase}) to go ahead:{' '}
      </Text>
      {flow.typed}
      <Text inverse> </Text>
      <Text color="gray"> enter runs, esc cancels</Text>
    </Text>
  );
}

export function FlowScreen() {
  const flow = useAppStore((s) => s.flow);
  const memberCount = useAppStore((s) => s.view.members.length);
  const { stdout } = useStdout();
  if (!flow) return null;
  const width = Math.max(40, (stdout?.columns ?? 100) - 1);
  const title = flow.plan?.title ?? flow.title;
  const color = flow.stage === 'done' && flow.result ? OUTCOME_COLOR[flow.result.outcome] : flow.refusal ? 'red' : 'cyan';
  const lines = bodyLines(flow, width);
  // Rows left for the body: the terminal less the members table, the title, the prompt and the footer.
  const { max, offset, shown } = bodyWindow(flow, lines, stdout?.rows, memberCount);
  const row = titleRow(title, flow.stage, width, max > 0 ? { from: offset + 1, to: offset + shown.length, total: lines.length } : undefined);
  return (
    <Box flexDirection="column">
      {flow.board && (flow.stage === 'running' || flow.stage === 'done') ? <RollingBoard flow={flow} /> : <Members />}
      {/* No box around the dialog: long lines (the env block) wrap without border characters, so they copy cleanly. */}
      <Box flexDirection="column" marginTop={1}>
        <Text wrap="truncate-end">
          <Text color={color}>{'── '}</Text>
          <Text bold color="cyan">
            {row.title}
          </Text>
          <Text color="gray"> [{flow.stage}] </Text>
          <Text color={color}>{row.rule}</Text>
          {row.note ? <Text color="gray">{row.note}</Text> : null}
        </Text>
        {offset > 0 ? <Text color="gray">{`  ↑ ${offset} more line(s) above`}</Text> : null}
        {shown.map((line, i) => (
          <Text key={offset + i} wrap="truncate-end">
            {line.map((seg, j) => (
              <Text key={j} color={seg.color} bold={seg.bold} inverse={seg.inverse}>
                {seg.text}
              </Text>
            ))}
          </Text>
        ))}
        {offset < max ? <Text color="gray">{`  ↓ ${max - offset} more line(s) below`}</Text> : null}
        {flow.busy ? <Text color="cyan">{flow.busy}…</Text> : null}
        {flow.aborting ? <Text color="yellow">aborting: the run stops after the current call or inside the current wait{flow.plan?.rollbackOnFailure ? ', then undoes what it did' : ''}</Text> : null}
        <Prompt flow={flow} />
      </Box>
    </Box>
  );
}
