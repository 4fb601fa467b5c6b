/** The help screen, generated from the command registry. */
import { Box, Text } from 'ink';
import { useAppStore, useRegistry } from '../context.js';
import { keyLabel, type Category } from '../../src/commands/registry.js';

const CATEGORY_TITLE: Record<Category, string> = { navigation: 'Navigation', view: 'Views', cluster: 'Cluster operations', dialog: 'Inside a flow dialog', general: 'General' };

export function Help() {
  const registry = useRegistry();
  const readOnly = useAppStore((s) => s.connection.readOnly);
  const categories = [...new Set(registry.commands.map((c) => c.category))];
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>HELP: keys, and : followed by a command id (every description in full: README, "Keys")</Text>
      {categories.map((cat) => (
        // No blank line between categories: with every command on one line the screen must fit 50 rows.
        <Box key={cat} flexDirection="column">
          <Text bold color="cyan">
            {CATEGORY_TITLE[cat]}
          </Text>
          {registry.commands
            .filter((c) => c.category === cat)
            .map((c) => (
              // One line per command (truncated at the terminal's edge) so the whole screen fits; the
              // README's key table has every description in full.
              <Text key={c.id} wrap="truncate-end">
                {'  '}
                {c.keys.map(keyLabel).join(' ').padEnd(14)}
                {(':' + c.id).padEnd(20)}
                {c.description}
                {c.dangerous && c.category === 'cluster' ? <Text color="red"> (changes the cluster)</Text> : null}
              </Text>
            ))}
        </Box>
      ))}
      {readOnly ? (
        <Text color="yellow">
          {'\n'}Read-only mode: commands that change the cluster are not available.
        </Text>
      ) : null}
    </Box>
  );
}
