/** The dashboard: members, health (with the alarms and the next step for each failing check) and the latest events. */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../context.js';
import { Table, type Column, type Row } from '../components/Table.js';
import { memberRows, type MemberRow } from '../../src/format/members.js';
import { visibleMembers } from '../../src/store/store.js';
import { formatBytes, formatClock } from '../../src/format/units.js';
import { isQuotaAssumed } from '../../src/health/verdict.js';
import { allocateRows, scrollStart, type PaneNeed } from '../../src/format/layout.js';
import { healthPaneLines, healthRowsNeeded, healthRowsWanted } from '../../src/format/health-lines.js';
import { useBodySize } from '../components/size.js';
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

/**
 * Columns dropped first when the terminal is narrow. NAME, ROLE, STATE and VERSION are never
 * dropped (a rolling upgrade must be visible at 80 columns).
 */
const DROP_ORDER = ['errors', 'applied', 'dbInUse', 'latency', 'clientURL', 'quota', 'hexId', 'term', 'lag', 'index', 'dbSize'];

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

/** Rows the members pane takes for `count` members: the title, the column titles, one per member. */
export function membersRowsWanted(count: number): number {
  return 2 + Math.max(1, count);
}

/**
 * The members table (also shown above an open flow, to watch it act). Given `rows`, it shows a
 * window of the members around the selection and says how many are out of sight.
 */
export function Members({ rows: maxRows }: { rows?: number } = {}) {
  const { view, ui, health } = useAppStore(useShallow((s) => ({ view: s.view, ui: s.ui, health: s.health })));
  // The time of the latest refresh: durations advance with the data, so the screen redraws only when it changes.
  const now = useAppStore((s) => s.view.updatedAt);
  const members = visibleMembers({ view, ui });
  const all = memberRows(view, members, health, now).map(toTableRow);
  const { width } = useBodySize();
  const columns = fitColumns(Math.max(40, width));
  const room = maxRows === undefined ? all.length : Math.max(1, maxRows - 2);
  const start = scrollStart(all.length, room, all.findIndex((r) => r.id === ui.selectedId));
  const rows = all.slice(start, start + room);
  const hidden = all.length - rows.length;
  const filter = ui.filter ? ` of ${view.members.length}, filter "${ui.filter}"` : '';
  const window = hidden > 0 ? `; ${start + 1}-${start + rows.length} shown, j/k scroll` : '';
  // The QUOTA column is a share of a quota nobody gave: say so where it is read.
  const assumed = columns.some((c) => c.key === 'quota') && isQuotaAssumed(health) ? `  QUOTA: % of an assumed ${formatBytes(health.quotaBytes)} (etcd's default)` : '';
  const empty = view.membershipError
    ? `member list failed: ${view.membershipError.error}`
    : ui.filter && view.members.length > 0
      ? `no member matches the filter "${ui.filter}" (esc clears it)`
      : view.loaded
        ? 'the member list is empty'
        : 'connecting…';
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold wrap="truncate-end">
        MEMBERS ({members.length}
        {filter}
        {window})<Text color="gray">{assumed}</Text>
      </Text>
      <Table columns={columns} rows={rows} selectedId={ui.selectedId} empty={empty} />
    </Box>
  );
}

const MARK = { ok: '✓', warn: '!', crit: '✗', info: '·', unknown: '?' } as const;
const LEVEL_TONE = { ok: 'ok', warn: 'warn', crit: 'crit', info: 'info', unknown: 'dim' } as const;

function HealthPane({ rows, width }: { rows?: number; width: number }) {
  const verdict = useAppStore((s) => s.view.verdict);
  const lines = healthPaneLines(verdict.reasons, width, rows === undefined ? undefined : rows - 1);
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold>HEALTH</Text>
      {lines.map((l, i) => (
        <Text key={i} color={toneColor(LEVEL_TONE[l.level])} wrap="truncate-end">
          {l.first ? MARK[l.level] + ' ' : '  '}
          {l.text}
        </Text>
      ))}
    </Box>
  );
}

function EventsPane({ rows }: { rows: number }) {
  const events = useAppStore((s) => s.view.events);
  const shown = events.slice(-Math.max(0, rows - 1));
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold>EVENTS ({events.length}, e for all)</Text>
      {shown.length === 0 && rows > 1 ? <Text color="gray">none yet</Text> : null}
      {shown.map((e, i) => (
        <Text key={`${e.at}-${i}`} wrap="truncate-end">
          <Text color="gray">{formatClock(e.at)}</Text> {e.text}
        </Text>
      ))}
    </Box>
  );
}

/** Events the dashboard asks room for (it gets what the panes above leave). */
const EVENTS_SHOWN = 30;

/**
 * The dashboard: panes stacked in order of importance (members, health, events), each given rows
 * by allocateRows so that the whole fits the body; a new pane is one more entry in `panes`.
 */
export function Dashboard() {
  const { width, height } = useBodySize();
  const memberCount = useAppStore((s) => visibleMembers({ view: s.view, ui: s.ui }).length);
  const reasons = useAppStore((s) => s.view.verdict.reasons);
  const eventCount = useAppStore((s) => Math.min(EVENTS_SHOWN, s.view.events.length));
  // An unfinished run of this context whose process is gone (run journals): one line offering its undo.
  const unfinished = useAppStore((s) => {
    const runs = s.inspect.unfinishedRuns ?? [];
    return runs[0] ? `${runs[0].line}${runs.length > 1 ? ` (${runs.length - 1} more: :undo RUN)` : ''}` : undefined;
  });
  const panes: PaneNeed[] = [
    { id: 'members', min: 2 + Math.min(memberCount, 3), want: membersRowsWanted(memberCount) },
    { id: 'health', min: 1 + healthRowsNeeded(reasons, width), want: 1 + healthRowsWanted(reasons, width) },
    { id: 'events', min: 0, want: 1 + Math.max(1, eventCount), elastic: true },
  ];
  // Without a known height (no terminal size) every pane takes what it wants.
  const fixed = height !== undefined;
  const { rows, gap } = fixed ? allocateRows(panes, height - (unfinished ? Math.ceil((unfinished.length + 12) / Math.max(20, width)) : 0)) : { rows: Object.fromEntries(panes.map((p) => [p.id, p.want])), gap: 1 };
  const shown = panes.filter((p) => rows[p.id] > 0);
  const render = (id: string) => {
    switch (id) {
      case 'members':
        return <Members rows={fixed ? rows.members : undefined} />;
      case 'health':
        return <HealthPane rows={fixed ? rows.health : undefined} width={width} />;
      default:
        return <EventsPane rows={rows.events} />;
    }
  };
  return (
    <Box flexDirection="column">
      {unfinished ? (
        <Text color="yellow">
          {unfinished}
        </Text>
      ) : null}
      {shown.map((p, i) => (
        <Box key={p.id} flexDirection="column" marginTop={i > 0 ? gap : 0} height={fixed ? rows[p.id] : undefined} overflow={fixed ? 'hidden' : undefined} flexShrink={0}>
          {render(p.id)}
        </Box>
      ))}
    </Box>
  );
}
