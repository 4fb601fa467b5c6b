/**
 * Rolling upgrade over SSH: the new etcd binary (or release tarball) checked first (the path check:
 * one minor at a time, no downgrade but a patch one, 3.4 -> 3.5 with auth refused; the flag check: the
 * new binary's --help against each host's env file), a verified snapshot from the leader, then one
 * member at a time with the old binary kept; the member that fails is rolled back and the run stops.
 */
import { defineFlow, type ConsoleInputSource, type FormEnv, type Parsed, type PlanEnv } from '../flow.js';
import type { FlowField } from '../state.js';
import { needList, usageError } from './common.js';
import { hostsTarget, parsePause, parseRollingArgument, prepareRollingFlow, rollingFromConsole, type RollingFlowInput } from './restart-all.js';

const STEP_CHOICES = ['off', 'on'];
const SNAPSHOT_CHOICES = ['before the first member', 'before every member'];

/** The upgrade's form, prefilled from the palette words (`:upgrade PATH [MEMBER...] [--version V] ...`); complete when they name the binary. */
export function upgradeForm(argument: string | undefined, _hosts: string[], _env: FormEnv): { fields: FlowField[]; focus: number; complete: boolean; notes: string[] } {
  const parsed = parseRollingArgument(argument, { upgrade: true });
  const given = parsed.ok ? parsed.input : { only: [] as string[] };
  const fields: FlowField[] = [
    { key: 'binary', label: 'Binary', value: given.binary ?? '', placeholder: 'etcd binary or etcd-vX.Y.Z-linux-ARCH.tar.gz on this machine' },
    { key: 'version', label: 'Version', value: given.version ?? '', placeholder: 'asked from the binary' },
    { key: 'members', label: 'Members', value: given.only.join(' '), placeholder: 'all, followers first, the leader last' },
    { key: 'pause', label: 'Pause', value: given.pauseBetweenMs ? `${given.pauseBetweenMs / 1000}s` : '', placeholder: 'between members, e.g. 30s (none)' },
    { key: 'step', label: 'Step mode', value: STEP_CHOICES[given.stepMode ? 1 : 0], choices: STEP_CHOICES },
    { key: 'snapshotEach', label: 'Snapshots', value: SNAPSHOT_CHOICES[given.snapshotEach ? 1 : 0], choices: SNAPSHOT_CHOICES },
  ];
  return {
    fields,
    focus: 0,
    complete: Boolean(given.binary),
    // No notes: at 80x24 the dialog has about ten rows, and a refusal must show without scrolling.
    notes: [],
  };
}

/** The form's input (a filled form), else the palette words; the binary must be a file on this machine before the preflight. */
export function upgradeFromConsole(source: ConsoleInputSource, env: PlanEnv): Parsed<RollingFlowInput> {
  const binary = source.field('binary').trim();
  const usedForm = binary !== '' || source.field('step') !== '';
  if (!usedForm) return rollingFromConsole(source.argument, env, true);
  if (!binary) return { ok: false, refusal: 'Binary: give the new etcd (an etcd binary or a release .tar.gz on this machine)' };
  const path = env.resolvePath(binary);
  if (env.existing([path]).length === 0) return { ok: false, refusal: `Binary: ${path} does not exist on this machine` };
  const version = source.field('version').trim();
  if (version && !/^\d+\.\d+\.\d+$/.test(version)) return { ok: false, refusal: `Version: "${version}" is not an etcd version like 3.5.16 (leave it empty to ask the binary)` };
  const pauseText = source.field('pause').trim();
  const pauseBetweenMs = pauseText ? parsePause(pauseText) : undefined;
  if (pauseText && pauseBetweenMs === undefined) return { ok: false, refusal: `Pause: "${pauseText}" is not a duration (examples: 30s, 2m; empty: no pause)` };
  const only = source.field('members').split(/[\s,]+/).filter((w) => w && w !== 'all');
  return {
    ok: true,
    input: {
      only,
      binary: path,
      ...(version ? { version } : {}),
      ...(pauseBetweenMs ? { pauseBetweenMs } : {}),
      ...(source.field('step') === 'on' ? { stepMode: true } : {}),
      ...(source.field('snapshotEach') === SNAPSHOT_CHOICES[1] ? { snapshotEach: true } : {}),
      withAuth: env.withAuth,
      gapThreshold: env.gapThreshold,
    },
  };
}

export const UPGRADE_USAGE = `etcd-tui upgrade --binary PATH [--etcd-version V] [HOST...] [--pause-between DURATION] [--snapshot-each] [--accept-new-host-key] [--wait 5m]
  PATH: an etcd binary or a release tarball (etcd-vX.Y.Z-linux-ARCH.tar.gz) on this machine
  HOST: members (by name) to upgrade; default every member of the context
  also takes --dry-run (checks and plan only), --yes, --audit-log FILE`;

export default defineFlow<RollingFlowInput>({
  id: 'upgrade',
  title: 'Rolling upgrade over SSH',
  command: {
    id: 'upgrade',
    title: 'Rolling upgrade',
    description: 'Rolling upgrade over SSH to the etcd binary or release tarball PATH: path and flag checks, a snapshot first, one member at a time, the one that fails rolled back; space pauses, s steps (`:upgrade PATH [MEMBER...] [--version V] [--pause-between 30s] [--step] [--snapshot-each]`)',
    keys: ['G'],
    disabledReason: needList,
  },
  opening: { kind: 'hosts', target: (argument, hosts) => hostsTarget(argument, hosts, true, 'Rolling upgrade over SSH'), form: upgradeForm },
  needsHosts: true,
  fromConsole: upgradeFromConsole,
  cli: {
    command: ['upgrade'],
    fromCli: ({ args, options, usage }) => {
      if (!options.binary) throw usageError('upgrade: give the new etcd: --binary PATH (an etcd binary or a release .tar.gz on this machine)', usage);
      return { only: args, binary: options.binary, ...(options.etcdVersion ? { version: options.etcdVersion } : {}), ...(options.pauseBetweenMs ? { pauseBetweenMs: options.pauseBetweenMs } : {}), ...(options.step ? { stepMode: true } : {}), ...(options.snapshotEach ? { snapshotEach: true } : {}) };
    },
  },
  plan: () => ({ ok: false, refusal: 'preflight has not run yet' }),
  prepare: prepareRollingFlow,
  rolling: (input) => ({ pauseBetweenMs: input.pauseBetweenMs, stepMode: input.stepMode }),
  audit: (input, source) => ({ argument: source.argument, ...(input ? { binary: input.binary, hosts: input.only, ...(input.version ? { version: input.version } : {}), ...(input.snapshotEach ? { snapshotEach: true } : {}) } : {}) }),
});
