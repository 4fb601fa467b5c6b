/**
 * A CA change as three rolling runs over every member (issue 11, flow 2), its pure part:
 *   phase 1: each member's trusted CA file(s) become a bundle = the old CA(s) + the new CA;
 *   phase 2: each member gets its new leaf certificate (from the new CA);
 *   phase 3: each member's trusted CA file(s) become the new CA only.
 * Each phase is the rolling engine's run (same gates, order, per-member verification and rollback of
 * the member in flight). The bastion's own connection moves with it: before phase 2 it trusts a
 * bundle of both CAs (written next to the context's CA file), from phase 3 on it presents its new
 * client certificate (when the CA dir has one), and at the end the contexts file points at the new
 * files (the old file kept as a backup). What each host is at is read from the hosts (the CA files'
 * certificates, the serial presented), so a stopped run is finished by running the command again.
 */
import type { Plan, PlanResult, PlanStep } from '../domain/plan.js';
import type { TlsFiles } from '../domain/config.js';
import { certPaths, type HostSpec } from '../domain/hosts.js';
import type { ClusterView } from '../health/view.js';
import { planRolling, type HostFilesChange, type RollingInput } from './rolling.js';

export type CaPhase = 1 | 2 | 3;

/** One trusted-CA file on a host (ETCD_TRUSTED_CA_FILE, ETCD_PEER_TRUSTED_CA_FILE) and what it holds. */
export interface CaFileState {
  path: string;
  /** The PEM certificates in it that are not the new CA (the old CA(s)). */
  oldPems: string[];
  /** It holds the new CA. */
  hasNew: boolean;
}

/** Where one host is in a CA change. */
export interface CaHostState {
  host: HostSpec;
  caFiles: CaFileState[];
  /** The member presents its new leaf certificate already (phase 2 done for it). */
  leafNew: boolean;
  presentedSerial?: string;
  next: { file: string; keyFile: string; serial: string };
}

export interface CaRotationInput {
  hosts: HostSpec[];
  states: CaHostState[];
  newCaPem: string;
  caDir: string;
  /** Which phase to run ('all': every phase still to do, in order). */
  phase: CaPhase | 'all';
  gapThreshold: number;
  timeouts: RollingInput['timeouts'];
  bastion: {
    /** The TLS files the run starts with (the context's). */
    now: TlsFiles;
    /** The bundle of the old and new CA for the bastion (written before phase 2). */
    bundle: { path: string; pem: string };
    /** The new CA file the context points at in the end. */
    newCacert: string;
    /** The bastion's new client certificate from the CA dir (used from phase 3 on), if any. */
    client?: { cert: string; key: string };
  };
  /** The contexts file the context came from (rewritten at the end; undefined: not known, said in the plan). */
  contexts?: { path: string; context: string; backup: string };
}

/** The hosts each phase still has to do. */
export function caPhasesTodo(states: CaHostState[]): Record<CaPhase, string[]> {
  return {
    1: states.filter((s) => s.caFiles.some((f) => !f.hasNew)).map((s) => s.host.name),
    2: states.filter((s) => !s.leafNew).map((s) => s.host.name),
    3: states.filter((s) => s.caFiles.some((f) => !f.hasNew || f.oldPems.length > 0)).map((s) => s.host.name),
  };
}

/** The phases this run does, or why not. */
export function caPhasesToRun(todo: Record<CaPhase, string[]>, phase: CaPhase | 'all'): CaPhase[] | { refusal: string } {
  const pending = ([1, 2, 3] as const).filter((p) => todo[p].length > 0);
  if (pending.length === 0) return { refusal: 'nothing to do: every member trusts only the new CA and presents its new certificate' };
  if (phase === 'all') return pending;
  if (todo[phase].length === 0) return { refusal: `phase ${phase} is done on every member already${pending.length ? ` (still to do: phase ${pending.join(', ')})` : ''}` };
  const earlier = pending.filter((p) => p < phase);
  if (earlier.length > 0) return { refusal: `phase ${phase} needs phase ${earlier.join(' and ')} done on every member first (still to do on ${todo[earlier[0]].join(', ')}): run --phase ${earlier[0]}` };
  return [phase];
}

