/** The header: context, endpoints, read-only banner, the verdict and the leader line. */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../context.js';
import { describeQuorum } from '../../src/health/quorum.js';
import { leaderLine } from '../../src/format/members.js';
import { hexId } from '../../src/format/ids.js';
import { formatClock, formatDuration } from '../../src/format/units.js';

const LEVEL_COLOR = { healthy: 'green', degraded: 'yellow', critical: 'red', unknown: 'gray' } as const;

export function Header() {
  const connection = useAppStore((s) => s.connection);
  const { clusterId, verdict, updatedAt, loaded } = useAppStore(
    useShallow((s) => ({ clusterId: s.view.clusterId, verdict: s.view.verdict, updatedAt: s.view.updatedAt, loaded: s.view.loaded })),
  );
  const view = useAppStore((s) => s.view);
  // The time of the latest refresh: durations advance with the data, so the screen redraws only when it changes.
  const now = useAppStore((s) => s.view.updatedAt);
  const endpoints = connection.endpoints.length > 1 ? `${connection.endpoints[0]} (+${connection.endpoints.length - 1})` : connection.endpoints[0];
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold color="cyan">
          etcd-tui
        </Text>
        {'  '}context <Text bold>{connection.contextName}</Text>
        {'  '}
        {endpoints}
        {connection.secure ? ' (TLS)' : ''}
        {connection.user ? ` user ${connection.user}` : ''}
        {clusterId ? `  cluster ${hexId(clusterId)}` : ''}
        {'  '}refresh {formatDuration(connection.refreshMs)}
        {loaded ? `  updated ${formatClock(updatedAt)}` : ''}
      </Text>
      {connection.readOnly ? (
        <Text backgroundColor="yellow" color="black" bold>
          {' READ-ONLY: commands that change the cluster are disabled '}
        </Text>
      ) : null}
      <Text>
        <Text color={LEVEL_COLOR[verdict.level]} bold>
          {'● ' + verdict.level.toUpperCase()}
        </Text>
        {'  '}
        {loaded ? describeQuorum(verdict.quorum) : verdict.summary}
      </Text>
      <Text>
        <Text bold>Leader </Text>
        {leaderLine(view, now)}
      </Text>
    </Box>
  );
}
