/**
 * A member's detail: every status field, its URLs, and the recent history of its index and DB size.
 * Fields sit in two columns when the terminal is short. "last answered" counts on a one-second
 * clock from the newest refresh (not the published view, which moves only when something changes).
 */
import { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../context.js';
import { memberRows } from '../../src/format/members.js';
import { formatBytes, formatClock, formatDuration, sparkline } from '../../src/format/units.js';
import { isQuotaAssumed } from '../../src/health/verdict.js';
import { toneColor } from '../components/tone.js';
import { useBodySize } from '../components/size.js';
import { MemberMetrics } from '../metrics/MemberMetrics.js';
import { MemberCerts } from '../certs/MemberCerts.js';
import { memberLabel } from '../../src/format/ids.js';

type FieldTone = Parameters<typeof toneColor>[0];

function Field({ label, value, tone, width }: { label: string; value: string; tone?: FieldTone; width?: number }) {
  return (
    <Box width={width}>
      <Text wrap="truncate-end">
        <Text color="gray">{label.padEnd(18)}</Text>
        <Text color={toneColor(tone)}>{value}</Text>
      </Text>
    </Box>
  );
}

/** The wall clock, ticking every `ms` while the screen is open. */
function useClock(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export function MemberDetail() {
  const { view, selectedId, health } = useAppStore(useShallow((s) => ({ view: s.view, selectedId: s.ui.selectedId, health: s.health })));
  const lastSeen = useAppStore((s) => (selectedId ? s.latest.lastSeen[selectedId] : undefined));
  const tab = useAppStore((s) => s.ui.detailTab ?? 'status');
  const clock = useClock(1000);
  const { width, height } = useBodySize();
  // Durations of the table advance with the data, so the screen redraws only when it changes.
  const now = view.updatedAt;
  const member = view.members.find((m) => m.id === selectedId);
  if (!member) return <Text color="yellow">The selected member is no longer in the member list (esc to go back).</Text>;
  const [row] = memberRows(view, [member], health, now);
  if (tab === 'certs') {
    return (
      <Box flexDirection="column">
        <Text bold>
          MEMBER {row.name} ({row.hexId}) <Text color="gray">status | </Text>
          <Text color="cyan">certificates</Text>
        </Text>
        <MemberCerts label={memberLabel(member)} urls={member.clientURLs} height={height === undefined ? undefined : height - 1} />
      </Box>
    );
  }
  const probe = view.probes[member.id];
  const history = view.history[member.id] ?? { raftIndex: [], dbSize: [] };
  const quota = `${row.quota} of ${formatBytes(health.quotaBytes)}${isQuotaAssumed(health) ? " (assumed: etcd's default)" : ''}`;
  const fields: Array<{ label: string; value: string; tone?: FieldTone }> = [
    { label: 'decimal ID', value: member.id },
    { label: 'role', value: row.role === 'leader' ? 'leader' : row.roleText },
    { label: 'state', value: row.state, tone: row.stateTone },
    { label: 'learner', value: member.isLearner ? 'yes' : 'no' },
    { label: 'version', value: row.version },
    { label: 'DB size', value: row.dbSize },
    { label: 'DB in use', value: row.dbInUse },
    { label: 'quota used', value: quota, tone: row.quotaTone },
    { label: 'raft term', value: row.term },
    { label: 'raft index', value: row.index },
    { label: 'applied index', value: row.applied },
    { label: 'lag behind leader', value: row.lag, tone: row.lagTone },
    { label: 'leader (its view)', value: probe?.ok ? (probe.status.leader === '0' ? 'none' : BigInt(probe.status.leader).toString(16)) : '-', tone: row.disagrees ? 'warn' : undefined },
    { label: 'status latency', value: row.latency },
    { label: 'last answered', value: lastSeen ? `${formatClock(lastSeen)} (${formatDuration(Math.max(0, clock - lastSeen))} ago)` : 'never' },
    { label: 'errors', value: row.errors || 'none', tone: row.errors ? 'crit' : 'ok' },
  ];
  const wide = [
    { label: 'client URLs', value: member.clientURLs.join(', ') || '(none: not started)' },
    { label: 'peer URLs', value: member.peerURLs.join(', ') },
  ];
  // Title, wide fields, fields, a gap and two history lines.
  const twoColumns = height !== undefined && 1 + wide.length + fields.length + 3 > height && width >= 76;
  const half = Math.floor(width / 2);
  const pairs = twoColumns ? Array.from({ length: Math.ceil(fields.length / 2) }, (_, i) => [fields[2 * i], fields[2 * i + 1]]) : fields.map((f) => [f]);
  return (
    <Box flexDirection="column">
      <Text bold>
        MEMBER {row.name} ({row.hexId}) <Text color="cyan">status</Text>
        <Text color="gray"> | certificates (tab)</Text>
      </Text>
      {wide.map((f) => (
        <Field key={f.label} {...f} />
      ))}
      {pairs.map((pair) => (
        <Box key={pair[0].label} flexDirection="row">
          {pair.map((f) => (f ? <Field key={f.label} {...f} width={twoColumns ? half : undefined} /> : null))}
        </Box>
      ))}
      <Box marginTop={1} flexDirection="column">
        <Text wrap="truncate-end">
          <Text color="gray">{'index history'.padEnd(18)}</Text>
          <Text color="cyan">{sparkline(history.raftIndex, Math.min(60, width - 30)) || '-'}</Text> {history.raftIndex.at(-1) ?? ''}
        </Text>
        <Text wrap="truncate-end">
          <Text color="gray">{'DB size history'.padEnd(18)}</Text>
          <Text color="cyan">{sparkline(history.dbSize, Math.min(60, width - 30)) || '-'}</Text> {formatBytes(history.dbSize.at(-1))}
        </Text>
      </Box>
      <MemberMetrics memberId={member.id} />
    </Box>
  );
}
