/** The context switcher: the contexts of the contexts file; enter connects. A long list scrolls with the cursor. */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../context.js';
import { useBodySize } from '../components/size.js';
import { scrollStart } from '../../src/format/layout.js';

export function Contexts() {
  const { contexts, cursor, current } = useAppStore(useShallow((s) => ({ contexts: s.contexts, cursor: s.ui.contextCursor, current: s.connection.contextName })));
  const { height } = useBodySize();
  const room = height === undefined ? contexts.length : Math.max(1, height - 1);
  const start = scrollStart(contexts.length, room, cursor);
  const shown = contexts.slice(start, start + room);
  return (
    <Box flexDirection="column">
      <Text bold>
        CONTEXTS{shown.length < contexts.length ? ` (${start + 1}-${start + shown.length} of ${contexts.length})` : ''}
      </Text>
      {contexts.length === 0 ? <Text color="gray">No contexts file, or no context in it. See the README, "Contexts file".</Text> : null}
      {shown.map((name, j) => {
        const i = start + j;
        return (
          <Text key={name} inverse={i === cursor} wrap="truncate-end">
            {i === cursor ? '> ' : '  '}
            {name}
            {name === current ? ' (current)' : ''}
          </Text>
        );
      })}
    </Box>
  );
}
