/**
 * Rolling upgrade over SSH: the new etcd binary (or release tarball) checked first (the path check:
 * one minor at a time, no downgrade but a patch one, 3.4 -> 3.5 with auth refused; the flag check: the
 * new binary's --help against each host's env file), a verified snapshot from the leader, then one
 * member at a time with the old binary kept; the member that fails is rolled back and the run stops.
 */
import { defineFlow } from '../flow.js';
import { needList, usageError } from './common.js';
import { hostsTarget, prepareRollingFlow, rollingFromConsole, type RollingFlowInput } from './restart-all.js';

export const UPGRADE_USAGE = `etcd-tui upgrade --binary PATH [--etcd-version V] [HOST...] [--pause-between DURATION] [--accept-new-host-key] [--wait 5m]
  PATH: an etcd binary or a release tarball (etcd-vX.Y.Z-linux-ARCH.tar.gz) on this machine
  HOST: members (by name) to upgrade; default every member of the context
  also takes --dry-run (checks and plan only), --yes, --audit-log FILE`;

export default defineFlow<RollingFlowInput>({
  id: 'upgrade',
  title: 'Rolling upgrade over SSH',
  command: {
    id: 'upgrade',
    title: 'Rolling upgrade',
    description: 'Rolling upgrade over SSH to the etcd binary or release tarball PATH: path and flag checks, a snapshot first, one member at a time, the one that fails rolled back; space pauses, s steps (`:upgrade PATH [MEMBER...] [--version V] [--pause-between 30s] [--step]`)',
    keys: ['G'],
    disabledReason: needList,
  },
  opening: { kind: 'hosts', target: (argument, hosts) => hostsTarget(argument, hosts, true, 'Rolling upgrade over SSH') },
  needsHosts: true,
  fromConsole: ({ argument }, env) => rollingFromConsole(argument, env, true),
  cli: {
    command: ['upgrade'],
    fromCli: ({ args, options, usage }) => {
      if (!options.binary) throw usageError('upgrade: give the new etcd: --binary PATH (an etcd binary or a release .tar.gz on this machine)', usage);
      return { only: args, binary: options.binary, ...(options.etcdVersion ? { version: options.etcdVersion } : {}), ...(options.pauseBetweenMs ? { pauseBetweenMs: options.pauseBetweenMs } : {}), ...(options.step ? { stepMode: true } : {}) };
    },
  },
  plan: () => ({ ok: false, refusal: 'preflight has not run yet' }),
  prepare: prepareRollingFlow,
  rolling: (input) => ({ pauseBetweenMs: input.pauseBetweenMs, stepMode: input.stepMode }),
  audit: (input, source) => ({ argument: source.argument, ...(input ? { binary: input.binary, hosts: input.only, ...(input.version ? { version: input.version } : {}) } : {}) }),
});
