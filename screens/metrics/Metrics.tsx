/** The metrics pane (M): per member p99 latencies from bucket deltas, counters and a WAL sparkline. */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../context.js';
import { Table, type Column, type Row } from '../components/Table.js';
import { metricsRow } from '../../src/format/metrics.js';
import { toneColor } from '../components/tone.js';

const COLUMNS: Column[] = [
  { key: 'name', title: 'NAME', width: 10 },
  { key: 'walFsync', title: 'WAL p99', width: 8, align: 'right' },
  { key: 'backendCommit', title: 'COMMIT p99', width: 10, align: 'right' },
  { key: 'peerRtt', title: 'PEER RTT p99', width: 26 },
  { key: 'pending', title: 'PEND', width: 5, align: 'right' },
  { key: 'failedPerMin', title: 'FAIL/m', width: 6, align: 'right' },
  { key: 'leaderChanges', title: 'LDR', width: 4, align: 'right' },
  { key: 'slow', title: 'SLOW a/r', width: 8 },
  { key: 'heartbeatFailures', title: 'HB FAIL', width: 7, align: 'right' },
  { key: 'rss', title: 'RSS', width: 8, align: 'right' },
  { key: 'fds', title: 'FDS', width: 5, align: 'right' },
  { key: 'walSpark', title: 'WAL p99 history', width: 20 },
];

export function Metrics() {
  const { members, metrics, error, reasons } = useAppStore(
    useShallow((s) => ({ members: s.view.members, metrics: s.inspect.metrics, error: s.inspect.metricsError, reasons: s.inspect.checks.metrics })),
  );
  const rows: Row[] = members.map((m) => {
    const r = metricsRow(m, metrics[m.id] ?? [], members);
    const cells: Row['cells'] = {};
    for (const c of COLUMNS) cells[c.key] = { text: String(r[c.key as keyof typeof r]) };
    cells.name = { text: r.name, bold: true };
    cells.walFsync = { text: r.walFsync, tone: r.tone };
    return { id: m.id, cells };
  });
  const samples = Math.max(0, ...Object.values(metrics).map((h) => h.length));
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>METRICS (from /metrics every 10 s while shown; p99 over the last interval{samples < 2 ? ': first figures after two scrapes' : ''})</Text>
      <Table columns={COLUMNS} rows={rows} empty="no member known yet" />
      {error ? <Text color="yellow">scrape failed: {error}</Text> : null}
      <Box flexDirection="column" marginTop={1}>
        {(reasons ?? []).map((r, i) => (
          <Text key={i} color={toneColor(r.level)}>
            {r.text}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
