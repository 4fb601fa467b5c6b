/** Compact the history, keeping the last N revisions (or up to a revision). */
import { planCompact, type CompactInput } from '../../plans/maintenance.js';
import { defineFlow } from '../flow.js';
import { needList, usageError } from './common.js';

export default defineFlow<CompactInput>({
  id: 'compact',
  title: 'Compact history',
  command: {
    id: 'compact',
    title: 'Compact',
    description: 'Compact the history, keeping the last N revisions (`:compact 10000`); says what it costs watchers',
    keys: ['C'],
    disabledReason: needList,
  },
  opening: { kind: 'argument' },
  fromConsole: ({ argument }) => {
    const retain = Number(argument);
    if (!argument || !Number.isInteger(retain) || retain < 1) return { ok: false, refusal: 'give the number of revisions to keep: :compact 10000' };
    return { ok: true, input: { retain } };
  },
  cli: {
    command: ['compact'],
    fromCli: ({ options, usage }) => {
      if ((options.retain === undefined) === (options.revision === undefined)) throw usageError('compact: give --retain N (keep the last N revisions) or --revision R, one of them', usage);
      return { retain: options.retain, revision: options.revision };
    },
  },
  plan: (view, input) => planCompact(view, input),
  audit: (input, source) => (input ? { ...input } : { argument: source.argument }),
});
