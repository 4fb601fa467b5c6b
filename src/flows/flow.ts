/**
 * A flow is one module (src/flows/modules/*.ts, listed in src/flows/modules/index.ts). Its definition
 * holds everything particular to the flow: id, title, the command that opens it (keys, palette, help),
 * how the console opens it (a member, a form, the palette argument, hosts), its input (console form or
 * palette argument, CLI options: one parser and validator each feeding the same input type), whether it
 * needs hosts (SSH), how it plans (the pure planner), what it shows when done and its audit fields.
 * The console's controller, the palette, the help screen and the headless CLI all read these
 * definitions; nothing about a particular flow is special-cased elsewhere. Pure: no I/O here.
 */
import type { Command } from '../commands/types.js';
import type { FlowId, PlanResult } from '../domain/plan.js';
import type { HostPrepared, HostSession } from '../run/host-port.js';
import type { Member } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import type { FlowField } from './state.js';

/** What a planner may read besides the view and the input: filled the same way by the console and the CLI. */
export interface PlanEnv {
  /** Applied-index gap under which a member counts as caught up. */
  gapThreshold: number;
  /** The cluster's --quota-backend-bytes; quotaGiven: the operator gave it (else etcd's default is assumed). */
  quotaBytes: number;
  quotaGiven?: boolean;
  /** The least time one maintenance call may take (defrag timeouts grow with the DB from here). */
  commandTimeoutMs: number;
  /** Since when each member has been seen down (epoch ms; the console's poller knows, the CLI does not). */
  downSince: Record<string, number>;
  now(): number;
  /** The connection authenticates (a learner cannot serve a snapshot then). */
  withAuth: boolean;
  /** Which of these local paths exist (a snapshot is never written over). */
  existing(paths: string[]): string[];
  /** A path as given, made absolute (against the working directory). */
  resolvePath(path: string): string;
  /** How long promote and replace wait for catch-up and promotion (default FLOW_DEFAULTS.waitMs). */
  waitMs?: number;
  /** Names the add flows gave to members, by hex ID (from the audit log): a member that has not started has none in etcd yet. */
  memberNames?: Record<string, string>;
}

/** What a form may read to prefill itself besides the view: the planners' environment, the context, what the console knows. */
export interface FormEnv extends PlanEnv {
  /** The console's context name (a default snapshot file is named after it). */
  context: string;
  /** The highest compacted revision the console has seen (its last consistency check), if any. */
  compactedRevision?: number;
}

/** The headless command line as a flow reads it: the positional words after the command, and the parsed options. */
export interface FlowCliInput {
  args: string[];
  options: FlowOptions;
  /** The command's usage, for the message of a usage error. */
  usage: string;
}

/** The parsed CLI options a flow may read (src/cli declares and parses them; values already validated). */
export interface FlowOptions {
  name?: string;
  peerURLs?: string;
  waitMs?: number;
  downForMs?: number;
  newName?: string;
  noMoveLeader?: boolean;
  rule?: string;
  all?: boolean;
  compactRetain?: number;
  moveLeader?: boolean;
  retain?: number;
  revision?: number;
  from?: string;
  /** snapshot restore */
  skipHashCheck?: boolean;
  bumpRevision?: number;
  token?: string;
  /** rolling runs: the new etcd (upgrade), its version, the wait between members, step mode */
  binary?: string;
  etcdVersion?: string;
  pauseBetweenMs?: number;
  step?: boolean;
  /** upgrade: a verified snapshot before every member */
  snapshotEach?: boolean;
}

/** What the console's dialog has for a flow when it plans. */
export interface ConsoleInputSource {
  /** The palette argument (`:defrag all`), for the flows that take one. */
  argument?: string;
  /** The member the flow acts on (decimal ID), for the flows that act on one. */
  target?: string;
  /** The form's fields by key. */
  field(key: FlowField['key']): string;
}

/** How the console opens the flow's dialog. */
export type FlowOpening =
  /** On one member: the palette argument names it, else the dashboard's selection. `form`: then a form (replace). */
  | { kind: 'member'; form?: (target: Member) => FlowField[] }
  /** A form first (add-learner); the palette argument may fill it ("NAME [PEER-URLS]"). */
  | { kind: 'form'; form: (argument: string | undefined, view: ClusterView, env: FormEnv) => { fields: FlowField[]; focus: number; complete: boolean; notes?: string[] } }
  /** Straight to the plan; the palette argument is the input (`:defrag all`, `:compact 10000`). */
  | { kind: 'argument' }
  /** Hosts of the context's inventory over SSH (bootstrap): preflight through the host port, then the plan. */
  | {
      kind: 'hosts';
      target?: (argument: string | undefined, hosts: string[], view: ClusterView) => { ok: true; argument?: string; title?: string } | { ok: false; refusal: string; argument?: string; title?: string };
      /** A form before the preflight (upgrade: binary, version, members, pace), prefilled from the palette argument; enter runs the preflight. */
      form?: (argument: string | undefined, hosts: string[], env: FormEnv) => { fields: FlowField[]; focus: number; complete: boolean; notes?: string[] };
    };

/** The command that opens the flow: keys, palette id, help text, when it is disabled. */
export type FlowCommand = Pick<Command, 'id' | 'title' | 'description' | 'keys' | 'hint' | 'disabledReason'>;

/** The result of an input parser: the input, or why it cannot be planned (the console shows it as a refusal). */
export type Parsed<I> = { ok: true; input: I } | { ok: false; refusal: string };

export interface FlowDefinition<I = unknown> {
  id: FlowId;
  /** The dialog's title before a plan exists. */
  title: string;
  command: FlowCommand;
  opening: FlowOpening;
  /** Sandbox: offer to start the new member locally (flows that add one). */
  startsMember?: boolean;
  /** Needs SSH access to the context's hosts (the host port). */
  needsHosts?: boolean;
  /** The console's input parser (palette argument, form, target member). */
  fromConsole(source: ConsoleInputSource, env: PlanEnv): Parsed<I>;
  /** The headless command: its words and its input parser (throws ConfigError on a usage error). */
  cli?: { command: string[]; fromCli(cli: FlowCliInput): I };
  /** The plan, from the pure planner. */
  plan(view: ClusterView, input: I, env: PlanEnv): PlanResult;
  /** Flows on hosts: preflight over the host port's session, then the plan (the console and the CLI call it the same way). */
  prepare?(view: ClusterView, input: I, session: HostSession): Promise<HostPrepared>;
  /** Extra lines the preview shows (move-leader: who could lead). */
  previewLines?(view: ClusterView, env: PlanEnv): string[];
  /** A rolling run (one member at a time): the console shows the board and paces the run (pause, step mode, wait between members). */
  rolling?(input: I): { pauseBetweenMs?: number; stepMode?: boolean };
  /** The arguments an audit record of a refusal keeps. */
  audit(input: I | undefined, source: { argument?: string; target?: string; field?: (key: FlowField['key']) => string }): Record<string, unknown>;
}

/** A definition whose input type is erased, for lists. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFlowDefinition = FlowDefinition<any>;

/** Identity with the input type checked: `export default defineFlow<PromoteInput>({ ... })`. */
export function defineFlow<I>(definition: FlowDefinition<I>): FlowDefinition<I> {
  return definition;
}
