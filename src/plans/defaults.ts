/** Defaults of the flows, shared by the console and the headless commands. */
export const FLOW_DEFAULTS = {
  /** How long promote (and replace) wait for catch-up and retry "not in sync". */
  waitMs: 5 * 60_000,
  /** How long a move-leader may take to show the new leader. */
  moveTimeoutMs: 10_000,
  /** Replace: the member must be unreachable this long before it is removed. */
  downForMs: 30_000,
} as const;
