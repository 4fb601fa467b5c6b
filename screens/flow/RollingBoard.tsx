/**
 * The board of a rolling run (restart-all, upgrade): one row per member with its stage, version and
 * time so far; the cluster version and "mixed versions" while they differ; what the pacer does
 * (paused, step mode, waiting between members). Thin: src/flows/rolling-board.ts computes the rows.
 * Shown in place of the members table while the run runs and after it (fits 80x24 with 5 members).
 */
import { Box, Text } from 'ink';
import { useAppStore } from '../context.js';
import type { FlowView } from '../../src/flows/state.js';
import { rollingBoard, type BoardStage } from '../../src/flows/rolling-board.js';

const STAGE_COLOR: Record<BoardStage, string> = {
  waiting: 'gray',
  gate: 'cyan',
  changing: 'cyan',
  restarting: 'yellow',
  'catching up': 'yellow',
  verified: 'green',
  'rolled back': 'red',
  failed: 'red',
  stopped: 'yellow',
};

export function RollingBoard({ flow, now }: { flow: FlowView; now?: number }) {
  const view = useAppStore((s) => s.latest);
  const board = rollingBoard(flow, view, now ?? Date.now());
  if (!board) return null;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>ROLLING </Text>
        <Text color="gray">cluster version </Text>
        <Text>{board.clusterVersion ?? '?'}</Text>
        {board.mixed ? <Text color="yellow">{`  mixed versions: ${board.mixed.join(', ')}`}</Text> : <Text color="green">  one version</Text>}
      </Text>
      <Text color="gray" wrap="truncate-end">
        {'  ' + 'MEMBER'.padEnd(14) + 'STAGE'.padEnd(13) + 'VERSION'.padEnd(10) + 'ELAPSED'.padEnd(9)}
      </Text>
      {board.rows.map((r) => (
        <Text key={r.name} wrap="truncate-end">
          <Text>{'  ' + r.name.slice(0, 13).padEnd(14)}</Text>
          <Text color={STAGE_COLOR[r.stage]}>{r.stage.padEnd(13)}</Text>
          <Text color={r.version === 'down' ? 'red' : undefined}>{r.version.padEnd(10)}</Text>
          <Text>{r.elapsed.padEnd(9)}</Text>
          {r.held ? <Text color="yellow">{r.held}</Text> : null}
        </Text>
      ))}
      {board.status ? (
        <Text color={board.status.startsWith('PAUSED') || board.status.startsWith('STEP') ? 'yellow' : 'gray'} wrap="truncate-end">
          {'  ' + board.status}
        </Text>
      ) : null}
    </Box>
  );
}
