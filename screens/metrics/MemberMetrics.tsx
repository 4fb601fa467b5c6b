/** A member's metrics in its detail screen: the latest p99 figures, counters and sparklines. */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../context.js';
import { metricsRow } from '../../src/format/metrics.js';
import { sparkline } from '../../src/format/units.js';
import { toneColor } from '../components/tone.js';

export function MemberMetrics({ memberId }: { memberId: string }) {
  const { members, history } = useAppStore(useShallow((s) => ({ members: s.view.members, history: s.inspect.metrics[memberId] })));
  const member = members.find((m) => m.id === memberId);
  if (!member) return null;
  const figures = history ?? [];
  const r = metricsRow(member, figures, members);
  const line = (label: string, value: string, tone?: Parameters<typeof toneColor>[0]) => (
    <Text>
      <Text color="gray">{label.padEnd(20)}</Text>
      <Text color={toneColor(tone)}>{value}</Text>
    </Text>
  );
  return (
    <Box marginTop={1} flexDirection="column">
      {line('WAL fsync p99', figures.length ? `${r.walFsync}  ${r.walSpark}` : 'after two scrapes (every 10 s while shown)', r.tone)}
      {line('commit p99', `${r.backendCommit}  ${sparkline(figures.map((f) => f.backendCommitP99Ms ?? 0), 20)}`)}
      {line('peer RTT p99', r.peerRtt)}
      {line('proposals', `pending ${r.pending}, failed/min ${r.failedPerMin}, leader changes ${r.leaderChanges}, slow apply/read ${r.slow}, heartbeat failures ${r.heartbeatFailures}`)}
      {line('process', `RSS ${r.rss}, open files ${r.fds}`)}
    </Box>
  );
}
