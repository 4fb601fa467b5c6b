/**
 * Every action kind's handler, by the module that owns it. A new action: its type in
 * src/domain/plan.ts, its handler in the module of its flow family (exported as XXX_HANDLERS), and
 * that module spread here. The type below makes a missing handler a compile error.
 */
import type { ActionHandlers } from './types.js';
import { MEMBERSHIP_HANDLERS } from './membership-actions.js';
import { MAINTENANCE_HANDLERS } from './maintenance-actions.js';
import { SNAPSHOT_HANDLERS } from './snapshot-actions.js';
import { REMOTE_HANDLERS } from './remote-actions.js';
import { RECOVERY_HANDLERS } from './recovery-actions.js';
import { ROLLING_HANDLERS } from './rolling-actions.js';
import { ROLLING_CHANGE_HANDLERS } from './rolling-change-actions.js';
import { CA_ROTATION_HANDLERS } from './ca-rotation.js';

export const ACTION_HANDLERS: ActionHandlers = {
  ...MEMBERSHIP_HANDLERS,
  ...MAINTENANCE_HANDLERS,
  ...SNAPSHOT_HANDLERS,
  ...REMOTE_HANDLERS,
  ...RECOVERY_HANDLERS,
  ...ROLLING_HANDLERS,
  ...ROLLING_CHANGE_HANDLERS,
  ...CA_ROTATION_HANDLERS,
};
