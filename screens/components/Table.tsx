/**
 * A table whose rows can be selected and coloured cell by cell (@alcalzone/ink-table draws plain
 * tables only, so the members table is our own).
 */
import { Box, Text } from 'ink';
import type { Tone } from '../../src/format/members.js';
import { toneColor } from './tone.js';

export interface Column {
  key: string;
  title: string;
  width: number;
  align?: 'left' | 'right';
}

export interface Cell {
  text: string;
  tone?: Tone;
  bold?: boolean;
}

export interface Row {
  id: string;
  cells: Record<string, Cell>;
}

function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const t = text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text;
  return align === 'right' ? t.padStart(width) : t.padEnd(width);
}

export function Table({ columns, rows, selectedId, empty }: { columns: Column[]; rows: Row[]; selectedId?: string; empty?: string }) {
  return (
    <Box flexDirection="column">
      <Text bold>
        {'  '}
        {columns.map((c) => fit(c.title, c.width, c.align)).join(' ')}
      </Text>
      {rows.length === 0 ? <Text color="gray">  {empty ?? 'nothing to show'}</Text> : null}
      {rows.map((row) => {
        const selected = row.id === selectedId;
        return (
          <Text key={row.id} inverse={selected}>
            {selected ? '> ' : '  '}
            {columns.map((c, i) => {
              const cell = row.cells[c.key] ?? { text: '' };
              return (
                <Text key={c.key} color={toneColor(cell.tone)} bold={cell.bold}>
                  {fit(cell.text, c.width, c.align)}
                  {i < columns.length - 1 ? ' ' : ''}
                </Text>
              );
            })}
          </Text>
        );
      })}
    </Box>
  );
}
