/** The help screen, generated from the command registry; it scrolls (↑/↓ or j/k) when taller than the terminal. */
import { useEffect } from 'react';
import { Box, Text } from 'ink';
import { useAppStore, useRegistry } from '../context.js';
import { keyLabel, type Category, type Command } from '../../src/commands/registry.js';
import { useBodySize } from '../components/size.js';

const CATEGORY_TITLE: Record<Category, string> = { navigation: 'Navigation', view: 'Views', cluster: 'Cluster operations', dialog: 'Inside a flow dialog', general: 'General' };

type HelpLine = { kind: 'blank' } | { kind: 'category'; text: string } | { kind: 'command'; command: Command } | { kind: 'note'; text: string };

export function Help() {
  const registry = useRegistry();
  const readOnly = useAppStore((s) => s.connection.readOnly);
  const scroll = useAppStore((s) => s.ui.scroll ?? 0);
  const clampScroll = useAppStore((s) => s.clampScroll);
  const { height } = useBodySize();
  const categories = [...new Set(registry.commands.map((c) => c.category))];
  const lines: HelpLine[] = categories.flatMap((cat, i): HelpLine[] => [
    ...(i > 0 ? [{ kind: 'blank' } as const] : []),
    { kind: 'category', text: CATEGORY_TITLE[cat] },
    ...registry.commands.filter((c) => c.category === cat).map((command): HelpLine => ({ kind: 'command', command })),
  ]);
  if (readOnly) lines.push({ kind: 'blank' }, { kind: 'note', text: 'Read-only mode: commands that change the cluster are not available.' });
  // The title takes a row; the rest scrolls.
  const room = height === undefined ? lines.length : Math.max(1, height - 1);
  const max = Math.max(0, lines.length - room);
  const offset = Math.min(scroll, max);
  useEffect(() => clampScroll(max), [max, clampScroll]);
  const shown = lines.slice(offset, offset + room);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        HELP: keys, and : followed by a command id
        <Text color="gray">{max > 0 ? `  lines ${offset + 1}-${offset + shown.length} of ${lines.length}, ↑/↓ scroll` : '  (full descriptions: README, "Keys")'}</Text>
      </Text>
      {shown.map((line, i) => {
        switch (line.kind) {
          case 'blank':
            return <Text key={i}> </Text>;
          case 'category':
            return (
              <Text key={i} bold color="cyan">
                {line.text}
              </Text>
            );
          case 'note':
            return (
              <Text key={i} color="yellow">
                {line.text}
              </Text>
            );
          default: {
            const c = line.command;
            // One line per command (truncated at the terminal's edge); the README's key table has every description in full.
            return (
              <Text key={i} wrap="truncate-end">
                {'  '}
                {c.keys.map(keyLabel).join(' ').padEnd(14)}
                {(':' + c.id).padEnd(20)}
                {c.description}
                {c.dangerous && c.category === 'cluster' ? <Text color="red"> (changes the cluster)</Text> : null}
              </Text>
            );
          }
        }
      })}
    </Box>
  );
}