/** The CA file's new content in a phase: old + new (phase 1), new only (phase 3). */
export function caFileContent(f: CaFileState, newCaPem: string, phase: 1 | 3): string {
  const pems = phase === 1 ? [...f.oldPems, newCaPem] : [newCaPem];
  return pems.map((p) => `${p.trim()}\n`).join('');
}

const PHASE_WHAT: Record<CaPhase, string> = {
  1: 'trusted CA files become a bundle of the old and the new CA',
  2: 'new leaf certificates from the new CA',
  3: 'trusted CA files become the new CA only (the old CA dropped)',
};

function scp(h: HostSpec, local: string, remote: string): string {
  return `scp ${local} ${h.ssh.user}@${h.ssh.address}:${remote}`;
}

/** One phase's files for one host. */
function hostChange(s: CaHostState, phase: CaPhase, input: CaRotationInput, verifyTls: TlsFiles): HostFilesChange {
  const h = s.host;
  const url = `${h.etcdAddress}:${h.clientPort}`;
  const handshake = `openssl s_client -connect ${url} -CAfile ${verifyTls.cacert ?? 'CA'} </dev/null | openssl x509 -noout -serial`;
  if (phase === 2) {
    const p = certPaths(h);
    return {
      changeTitle: `Phase 2: put ${h.name}'s new certificate and key (from the new CA) in place, the old ones kept as backups`,
      changeCommand: scp(h, `${s.next.file} ${s.next.keyFile}`, `${h.certDir}/`),
      files: [
        { source: { kind: 'local', path: s.next.file }, remotePath: p.cert, mode: 0o644, what: 'member certificate' },
        { source: { kind: 'local', path: s.next.keyFile }, remotePath: p.key, mode: 0o600, what: 'member key' },
      ],
      verifyTitle: `Phase 2: check that ${h.name} presents its new certificate (serial ${s.next.serial})`,
      verifyCommand: handshake,
      verify: { kind: 'verify-member-cert', host: h.name, name: h.name, serial: s.next.serial, tls: verifyTls, timeoutMs: 60_000 },
    };
  }
  const files = s.caFiles.filter((f) => (phase === 1 ? !f.hasNew : !f.hasNew || f.oldPems.length > 0));
  const label = phase === 1 ? 'the bundle of the old and new CA' : 'the new CA only';
  return {
    changeTitle: `Phase ${phase}: ${h.name}'s trusted CA file${files.length > 1 ? 's' : ''} ${files.map((f) => f.path).join(', ')} become${files.length > 1 ? '' : 's'} ${label} (the old kept as backups)`,
    changeCommand: files.map((f) => scp(h, phase === 1 ? 'ca-bundle.pem' : `${input.caDir}/ca.pem`, f.path)).join(' && '),
    files: files.map((f) => ({ source: { kind: 'text' as const, text: caFileContent(f, input.newCaPem, phase) }, remotePath: f.path, mode: 0o644, what: `trusted CA file (${label})` })),
    // The member still presents the certificate it had: phase 1 keeps the old leaf, phase 3 the new.
    verifyTitle: `Phase ${phase}: check that ${h.name} still presents serial ${phase === 1 ? s.presentedSerial ?? '(as before)' : s.next.serial}`,
    verifyCommand: handshake,
    verify: { kind: 'verify-member-cert', host: h.name, name: h.name, serial: phase === 1 ? s.presentedSerial ?? '' : s.next.serial, tls: verifyTls, timeoutMs: 60_000, what: phase === 1 ? 'its certificate as before' : 'its new certificate' },
  };
}

