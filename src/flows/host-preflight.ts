/**
 * A flow on the context's hosts (bootstrap, restore, rolling runs, certificates): the read-only
 * preflight over SSH through the host port, which gives the plan (or the refusal with every failed
 * check) and the host keys known_hosts lacks; trusting those keys (t) runs it again. What it prepared
 * is kept for the run: the plan again on a fresh view, and what to do after the run.
 */
import type { AppStore } from '../store/store.js';
import type { HostPrepared } from '../run/host-port.js';
import type { FlowView } from './state.js';
import type { FlowDeps } from './deps.js';
import type { DialogHost } from './dialog-host.js';
import type { FlowPlanning } from './planning.js';
import { errorMessage } from '../domain/errors.js';
import { stepViews } from './stages.js';
import { flowById } from './modules/index.js';

export class HostPreflight {
  /** The preflight's answer for the dialog open now (undefined until it ran). */
  prepared?: HostPrepared;

  constructor(
    private readonly store: AppStore,
    private readonly deps: FlowDeps,
    private readonly host: DialogHost,
    private readonly planning: FlowPlanning,
  ) {}

  /** A new flow on hosts: nothing prepared yet. */
  reset(): void {
    this.prepared = undefined;
  }

  /** Preflight over SSH through the host port, then the plan (or the refusal with every failed check). */
  async run(g: number): Promise<void> {
    const f = this.host.flow();
    const port = this.deps.hosts;
    if (!f || !port) return;
    const def = flowById(f.kind);
    if (!def.prepare) return;
    this.host.update(g, { busy: 'preflight: connecting to the hosts over SSH (read-only checks)', hostStates: {}, refusal: undefined, plan: undefined, steps: [], unknownKeys: undefined });
    const onHost = (host: string, state: string) => this.host.update(g, (x) => ({ hostStates: { ...(x.hostStates ?? {}), [host]: state } }));
    const view = this.store.getState().latest;
    const input = this.planning.input(f);
    let prepared: HostPrepared & { unknownKeys: FlowView['unknownKeys'] };
    try {
      if (!input.ok) throw new Error(input.refusal);
      const prepare = def.prepare;
      prepared = await port.prepare({ flow: f.kind, argument: f.argument }, (session) => prepare(view, input.input, session), onHost, (q) => (g === this.host.generation() ? this.host.askSecret(q) : Promise.resolve(undefined)));
    } catch (error) {
      this.host.update(g, { busy: undefined, refusal: `preflight could not run: ${errorMessage(error)}; nothing was changed` });
      return;
    }
    if (g !== this.host.generation()) return;
    this.prepared = prepared;
    const unknownKeys = prepared.unknownKeys && prepared.unknownKeys.length > 0 ? prepared.unknownKeys : undefined;
    if (!prepared.planned.ok) {
      const refusal = prepared.planned.refusal;
      const auditError = this.planning.recordRefusal(f, { argument: f.argument }, this.store.getState().latest, refusal);
      if (auditError) this.host.say(`audit record not written: ${auditError}`, 'error');
      this.host.update(g, { busy: undefined, refusal, unknownKeys });
      return;
    }
    // A form (upgrade) that passed its preflight goes on to the preview; a refusal leaves the form to fix.
    this.host.update(g, { stage: 'preview', busy: undefined, refusal: undefined, unknownKeys, plan: prepared.planned.plan, steps: stepViews(prepared.planned.plan) });
  }

  /** t: record the host keys the preflight showed in known_hosts, then check again. */
  trust(): void {
    const f = this.host.flow();
    const port = this.deps.hosts;
    if (!f?.unknownKeys?.length || !port || f.busy || this.host.running()) return;
    const g = this.host.generation();
    const hosts = f.unknownKeys.map((k) => k.host);
    this.host.update(g, { busy: `recording the host keys of ${hosts.join(', ')} in known_hosts` });
    port.trust(hosts).then(
      () => {
        this.host.say(`trusted the host keys of ${hosts.join(', ')}`);
        void this.run(g);
      },
      (error: unknown) => this.host.update(g, { busy: undefined, refusal: `could not record the host keys: ${errorMessage(error)}` }),
    );
  }
}
