/**
 * Every flow, one module each. To add a flow: copy the module closest to it, give it its own id (a
 * FlowId in src/domain/plan.ts), planner and, if it needs them, executor actions (src/run/actions.ts),
 * then add one line here. The order is the order of the commands in the help screen and the README.
 */
import type { FlowId } from '../../domain/plan.js';
import type { AnyFlowDefinition } from '../flow.js';
import addLearner from './add-learner.js';
import promote from './promote.js';
import remove from './remove.js';
import replace from './replace.js';
import moveLeader from './move-leader.js';
import defrag from './defrag.js';
import compact from './compact.js';
import recoverNospace from './recover-nospace.js';
import snapshotSave from './snapshot-save.js';
import bootstrapJoin from './bootstrap-join.js';
import bootstrapCluster from './bootstrap-cluster.js';
import snapshotRestore from './snapshot-restore.js';
import recoverQuorum from './recover-quorum.js';
import configChange from './config.js';
import rotateCerts from './rotate-certs.js';
import restartAll from './restart-all.js';
import upgrade from './upgrade.js';

export const FLOWS: readonly AnyFlowDefinition[] = [addLearner, promote, remove, replace, moveLeader, defrag, compact, recoverNospace, snapshotSave, bootstrapJoin, bootstrapCluster, snapshotRestore, recoverQuorum, restartAll, upgrade, configChange, rotateCerts];

const BY_ID = new Map<FlowId, AnyFlowDefinition>(FLOWS.map((f) => [f.id, f]));

/** The definition of a flow (every FlowId has one: a test checks it). */
export function flowById(id: FlowId): AnyFlowDefinition {
  const f = BY_ID.get(id);
  if (!f) throw new Error(`no flow module for "${id}"`);
  return f;
}

/** The flow a headless command line names (`member promote`, `defrag`, `alarm recover-nospace`). */
export function flowByCommand(words: string[]): AnyFlowDefinition | undefined {
  return FLOWS.find((f) => f.cli && f.cli.command.length <= words.length && f.cli.command.every((w, i) => words[i] === w));
}