/** The plan of a CA change: the phases still to do (or the one asked for), each a rolling run, with the bastion's switches. */
export function planCaRotation(view: ClusterView, input: CaRotationInput): PlanResult {
  const todo = caPhasesTodo(input.states);
  const phases = caPhasesToRun(todo, input.phase);
  if ('refusal' in phases) return { ok: false, refusal: phases.refusal };
  const missingSerial = input.states.filter((s) => todo[1].includes(s.host.name) && !s.presentedSerial);
  if (phases.includes(1) && missingSerial.length > 0) return { ok: false, refusal: `${missingSerial.map((s) => s.host.name).join(', ')}: the certificate the member presents could not be read (TLS handshake): it must answer before its CA file changes` };
  const b = input.bastion;
  const bundleTls: TlsFiles = { ...b.now, cacert: b.bundle.path };
  const lateTls: TlsFiles = b.client ? { cacert: b.bundle.path, cert: b.client.cert, key: b.client.key } : bundleTls;
  const endTls: TlsFiles = b.client ? { cacert: b.newCacert, cert: b.client.cert, key: b.client.key } : { ...b.now, cacert: b.newCacert };
  const steps: PlanStep[] = [];
  const preview: string[] = [];
  let leader: string | undefined;
  const byName = new Map(input.states.map((s) => [s.host.name, s]));
  for (const phase of phases) {
    if (phase === 2 || (phase === 3 && !phases.includes(2))) {
      steps.push({
        id: `p${phase}-bastion-bundle`,
        title: `Phase ${phase}: the bastion trusts both CAs from here on (${b.bundle.path})`,
        command: `cat ${b.now.cacert ?? 'OLD-CA'} ${input.caDir}/ca.pem > ${b.bundle.path}   # then --cacert ${b.bundle.path}`,
        preconditions: [],
        action: { kind: 'client-tls-switch', tls: bundleTls, bundle: b.bundle, why: 'the members present certificates from the new CA from phase 2 on' },
      });
    }
    if (phase === 3 && b.client) {
      steps.push({
        id: 'p3-bastion-client',
        title: `Phase 3: the bastion presents its new client certificate (${b.client.cert})`,
        command: `# --cert ${b.client.cert} --key ${b.client.key}`,
        preconditions: [],
        action: { kind: 'client-tls-switch', tls: lateTls, why: 'the members stop trusting the old CA in phase 3' },
      });
    }
    const verifyTls = phase === 1 ? b.now : phase === 2 ? bundleTls : lateTls;
    const perHost: Record<string, HostFilesChange> = {};
    for (const name of todo[phase]) perHost[name] = hostChange(byName.get(name) as CaHostState, phase, input, verifyTls);
    const r = planRolling(view, {
      hosts: input.hosts,
      change: { kind: 'certs', title: `Phase ${phase}`, notes: [], perHost },
      only: todo[phase],
      gapThreshold: input.gapThreshold,
      timeouts: input.timeouts,
      ...(leader ? { assumeLeader: leader } : {}),
    });
    if (!r.ok) return { ok: false, refusal: `phase ${phase}: ${r.refusal}` };
    for (const s of r.plan.steps) {
      steps.push({ ...s, id: `p${phase}-${s.id}`, title: s.title.startsWith('Phase ') ? s.title : `Phase ${phase}: ${s.title}` });
      if (s.action.kind === 'move-leader') leader = s.action.toName;
    }
    if (phase === phases[0]) preview.push(...r.plan.preview.filter((l) => l.startsWith('order:') || l.startsWith('now:') || l.startsWith('a member that')));
    preview.push(`phase ${phase} (${PHASE_WHAT[phase]}): ${todo[phase].map((n) => `${n}: ${perHost[n].files.map((f) => f.remotePath).join(', ')}`).join('; ')}`);
  }
  if (input.contexts && (phases.includes(2) || phases.includes(3))) {
    const final = phases.includes(3);
    const set = final ? { ...endTls, cacert: endTls.cacert as string, caDir: input.caDir } : { ...lateTls, cacert: lateTls.cacert as string };
    steps.push({
      id: 'contexts-update',
      title: `Point context "${input.contexts.context}" in ${input.contexts.path} at ${set.cacert}${set.cert ? ` and ${set.cert}` : ''} (the old file kept as ${input.contexts.backup})`,
      command: `cp ${input.contexts.path} ${input.contexts.backup} && $EDITOR ${input.contexts.path}`,
      preconditions: [],
      action: { kind: 'contexts-update', path: input.contexts.path, context: input.contexts.context, backup: input.contexts.backup, set },
    });
  }
  const last = phases[phases.length - 1];
  preview.push(
    `the bastion: trusts ${b.bundle.path} (both CAs) from phase 2 on${b.client ? `, presents ${b.client.cert} from phase 3 on` : ' and keeps its client certificate (the CA dir has no admin.pem)'}`,
    input.contexts
      ? phases.includes(2) || phases.includes(3)
        ? `at the end the context "${input.contexts.context}" in ${input.contexts.path} points at ${last === 3 ? endTls.cacert : bundleTls.cacert}${(last === 3 ? endTls : lateTls).cert ? ` and ${(last === 3 ? endTls : lateTls).cert}` : ''} (the old file kept as ${input.contexts.backup})`
        : 'the contexts file is not changed (phase 1 only: the bastion keeps the old CA)'
      : 'the contexts file is not known here: point the context at the new CA and client files yourself when phase 3 is done',
    'other clients (kube-apiserver, backups, monitoring): they must trust the new CA (a bundle of both) before phase 2 starts, and present client certificates from the new CA before phase 3 starts; run one phase at a time (--phase 1, then 2, then 3) to do them in between',
  );
  const plan: Plan = {
    flow: 'rotate-certs',
    title: `CA change from ${input.caDir}: phase ${phases.join(', ')} of 3`,
    preview,
    warnings: [],
    steps,
    rollbackOnFailure: true,
    args: { caChange: true, caDir: input.caDir, phases, ...(input.contexts ? { contextsFile: input.contexts.path, contextsBackup: input.contexts.backup } : {}) },
  };
  return { ok: true, plan };
}

