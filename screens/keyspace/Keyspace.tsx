/** The keyspace pane (U, :keyspace [PREFIX] [DEPTH]): scan progress, then the top prefixes by bytes and by keys. */
import { Box, Text } from 'ink';
import { useAppStore } from '../context.js';
import { topPrefixes } from '../../src/plans/keyspace.js';
import { formatBytes, formatDuration, progressBar } from '../../src/format/units.js';

const TOP = 8;

function fit(text: string, width: number): string {
  return (text.length > width - 1 ? text.slice(0, width - 2) + '…' : text).padEnd(width);
}

export function Keyspace() {
  const task = useAppStore((s) => s.inspect.keyspace);
  const r = task.result;
  const top = r ? topPrefixes(r.prefixes, TOP) : undefined;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>KEYSPACE (serializable pages on a follower; s stops, U scans again)</Text>
      {task.running ? (
        <Text>
          {progressBar(task.ratio ?? 0, 30)} {task.progress}
        </Text>
      ) : null}
      {task.error ? <Text color="red">scan failed: {task.error}</Text> : null}
      {r && top ? (
        <Box flexDirection="column">
          <Text>
            {r.member} at revision {r.revision}: {r.scannedKeys} of {r.totalKeys} keys, {formatBytes(r.scannedBytes)} in {r.pages} pages, {formatDuration(r.ms)}
            {r.complete ? '' : ` (stopped: ${r.stoppedBy}; partial counts)`}
            {r.options.prefix ? ` under ${r.options.prefix}` : ''}
          </Text>
          <Text bold>{'  TOP BY BYTES'.padEnd(48)}{'BYTES'.padStart(9)} {'KEYS'.padStart(8)}</Text>
          {top.byBytes.map((p) => (
            <Text key={`b${p.prefix}`}>{`  ${fit(p.prefix, 46)}${formatBytes(p.bytes).padStart(9)} ${String(p.keys).padStart(8)}`}</Text>
          ))}
          <Text bold>{'  TOP BY KEYS'.padEnd(48)}{'BYTES'.padStart(9)} {'KEYS'.padStart(8)}</Text>
          {top.byKeys.map((p) => (
            <Text key={`k${p.prefix}`}>{`  ${fit(p.prefix, 46)}${formatBytes(p.bytes).padStart(9)} ${String(p.keys).padStart(8)}`}</Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}
