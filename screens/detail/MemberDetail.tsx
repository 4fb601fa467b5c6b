/** A member's detail: every status field, its URLs, and the recent history of its index and DB size. */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../context.js';
import { memberRows } from '../../src/format/members.js';
import { formatBytes, formatDuration, sparkline } from '../../src/format/units.js';
import { toneColor } from '../components/tone.js';
import { MemberMetrics } from '../metrics/MemberMetrics.js';

function Field({ label, value, tone }: { label: string; value: string; tone?: Parameters<typeof toneColor>[0] }) {
  return (
    <Text>
      <Text color="gray">{label.padEnd(20)}</Text>
      <Text color={toneColor(tone)}>{value}</Text>
    </Text>
  );
}

export function MemberDetail() {
  const { view, selectedId, health } = useAppStore(useShallow((s) => ({ view: s.view, selectedId: s.ui.selectedId, health: s.health })));
  // The time of the latest refresh: durations advance with the data, so the screen redraws only when it changes.
  const now = useAppStore((s) => s.view.updatedAt);
  const member = view.members.find((m) => m.id === selectedId);
  if (!member) return <Text color="yellow">The selected member is no longer in the member list (esc to go back).</Text>;
  const [row] = memberRows(view, [member], health, now);
  const probe = view.probes[member.id];
  const history = view.history[member.id] ?? { raftIndex: [], dbSize: [] };
  const lastSeen = view.lastSeen[member.id];
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>
        MEMBER {row.name} ({row.hexId})
      </Text>
      <Field label="decimal ID" value={member.id} />
      <Field label="role" value={row.role === 'leader' ? 'leader' : row.roleText} />
      <Field label="state" value={row.state} tone={row.stateTone} />
      <Field label="learner" value={member.isLearner ? 'yes' : 'no'} />
      <Field label="client URLs" value={member.clientURLs.join(', ') || '(none: not started)'} />
      <Field label="peer URLs" value={member.peerURLs.join(', ')} />
      <Field label="version" value={row.version} />
      <Field label="DB size" value={row.dbSize} />
      <Field label="DB in use" value={row.dbInUse} />
      <Field label="quota used" value={`${row.quota} of ${formatBytes(health.quotaBytes)}`} tone={row.quotaTone} />
      <Field label="raft term" value={row.term} />
      <Field label="raft index" value={row.index} />
      <Field label="applied index" value={row.applied} />
      <Field label="lag behind leader" value={row.lag} tone={row.lagTone} />
      <Field label="leader (its view)" value={probe?.ok ? (probe.status.leader === '0' ? 'none' : BigInt(probe.status.leader).toString(16)) : '-'} tone={row.disagrees ? 'warn' : undefined} />
      <Field label="status latency" value={row.latency} />
      <Field label="last answered" value={lastSeen ? `${formatDuration(Math.max(0, now - lastSeen))} ago` : 'never'} />
      <Field label="errors" value={row.errors || 'none'} tone={row.errors ? 'crit' : 'ok'} />
      <Box marginTop={1} flexDirection="column">
        <Text>
          <Text color="gray">{'index history'.padEnd(20)}</Text>
          <Text color="cyan">{sparkline(history.raftIndex, 60) || '-'}</Text> {history.raftIndex.at(-1) ?? ''}
        </Text>
        <Text>
          <Text color="gray">{'DB size history'.padEnd(20)}</Text>
          <Text color="cyan">{sparkline(history.dbSize, 60) || '-'}</Text> {formatBytes(history.dbSize.at(-1))}
        </Text>
      </Box>
      <MemberMetrics memberId={member.id} />
    </Box>
  );
}
