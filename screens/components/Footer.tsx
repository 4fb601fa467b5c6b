/** The footer: key hints from the registry, the message line, and the filter/palette input. */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore, useRegistry } from '../context.js';
import { toneColor } from './tone.js';

export function Footer() {
  const registry = useRegistry();
  const screen = useAppStore((s) => s.ui.screen);
  const input = useAppStore((s) => s.ui.input);
  const message = useAppStore((s) => s.ui.message);
  const filter = useAppStore((s) => s.ui.filter);
  // Only the commands that can run now (an open flow's keys change with its stage); selected as
  // strings so the footer redraws only when the hints change.
  const hints = useAppStore(useShallow((s) => registry.hints(s.flow ? 'flow' : screen, s).map((h) => `${h.keys}\t${h.title}`))).map((h) => {
    const [keys, title] = h.split('\t');
    return { keys, title };
  });
  const completions = input?.kind === 'palette' ? registry.complete(input.text).slice(0, 8) : [];
  return (
    <Box flexDirection="column">
      {input ? (
        <Box flexDirection="column">
          <Text>
            <Text color="cyan" bold>
              {input.kind === 'palette' ? ':' : '/'}
            </Text>
            {input.text}
            <Text inverse> </Text>
          </Text>
          {completions.length > 0 ? <Text color="gray">{completions.map((c) => c.id).join('  ')}</Text> : null}
        </Box>
      ) : null}
      {!input && filter ? <Text color="cyan">filter: {filter} (esc clears)</Text> : null}
      {message ? <Text color={toneColor(message.level === 'error' ? 'crit' : message.level)}>{message.text}</Text> : null}
      <Text>
        {hints.map((h) => (
          <Text key={h.title}>
            <Text color="cyan">{'<' + h.keys + '>'}</Text> {h.title}
            {'  '}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
