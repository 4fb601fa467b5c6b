/** NOSPACE recovery: compact, rolling defrag of every voter, check the quota, disarm NOSPACE only. */
import { planRecoverNospace, type RecoverNospaceInput } from '../../plans/maintenance.js';
import { defineFlow } from '../flow.js';
import { needList } from './common.js';
import { maintenanceCommon } from './defrag.js';

type Input = Pick<RecoverNospaceInput, 'compactRetain' | 'moveLeader'>;

export default defineFlow<Input>({
  id: 'recover-nospace',
  title: 'Recover from NOSPACE',
  command: {
    id: 'alarms',
    title: 'NOSPACE recovery',
    description: 'Recover from NOSPACE: compact, rolling defrag of every voter, check every member is below the quota, disarm NOSPACE only (CORRUPT never)',
    keys: ['A'],
    disabledReason: needList,
  },
  opening: { kind: 'argument' },
  fromConsole: () => ({ ok: true, input: {} }),
  cli: {
    command: ['alarm', 'recover-nospace'],
    fromCli: ({ options }) => ({ compactRetain: options.compactRetain, moveLeader: options.moveLeader ?? false }),
  },
  plan: (view, input, env) => planRecoverNospace(view, { ...maintenanceCommon(env), ...input }),
  audit: (input) => ({ ...input }),
});
