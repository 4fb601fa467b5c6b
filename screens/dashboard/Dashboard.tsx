/** The dashboard: members, health reasons, alarms and the latest events. */
import { Box, Text, useStdout } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../context.js';
import { Table, type Column, type Row } from '../components/Table.js';
import { memberRows, type MemberRow } from '../../src/format/members.js';
import { visibleMembers } from '../../src/store/store.js';
import { formatClock } from '../../src/format/units.js';
import { memberLabel } from '../../src/format/ids.js';
import { toneColor } from '../components/tone.js';

export const MEMBER_COLUMNS: Column[] = [
  { key: 'name', title: 'NAME', width: 10 },
  { key: 'hexId', title: 'ID', width: 16 },
  { key: 'role', title: 'ROLE', width: 8 },
  { key: 'state', title: 'STATE', width: 12 },
  { key: 'version', title: 'VERSION', width: 7 },
  { key: 'clientURL', title: 'CLIENT URL', width: 22 },
  { key: 'dbSize', title: 'DB', width: 8, align: 'right' },
  { key: 'dbInUse', title: 'IN USE', width: 8, align: 'right' },
  { key: 'quota', title: 'QUOTA', width: 5, align: 'right' },
  { key: 'term', title: 'TERM', width: 5, align: 'right' },
  { key: 'index', title: 'INDEX', width: 8, align: 'right' },
  { key: 'applied', title: 'APPLIED', width: 8, align: 'right' },
  { key: 'lag', title: 'LAG', width: 10, align: 'right' },
  { key: 'latency', title: 'LATENCY', width: 7, align: 'right' },
  { key: 'errors', title: 'ERRORS', width: 10 },
];

/** Columns dropped first when the terminal is narrow. */
const DROP_ORDER = ['errors', 'applied', 'dbInUse', 'version', 'latency', 'quota', 'clientURL', 'hexId'];

/** The columns that fit the width; ERRORS takes what is left. */
export function fitColumns(width: number): Column[] {
  let cols = [...MEMBER_COLUMNS];
  const total = (c: Column[]) => c.reduce((sum, x) => sum + x.width + 1, 2);
  for (const key of DROP_ORDER) {
    if (total(cols) <= width) break;
    cols = cols.filter((c) => c.key !== key);
  }
  const errors = cols.find((c) => c.key === 'errors');
  if (errors) {
    const rest = width - total(cols.filter((c) => c !== errors)) - 1;
    cols = cols.map((c) => (c === errors ? { ...c, width: Math.max(10, rest) } : c));
  }
  return cols;
}

export function toTableRow(r: MemberRow): Row {
  return {
    id: r.id,
    cells: {
      name: { text: r.name, bold: r.role === 'leader' },
      hexId: { text: r.hexId },
      role: { text: r.role === 'leader' ? 'leader ★' : r.roleText, tone: r.role === 'leader' ? 'accent' : r.role === 'learner' ? 'dim' : 'normal' },
      state: { text: r.state, tone: r.stateTone },
      version: { text: r.version },
      clientURL: { text: r.clientURL },
      dbSize: { text: r.dbSize },
      dbInUse: { text: r.dbInUse },
      quota: { text: r.quota, tone: r.quotaTone },
      term: { text: r.term },
      index: { text: r.index },
      applied: { text: r.applied },
      lag: { text: r.lag, tone: r.lagTone },
      latency: { text: r.latency },
      errors: { text: r.errors, tone: r.errors ? 'crit' : 'normal' },
    },
  };
}

/** The members table (also shown above an open flow, to watch it act). */
export function Members() {
  const { view, ui, health } = useAppStore(useShallow((s) => ({ view: s.view, ui: s.ui, health: s.health })));
  // The time of the latest refresh: durations advance with the data, so the screen redraws only when it changes.
  const now = useAppStore((s) => s.view.updatedAt);
  const members = visibleMembers({ view, ui });
  const rows = memberRows(view, members, health, now).map(toTableRow);
  const { stdout } = useStdout();
  const columns = fitColumns(Math.max(60, (stdout?.columns ?? 160) - 1));
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>
        MEMBERS ({members.length}
        {ui.filter ? ` of ${view.members.length}, filter "${ui.filter}"` : ''})
      </Text>
      <Table columns={columns} rows={rows} selectedId={ui.selectedId} empty={view.membershipError ? `member list failed: ${view.membershipError.error}` : 'connecting…'} />
    </Box>
  );
}

const MARK = { ok: '✓', warn: '!', crit: '✗', info: '·' } as const;

function HealthPane() {
  const verdict = useAppStore((s) => s.view.verdict);
  return (
    <Box flexDirection="column" marginTop={1} width="60%">
      <Text bold>HEALTH</Text>
      {verdict.reasons.slice(0, 12).map((r, i) => (
        <Text key={i} color={toneColor(r.level === 'info' ? 'info' : r.level)} wrap="truncate-end">
          {MARK[r.level]} {r.text}
        </Text>
      ))}
    </Box>
  );
}

function AlarmsPane() {
  const { alarms, alarmsError, members } = useAppStore(useShallow((s) => ({ alarms: s.view.alarms, alarmsError: s.view.alarmsError, members: s.view.members })));
  return (
    <Box flexDirection="column" marginTop={1} marginLeft={2}>
      <Text bold>ALARMS</Text>
      {alarmsError ? <Text color="yellow">alarm list failed: {alarmsError}</Text> : null}
      {alarms.length === 0 && !alarmsError ? <Text color="green">none</Text> : null}
      {alarms.map((a) => (
        <Text key={`${a.memberId}/${a.alarm}`} color="red">
          {a.alarm} on {memberLabel(members.find((m) => m.id === a.memberId), a.memberId)}
        </Text>
      ))}
    </Box>
  );
}

function EventsPane({ limit }: { limit: number }) {
  const events = useAppStore((s) => s.view.events);
  const shown = events.slice(-limit);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>EVENTS ({events.length}, e for all)</Text>
      {shown.length === 0 ? <Text color="gray">none yet</Text> : null}
      {shown.map((e, i) => (
        <Text key={`${e.at}-${i}`} wrap="truncate-end">
          <Text color="gray">{formatClock(e.at)}</Text> {e.text}
        </Text>
      ))}
    </Box>
  );
}

export function Dashboard() {
  return (
    <Box flexDirection="column">
      <Members />
      <Box flexDirection="row">
        <HealthPane />
        <AlarmsPane />
      </Box>
      <EventsPane limit={6} />
    </Box>
  );
}
