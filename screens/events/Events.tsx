/** The whole event timeline, newest last. */
import { Box, Text } from 'ink';
import { useAppStore } from '../context.js';
import { formatClock } from '../../src/format/units.js';
import { nameUnstarted } from '../../src/health/backup.js';

export function Events() {
  const clusterEvents = useAppStore((s) => s.view.events);
  // Flows run from this bastion (audit log) beside the cluster's own events.
  const operator = useAppStore((s) => s.inspect.operatorEvents);
  const names = useAppStore((s) => s.inspect.memberNames);
  const events = operator.length ? [...clusterEvents, ...operator].sort((a, b) => a.at - b.at) : clusterEvents;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>EVENTS ({events.length})</Text>
      {events.length === 0 ? <Text color="gray">nothing has happened yet</Text> : null}
      {events.slice(-30).map((e, i) => (
        <Text key={`${e.at}-${i}`}>
          <Text color="gray">{formatClock(e.at)}</Text> {e.kind.padEnd(18)} {nameUnstarted(e.text, names)}
        </Text>
      ))}
    </Box>
  );
}