/** Where a stopped CA change is, in one sentence (after a failed run): the phase, who is done, what the members trust, how to finish (the headless command's syntax, or the console's). */
export function caRunState(plan: Plan, failedStep: number | undefined, caDir: string, bundle: string, syntax: 'cli' | 'console' = 'cli'): string {
  if (failedStep === undefined) return '';
  const failed = plan.steps[failedStep];
  const phase = Number(/^p(\d)-/.exec(failed?.id ?? '')?.[1] ?? 0);
  if (!phase) return `the run stopped at "${failed?.title ?? '?'}"`;
  const done = plan.steps.slice(0, failedStep).filter((s) => s.id.startsWith(`p${phase}-`) && s.action.kind === 'rolling-member-done').map((s) => (s.action as { name: string }).name);
  const a = failed.action;
  // Before a member's change (its gate, the leadership move, the bastion's switch) nothing changed on it.
  const changed = a.kind === 'rolling-put-files' || a.kind === 'remote-service-restart' || a.kind === 'wait-member-back' || a.kind === 'verify-member-cert';
  const where = changed ? `, ${a.host} failed and rolled back` : a.kind === 'rolling-gate' ? `, stopped before ${a.name} (not changed)` : `, stopped at "${failed.title}"`;
  const trust = phase === 1 ? 'members done trust both CAs, the others the old CA only' : phase === 2 ? 'members trust both CAs' : 'members done trust the new CA only, the others both CAs';
  // The console keeps the TLS files the run switched to while it stays open; a new console must be given the bundle.
  const finish =
    syntax === 'console'
      ? `:rotate-certs --ca-dir ${caDir} in this console${phase >= 2 ? ` (a new console: etcd-tui --cacert ${bundle}, then the same)` : ''}`
      : `etcd-tui rotate-certs --ca-dir ${caDir}${phase >= 2 ? ` --cacert ${bundle}` : ''}`;
  return `phase ${phase}: ${done.length ? `${done.join(', ')} done` : 'no member done'}${where}; ${trust}; finish with: ${finish}`;
}

/** The bastion's bundle of both CAs a CA change's plan writes (undefined: the plan writes none). */
export function caBundlePath(plan: Plan): string | undefined {
  for (const s of plan.steps) if (s.action.kind === 'client-tls-switch' && s.action.bundle) return s.action.bundle.path;
  return undefined;
}
