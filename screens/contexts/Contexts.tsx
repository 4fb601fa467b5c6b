/** The context switcher: the contexts of the contexts file; enter connects. */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../context.js';

export function Contexts() {
  const { contexts, cursor, current } = useAppStore(useShallow((s) => ({ contexts: s.contexts, cursor: s.ui.contextCursor, current: s.connection.contextName })));
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>CONTEXTS</Text>
      {contexts.length === 0 ? <Text color="gray">No contexts file, or no context in it. See the README, "Contexts file".</Text> : null}
      {contexts.map((name, i) => (
        <Text key={name} inverse={i === cursor}>
          {i === cursor ? '> ' : '  '}
          {name}
          {name === current ? ' (current)' : ''}
        </Text>
      ))}
    </Box>
  );
}
