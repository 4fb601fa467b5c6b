/**
 * The visibility panes in the command registry: certificates (K), metrics (M), the consistency
 * check (H, `:check`) and the keyspace triage (U, `:keyspace [PREFIX] [DEPTH]`), and `s` to stop a
 * running check or scan. None is dangerous: they only read.
 */
import type { Command, CommandContext } from './types.js';

export type { InspectActions } from './types.js';

/** What the console's commands ask of the visibility loops (src/monitor/inspect.ts). */

const TASK_SCREENS: Command['screens'] = ['consistency', 'keyspace'];

function needInspect(ctx: CommandContext): boolean {
  if (ctx.inspect) return true;
  ctx.store.getState().say('this console has no inspection gateway', 'warn');
  return false;
}

export const INSPECT_COMMANDS: Command[] = [
  {
    id: 'certs',
    title: 'Certificates',
    description: "Certificates: each member's server certificate (read in the TLS handshake), the CA and the client certificate, with days left and SAN coverage; read again now",
    keys: ['K'],
    category: 'view',
    dangerous: false,
    hint: ['dashboard'],
    run: (ctx) => {
      ctx.inspect?.refreshCertificates();
      ctx.store.getState().navigate('certs');
    },
  },
  {
    id: 'detail-certs',
    title: 'Cert tab',
    description: "Member detail: switch between its status and its certificates (the one it presents, its peer, server and CA files when its host is in the context)",
    keys: ['tab'],
    category: 'view',
    dangerous: false,
    screens: ['detail'],
    hint: ['detail'],
    run: ({ store }) => {
      const ui = store.getState().ui;
      store.setState({ ui: { ...ui, detailTab: ui.detailTab === 'certs' ? 'status' : 'certs' } });
    },
  },
  {
    id: 'metrics',
    title: 'Metrics',
    description: 'Metrics per member: WAL fsync, backend commit and peer round-trip p99, proposals, leader changes, RSS, open files (scraped every 10 s while shown)',
    keys: ['M'],
    category: 'view',
    dangerous: false,
    run: ({ store }) => store.getState().navigate('metrics'),
  },
  {
    id: 'check',
    title: 'Consistency check',
    description: 'Consistency check: HashKV on every member at the leader revision; a member whose hash differs is named (reads the whole DB of each member)',
    keys: ['H'],
    category: 'view',
    dangerous: false,
    run: (ctx) => {
      if (!needInspect(ctx)) return;
      ctx.store.getState().navigate('consistency');
      ctx.inspect?.startConsistencyCheck();
    },
  },
  {
    id: 'keyspace',
    title: 'Keyspace',
    description: 'Keyspace triage: top prefixes by keys and bytes from paginated serializable reads on a follower (`:keyspace /registry 3` for a prefix and a depth)',
    keys: ['U'],
    category: 'view',
    dangerous: false,
    run: (ctx, argument) => {
      if (!needInspect(ctx)) return;
      const [prefix, depthText] = (argument ?? '').split(/\s+/).filter(Boolean);
      const depth = depthText && /^\d+$/.test(depthText) && Number(depthText) > 0 ? Number(depthText) : undefined;
      if (depthText && depth === undefined) return ctx.store.getState().say(`keyspace: depth "${depthText}" is not a whole number above 0`, 'warn');
      ctx.store.getState().navigate('keyspace');
      ctx.inspect?.startKeyspaceScan(prefix ?? '', depth);
    },
  },
  {
    id: 'stop-task',
    title: 'Stop',
    description: 'Stop the running consistency check or keyspace scan (a stopped scan shows what it counted so far)',
    keys: ['s'],
    category: 'view',
    dangerous: false,
    screens: TASK_SCREENS,
    hint: TASK_SCREENS,
    run: (ctx) => ctx.inspect?.abortTask(),
  },
];
