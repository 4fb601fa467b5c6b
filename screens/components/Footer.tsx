/**
 * The footer: one row. The palette or filter input while one is open; else the message of the
 * last action; else the key hints that fit, `?` first (the help screen has the rest).
 */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore, useRegistry } from '../context.js';
import { toneColor } from './tone.js';
import { fitHints, shortenMiddle } from '../../src/format/layout.js';

export function Footer({ width }: { width: number }) {
  const registry = useRegistry();
  const screen = useAppStore((s) => s.ui.screen);
  const input = useAppStore((s) => s.ui.input);
  const message = useAppStore((s) => s.ui.message);
  // Only the commands that can run now (an open flow's keys change with its stage); selected as
  // strings so the footer redraws only when the hints change.
  const hints = useAppStore(useShallow((s) => registry.hints(s.flow ? 'flow' : screen, s).map((h) => `${h.keys}\t${h.title}`))).map((h) => {
    const [keys, title] = h.split('\t');
    return { keys, title };
  });
  if (input) {
    const prompt = input.kind === 'palette' ? ':' : '/';
    const completions = input.kind === 'palette' ? registry.complete(input.text).map((c) => c.id) : [];
    const room = Math.max(0, width - prompt.length - input.text.length - 3);
    return (
      <Box flexShrink={0}>
        <Text wrap="truncate-end">
          <Text color="cyan" bold>
            {prompt}
          </Text>
          {input.text}
          <Text inverse> </Text>
          {completions.length > 0 && room > 4 ? <Text color="gray">{'  ' + shortenMiddle(completions.join('  '), room)}</Text> : null}
        </Text>
      </Box>
    );
  }
  if (message) {
    return (
      <Box flexShrink={0}>
        <Text wrap="truncate-end" color={toneColor(message.level === 'error' ? 'crit' : message.level)}>
          {shortenMiddle(message.text, width)}
        </Text>
      </Box>
    );
  }
  const shown = fitHints(hints, width);
  return (
    <Box flexShrink={0}>
      <Text wrap="truncate-end">
        {shown.map((h) => (
          <Text key={h.title}>
            <Text color="cyan">{'<' + h.keys + '>'}</Text> {h.title}
            {'  '}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
