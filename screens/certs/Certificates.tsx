/** The certificates pane (K): one row per certificate, then the problems with their fixes. */
import { Box, Text } from 'ink';
import { useAppStore } from '../context.js';
import { Table, type Column, type Row } from '../components/Table.js';
import { certRows } from '../../src/format/certs.js';
import { certReasons } from '../../src/health/certs.js';
import { formatClock } from '../../src/format/units.js';
import { toneColor } from '../components/tone.js';

const COLUMNS: Column[] = [
  { key: 'what', title: 'WHAT', width: 10 },
  { key: 'where', title: 'URL OR FILE', width: 28 },
  { key: 'subject', title: 'SUBJECT CN', width: 22 },
  { key: 'sans', title: 'SANS', width: 28 },
  { key: 'notAfter', title: 'NOT AFTER (UTC)', width: 16 },
  { key: 'days', title: 'DAYS', width: 5, align: 'right' },
  { key: 'key', title: 'KEY', width: 9 },
  { key: 'note', title: 'STATE', width: 30 },
];

export function Certificates() {
  const report = useAppStore((s) => s.inspect.certs);
  if (!report) return <Text color="gray">reading certificates (each member's TLS handshake, the CA and client files)…</Text>;
  const now = report.at;
  const rows: Row[] = certRows(report, now).map((r, i) => ({
    id: String(i),
    cells: {
      what: { text: r.what, bold: true },
      where: { text: r.where },
      subject: { text: r.subject },
      sans: { text: r.sans },
      notAfter: { text: r.notAfter },
      days: { text: r.days, tone: r.state === 'ok' ? 'ok' : r.state === 'error' ? 'dim' : r.state },
      key: { text: r.key },
      note: { text: r.note, tone: r.state === 'ok' ? 'ok' : r.state === 'error' ? 'dim' : r.state },
    },
  }));
  const reasons = certReasons(report, now);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>CERTIFICATES (read {formatClock(report.at)}; again every 5 min, K now)</Text>
      <Table columns={COLUMNS} rows={rows} empty="no certificate (plain http?)" />
      <Box flexDirection="column" marginTop={1}>
        {reasons.map((r, i) => (
          <Text key={i} color={toneColor(r.level)}>
            {r.text}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
