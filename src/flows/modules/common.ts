/** Helpers shared by the flow modules: the member screens, usage errors, the reasons that need a member. */
import type { Command } from '../../commands/types.js';
import type { AppState } from '../../store/store.js';
import type { Member } from '../../domain/types.js';
import type { FlowField } from '../state.js';
import { ConfigError } from '../../domain/errors.js';

/** The selected member, as the newest view knows it. */
export function selectedMember(state: AppState): Member | undefined {
  return state.latest.members.find((m) => m.id === state.ui.selectedId);
}

/** Reasons shared by the flows that act on one member. */
export function needMember(state: AppState, argument: string | undefined, what: string): string | undefined {
  if (argument) return undefined;
  if (!state.latest.loaded) return 'the member list has not been read yet';
  return selectedMember(state) ? undefined : `select ${what}`;
}

export const needList: NonNullable<Command['disabledReason']> = (s) => (s.latest.loaded ? undefined : 'the member list has not been read yet');

/** The form of the flows that add a member: its name and peer URLs. */
export function memberForm(name: string, peerURLs: string, placeholder?: string): FlowField[] {
  return [
    { key: 'name', label: 'name', value: name, placeholder: 'etcd-4' },
    { key: 'peerURLs', label: 'peer URLs', value: peerURLs, placeholder: placeholder ?? 'https://10.0.0.4:2380 (comma-separated for several)' },
  ];
}

/** A usage error of a headless command (exit 4), with the command's usage. */
export function usageError(text: string, usage: string): ConfigError {
  return new ConfigError(`${text} (usage:\n${usage})`);
}

/** A name for a new member: the next number after the members' common prefix ("etcd-3" -> "etcd-4"), else m<N+1>. */
export function suggestMemberName(members: Member[]): string {
  const names = new Set(members.map((m) => m.name));
  const parsed = members.map((m) => /^(.*?)(\d+)$/.exec(m.name)).filter((x): x is RegExpExecArray => x !== null);
  const prefixes = new Set(parsed.map((x) => x[1]));
  const prefix = parsed.length > 0 && prefixes.size === 1 ? parsed[0][1] : 'm';
  let n = Math.max(members.length, ...parsed.filter((x) => x[1] === prefix).map((x) => Number(x[2]))) + 1;
  while (names.has(`${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

/** The member a headless command acts on (its first word): required. */
export function memberArg(args: string[], usage: string): string {
  if (!args[0]) throw usageError('the member (ID or name) is missing', usage);
  return args[0];
}
