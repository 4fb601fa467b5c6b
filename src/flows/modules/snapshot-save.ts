/** Save a verified snapshot (default: from the leader): streamed, sha256 checked, fsynced, renamed, with a sidecar. */
import { planSnapshotSave } from '../../plans/snapshot.js';
import { ConfigError } from '../../domain/errors.js';
import { defineFlow } from '../flow.js';
import { needList, usageError } from './common.js';

interface Input {
  file: string;
  from?: string;
}

export default defineFlow<Input>({
  id: 'snapshot-save',
  title: 'Save a snapshot',
  command: {
    id: 'snapshot',
    title: 'Snapshot',
    description: 'Save a verified snapshot from the leader (`:snapshot FILE`): streamed, sha256 checked, fsynced, renamed, with a JSON sidecar',
    keys: ['S'],
    disabledReason: needList,
  },
  opening: { kind: 'argument' },
  fromConsole: ({ argument }) => (argument ? { ok: true, input: { file: argument } } : { ok: false, refusal: 'give the file to save to: :snapshot /var/backups/etcd/snap.db' }),
  cli: {
    command: ['snapshot', 'save'],
    fromCli: ({ args, options, usage }) => {
      if (args.length === 0 || !args[0]) throw usageError('snapshot save: the snapshot FILE is missing', usage);
      if (args.length > 1) throw new ConfigError(`snapshot save: unexpected argument "${args[1]}" (one FILE; usage:\n${usage})`);
      return { file: args[0], from: options.from };
    },
  },
  plan: (view, input, env) => {
    const file = env.resolvePath(input.file);
    return planSnapshotSave(view, { from: input.from, file, existing: env.existing([file, `${file}.part`, `${file}.json`]), withAuth: env.withAuth });
  },
  audit: (input, source) => (input ? { file: input.file, from: input.from } : { argument: source.argument }),
});
