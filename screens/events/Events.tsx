/** The whole event timeline, newest last; ↑/↓ (j/k) scroll back through older events when they do not all fit. */
import { useEffect } from 'react';
import { Box, Text } from 'ink';
import { useAppStore } from '../context.js';
import { formatClock } from '../../src/format/units.js';
import { useBodySize } from '../components/size.js';
import { nameUnstarted } from '../../src/health/backup.js';

export function Events() {
  const clusterEvents = useAppStore((s) => s.view.events);
  // Flows run from this bastion (audit log) beside the cluster's own events.
  const operator = useAppStore((s) => s.inspect.operatorEvents);
  const names = useAppStore((s) => s.inspect.memberNames);
  const events = operator.length ? [...clusterEvents, ...operator].sort((a, b) => a.at - b.at) : clusterEvents;
  const back = useAppStore((s) => s.ui.scroll ?? 0);
  const clampScroll = useAppStore((s) => s.clampScroll);
  const { height } = useBodySize();
  const room = Math.max(1, (height ?? 31) - 1);
  const max = Math.max(0, events.length - room);
  const offset = Math.min(back, max);
  useEffect(() => clampScroll(max), [max, clampScroll]);
  const end = events.length - offset;
  const shown = events.slice(Math.max(0, end - room), end);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        EVENTS ({events.length})
        {max > 0 ? <Text color="gray">{`  ${end - shown.length + 1}-${end} shown, ↑ older, ↓ newer`}</Text> : null}
      </Text>
      {events.length === 0 ? <Text color="gray">nothing has happened yet</Text> : null}
      {shown.map((e, i) => (
        <Text key={`${e.at}-${i}`} wrap="truncate-end">
          <Text color="gray">{formatClock(e.at)}</Text> {e.kind.padEnd(18)} {nameUnstarted(e.text, names)}
        </Text>
      ))}
    </Box>
  );
}
