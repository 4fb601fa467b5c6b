/**
 * The member detail's certificates tab (tab switches): the certificate the member presents, then
 * the peer, server and CA files its host's env file names (when its host is in the context). Fits
 * the body: blocks that do not fit are counted on a last line (K shows every certificate).
 */
import { Box, Text } from 'ink';
import { useAppStore } from '../context.js';
import { memberCertBlocks, type CertBlock } from '../../src/format/certs.js';
import { formatClock } from '../../src/format/units.js';
import { toneColor } from '../components/tone.js';

const LABEL = 12;

function tone(state: CertBlock['state'] | undefined) {
  return state === 'error' ? 'dim' : state;
}

export function MemberCerts({ label, urls, height }: { label: string; urls: readonly string[]; height?: number }) {
  const report = useAppStore((s) => s.inspect.certs);
  if (!report) return <Text color="gray">reading certificates (the TLS handshake; the host's files over SSH when it is in the context)…</Text>;
  const blocks = memberCertBlocks(report, { label, urls }, report.at);
  if (blocks.length === 0) return <Text color="gray">no certificate of {label} in the last reading ({formatClock(report.at)}; plain http?)</Text>;
  // Title line, then each block (its title and lines); keep what fits, and a line for the rest.
  const room = height === undefined ? Infinity : Math.max(3, height - 2);
  const shown: CertBlock[] = [];
  let used = 0;
  for (const b of blocks) {
    const need = 1 + b.lines.length;
    if (used + need > room) break;
    shown.push(b);
    used += need;
  }
  const hidden = blocks.length - shown.length;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        CERTIFICATES of {label} (read {formatClock(report.at)}; tab: status, K: all certificates)
      </Text>
      {shown.map((b, i) => (
        <Box key={i} flexDirection="column">
          <Text wrap="truncate-end" color={toneColor(tone(b.state))} bold>
            {b.title}
          </Text>
          {b.lines.map(([name, value, t]) => (
            <Text key={name} wrap="truncate-end">
              <Text color="gray">{`  ${name}`.padEnd(LABEL)}</Text>
              <Text color={toneColor(tone(t))}>{value}</Text>
            </Text>
          ))}
        </Box>
      ))}
      {hidden > 0 ? <Text color="gray">… {hidden} more (K shows every certificate)</Text> : null}
    </Box>
  );
}
