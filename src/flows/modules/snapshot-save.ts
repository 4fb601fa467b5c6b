/**
 * Save a verified snapshot (default: from the leader): streamed, sha256 checked, fsynced, renamed, with
 * a sidecar. The console opens a form: the file (default etcd-CONTEXT-STAMP.db in the working
 * directory; an existing file is refused in the form) and the member to save from (default the leader).
 */
import { planSnapshotSave } from '../../plans/snapshot.js';
import { ConfigError } from '../../domain/errors.js';
import type { PlanResult } from '../../domain/plan.js';
import { defineFlow } from '../flow.js';
import { needList, usageError } from './common.js';
import { utcStamp } from '../../format/stamp.js';

interface Input {
  file: string;
  from?: string;
  /** From the console's form: refusals name its fields, not CLI flags. */
  console?: boolean;
}

/** The default snapshot file: etcd-CONTEXT-YYYYMMDDTHHMMSSZ.db (the context made safe for a file name). */
export function defaultSnapshotName(context: string, now: number): string {
  const stamp = utcStamp(now);
  const safe = context.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+|[._-]+$/g, '') || 'cluster';
  return `etcd-${safe}-${stamp}.db`;
}

function inConsoleWords(result: PlanResult): PlanResult {
  if (result.ok) return result;
  return { ok: false, refusal: result.refusal.replace(/(with )?--from ID\|NAME/g, 'in the "from" field (a member\'s name or ID)').replace(/\(usage: etcd-tui snapshot save FILE\)/, '(:snapshot FILE)') };
}

export default defineFlow<Input>({
  id: 'snapshot-save',
  title: 'Save a snapshot',
  command: {
    id: 'snapshot',
    title: 'Snapshot',
    description: 'Save a verified snapshot from the leader: a form with the file (default ./etcd-CONTEXT-STAMP.db, never overwritten) and the member (`:snapshot FILE`): streamed, sha256 checked, fsynced, renamed, with a JSON sidecar',
    keys: ['S'],
    disabledReason: needList,
  },
  opening: {
    kind: 'form',
    form: (argument, _view, env) => {
      const given = (argument ?? '').trim();
      return {
        fields: [
          { key: 'file', label: 'file', value: given || defaultSnapshotName(env.context, env.now()), placeholder: 'FILE (relative to the working directory)' },
          { key: 'from', label: 'from', value: '', placeholder: 'the leader (or a member name or ID)' },
        ],
        focus: 0,
        complete: given !== '',
        notes: [`saved in ${env.resolvePath('.')} unless the path says otherwise; an existing file is never overwritten`],
      };
    },
  },
  fromConsole: (source) => {
    const file = source.field('file').trim();
    if (!file) return { ok: false, refusal: 'give the file to save to: :snapshot FILE' };
    const from = source.field('from').trim();
    return { ok: true, input: { file, ...(from ? { from } : {}), console: true } };
  },
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
    const planned = planSnapshotSave(view, { from: input.from, file, existing: env.existing([file, `${file}.part`, `${file}.json`]), withAuth: env.withAuth });
    return input.console ? inConsoleWords(planned) : planned;
  },
  audit: (input, source) => (input ? { file: input.file, from: input.from } : { file: source.field?.('file') ?? source.argument }),
});
