/**
 * How a flow's dialog opens, pure: from the flow's opening (a member, a form, the palette argument,
 * the context's hosts), the dialog's first state and what the controller does next (plan, run the
 * preflight over SSH, suggest a peer URL, show the refusals that do not depend on the form).
 */
import type { ClusterView } from '../health/view.js';
import type { AnyFlowDefinition, FormEnv } from './flow.js';
import type { FlowView } from './state.js';
import { givenLabel, resolveMember } from '../plans/membership.js';

/** What the controller does once the dialog shows. */
export type OpenedThen = 'plan' | 'preflight' | 'suggest-peer-url' | 'check-refusal' | 'none';

/** The dialog's first state and the next move. */
export interface Opened {
  flow: FlowView;
  then: OpenedThen;
}

/** What an opening reads of the console. */
export interface OpeningContext {
  view: ClusterView;
  /** The context's inventory hosts (undefined: no host port, or the context has no hosts). */
  hosts: string[] | undefined;
  /** The dashboard's selected member. */
  selectedId?: string;
  /** Names the add flows gave to members not started yet (from the audit log). */
  memberNames?: Record<string, string>;
  /** Sandbox: the console can start a new member itself. */
  canStartMembers: boolean;
  /** The sandbox can suggest a free peer URL. */
  canSuggestPeerURL: boolean;
  formEnv(): FormEnv;
}

const NO_HOSTS = 'this context has no hosts: add a hosts list to the context in the contexts file (README, "Hosts over SSH"), then reopen the console on it';

/** The dialog a flow opens with, from its opening and the palette argument. */
export function openFlow(def: AnyFlowDefinition, argument: string | undefined, ctx: OpeningContext): Opened {
  const base: FlowView = { kind: def.id, title: def.title, stage: 'preview', fields: [], focus: 0, typed: '', steps: [] };
  const startLocally = def.startsMember && ctx.canStartMembers ? true : undefined;
  const opening = def.opening;
  const view = ctx.view;
  switch (opening.kind) {
    case 'argument':
      return { flow: { ...base, argument: argument?.trim() || undefined }, then: 'plan' };
    case 'hosts': {
      const arg = argument?.trim() || undefined;
      const hosts = ctx.hosts;
      if (!hosts) {
        const title = opening.target?.(arg, [], view).title ?? def.title;
        return { flow: { ...base, title: arg && opening.target ? `${def.title}: ${arg}` : title, argument: arg, refusal: NO_HOSTS }, then: 'none' };
      }
      // A declared form (upgrade) opens first unless the palette words complete it; enter then runs the preflight.
      if (opening.form) {
        const form = opening.form(arg, hosts, ctx.formEnv());
        if (!form.complete) return { flow: { ...base, stage: 'form', argument: arg, fields: form.fields, focus: form.focus, ...(form.notes?.length ? { formNotes: form.notes } : {}) }, then: 'none' };
      }
      const chosen = opening.target ? opening.target(arg, hosts, view) : { ok: true as const, argument: arg };
      const title = chosen.title ?? def.title;
      if (!chosen.ok) return { flow: { ...base, title, argument: chosen.argument, refusal: chosen.refusal }, then: 'none' };
      return { flow: { ...base, title, argument: chosen.argument }, then: 'preflight' };
    }
    case 'form': {
      const form = opening.form(argument, view, ctx.formEnv());
      const flow: FlowView = { ...base, stage: 'form', fields: form.fields, focus: form.focus, startLocally, ...(form.notes ? { formNotes: form.notes } : {}) };
      if (form.complete) return { flow, then: 'plan' };
      const suggest = !form.fields.find((x) => x.key === 'peerURLs')?.value && ctx.canSuggestPeerURL;
      return { flow, then: suggest ? 'suggest-peer-url' : 'none' };
    }
    case 'member': {
      const ref = argument?.trim() || ctx.selectedId;
      // A member not started yet is found by the name the add flow gave it (from the audit log).
      const found = ref ? resolveMember(view, ref, ctx.memberNames) : { ok: false as const, refusal: 'no member selected: select one on the dashboard or give its name (e.g. :remove m2)' };
      if (!found.ok) return { flow: { ...base, refusal: found.refusal }, then: 'none' };
      const target = found.member;
      const title = `${def.title}: ${givenLabel(target, ctx.memberNames)}`;
      // With a form, the refusals that do not depend on the form (the member answers, quorum) show at once.
      if (opening.form) return { flow: { ...base, title, target: target.id, stage: 'form', fields: opening.form(target), startLocally }, then: 'check-refusal' };
      return { flow: { ...base, title, target: target.id }, then: 'plan' };
    }
  }
}
