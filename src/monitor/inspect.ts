/**
 * The console's visibility loops, outside React: certificates read on start and every few minutes;
 * metrics scraped every 10 s while the metrics pane or a member's detail is shown, else once a
 * minute for the health lines; the consistency check and the keyspace scan on request, each with
 * progress and an abort. Everything lands in the store's `inspect` slice.
 */
import type { ConnectionSettings } from '../domain/config.js';
import type { ClusterGateway, InspectGateway } from '../cluster/gateway.js';
import type { AppStore } from '../store/store.js';
import type { MemberFigures } from '../health/metrics.js';
import type { VerdictReason } from '../domain/types.js';
import { collectCertificates, type HostFileReader } from './certs.js';
import { certReasons } from '../health/certs.js';
import { MetricsScraper, inventoryMetricsURL } from './metrics.js';
import { metricReasons } from '../health/metrics.js';
import { hexId, memberLabel } from '../format/ids.js';
import { CheckAborted, runConsistencyCheck } from './consistency.js';
import { compareHashes } from '../health/consistency.js';
import { scanKeyspace, DEFAULT_SCAN_BOUNDS } from './keyspace.js';
import { DEFAULT_KEYSPACE_OPTIONS } from '../plans/keyspace.js';
import type { InspectActions } from '../commands/inspect.js';
import { auditBackups, readSidecars } from './backup.js';
import { AuditTail } from './audit-tail.js';
import { backupReasons, namesFromAudit, newestBackup, operatorEvents } from '../health/backup.js';
import { defaultAuditPath, osUser } from '../run/audit.js';

export type { InspectActions };

export const CERTS_EVERY_MS = 5 * 60_000;
export const METRICS_SHOWN_EVERY_MS = 10_000;
export const METRICS_HIDDEN_EVERY_MS = 60_000;
/** Figures kept per member for sparklines. */
const METRICS_HISTORY = 30;

export function isInspectGateway(gateway: ClusterGateway): gateway is ClusterGateway & InspectGateway {
  const g = gateway as Partial<InspectGateway>;
  return typeof g.hashKV === 'function' && typeof g.rangePage === 'function' && typeof g.metrics === 'function';
}

export class InspectMonitor implements InspectActions {
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private certsAt = -Infinity;
  private certsBusy = false;
  private hostReader?: Promise<HostFileReader | undefined>;
  private metricsAt = -Infinity;
  private metricsBusy = false;
  private readonly scraper: MetricsScraper;
  private task?: AbortController;

  constructor(
    private readonly store: AppStore,
    private readonly settings: ConnectionSettings,
    private readonly gateway: ClusterGateway & InspectGateway,
    private readonly now: () => number = Date.now,
    /** The flows' audit log (operator actions, snapshot saves). */
    private readonly auditPath: string = defaultAuditPath(),
    /** The context's hosts, for their certificate files over SSH (asked once; undefined: no hosts). */
    private readonly hostFiles?: () => Promise<HostFileReader | undefined>,
  ) {
    this.scraper = new MetricsScraper(gateway, Math.max(1000, settings.dialTimeoutMs), now, inventoryMetricsURL(settings.metricsURLs));
  }

  /** One timer ticks every second and decides what is due: cheap, and nothing overlaps. */
  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      const members = this.store.getState().latest.members;
      if (members.length > 0 && this.now() - this.certsAt >= CERTS_EVERY_MS) {
        void this.readCertificates();
        // The backup age from the records the audit tail already has (read once, then its appends).
        if (this.audit?.ready) this.readBackups();
      }
      void this.readAudit();
      const screen = this.store.getState().ui.screen;
      const every = screen === 'metrics' || screen === 'detail' ? METRICS_SHOWN_EVERY_MS : METRICS_HIDDEN_EVERY_MS;
      if (members.length > 0 && this.now() - this.metricsAt >= every) void this.scrapeMetrics();
    };
    const timer = setInterval(tick, 1000);
    timer.unref?.();
    this.timers.push(timer);
    tick();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.task?.abort();
    void this.hostReader?.then((reader) => reader?.stop?.());
  }

  private setCheck(source: string, reasons: VerdictReason[]): void {
    const previous = this.store.getState().inspect.checks[source];
    // The same lines again change nothing on screen: no new verdict, no redraw.
    if (previous && JSON.stringify(previous) === JSON.stringify(reasons)) return;
    const checks = { ...this.store.getState().inspect.checks, [source]: reasons };
    this.store.getState().setInspect({ checks });
  }

  /** The audit log, read once and then only what was appended (src/monitor/audit-tail.ts); shared by the timeline and the backup age. */
  private audit?: AuditTail;

  /** The audit log's new records, when it changed: operator actions for the timeline; a new snapshot resets the backup age. */
  private async readAudit(): Promise<void> {
    this.audit ??= new AuditTail(this.auditPath);
    if (!(await this.audit.refresh()) || this.stopped) return;
    const lines = this.audit.lines;
    const s = this.store.getState();
    s.setInspect({ operatorEvents: operatorEvents(lines, { clusterId: s.latest.clusterId, context: s.connection.contextName, me: osUser() }), memberNames: namesFromAudit(lines) });
    this.readBackups();
  }

  private readBackups(): void {
    const lines = this.audit?.lines ?? [];
    const clusterId = this.store.getState().latest.clusterId;
    const evidence = [...(this.settings.backupDir ? readSidecars(this.settings.backupDir) : []), ...auditBackups(lines)];
    this.store.getState().setInspect({ newestBackup: newestBackup(evidence, clusterId) });
    this.setCheck('backup', backupReasons(evidence, { now: this.now(), backupDir: this.settings.backupDir, clusterId }).filter((r) => r.level !== 'ok'));
  }

  refreshCertificates(): void {
    this.certsAt = -Infinity;
    void this.readCertificates();
  }

  private async readCertificates(): Promise<void> {
    if (this.certsBusy) return;
    this.certsBusy = true;
    this.certsAt = this.now();
    try {
      this.hostReader ??= (this.hostFiles?.() ?? Promise.resolve(undefined)).catch(() => undefined);
      const report = await collectCertificates(this.settings, this.store.getState().latest.members, Math.max(1000, this.settings.dialTimeoutMs), this.now, await this.hostReader);
      if (this.stopped) return;
      this.store.getState().setInspect({ certs: report });
      // Only the problems go to the verdict; the pane shows everything.
      this.setCheck('certs', certReasons(report, this.now()).filter((r) => r.level === 'warn' || r.level === 'crit'));
    } finally {
      this.certsBusy = false;
    }
  }

  private async scrapeMetrics(): Promise<void> {
    if (this.metricsBusy) return;
    this.metricsBusy = true;
    this.metricsAt = this.now();
    try {
      const members = this.store.getState().latest.members;
      const round = await this.scraper.round(members);
      if (this.stopped) return;
      const previous = this.store.getState().inspect.metrics;
      const metrics: Record<string, MemberFigures[]> = {};
      for (const m of members) {
        const f = round.figures[m.id];
        metrics[m.id] = f ? [...(previous[m.id] ?? []), f].slice(-METRICS_HISTORY) : (previous[m.id] ?? []);
      }
      const errors = Object.entries(round.errors).map(([id, e]) => `${memberLabel(members.find((m) => m.id === id), id)}: ${e}`);
      this.store.getState().setInspect({ metrics, metricsError: errors.length ? errors.join('; ') : undefined });
      const nameOf = (hex: string) => {
        const peer = members.find((m) => hexId(m.id) === hex);
        return peer ? memberLabel(peer) : hex;
      };
      const reasons = members.flatMap((m) => {
        const f = round.figures[m.id];
        return f ? metricReasons(memberLabel(m), f, nameOf) : [];
      });
      this.setCheck('metrics', reasons);
    } finally {
      this.metricsBusy = false;
    }
  }

  startConsistencyCheck(): void {
    if (this.task) return this.store.getState().say('a check or scan is running: wait for it or abort it (s)', 'warn');
    const task = new AbortController();
    this.task = task;
    const set = (patch: Partial<ReturnType<AppStore['getState']>['inspect']['consistency']>) =>
      this.store.getState().setInspect({ consistency: { ...this.store.getState().inspect.consistency, ...patch } });
    set({ running: true, progress: 'choosing the revision', ratio: 0, error: undefined, startedAt: this.now() });
    void runConsistencyCheck(this.gateway, Math.max(this.settings.commandTimeoutMs, 120_000), (p) => set({ progress: `hashing at revision ${p.revision}: ${p.done}/${p.total} members done`, ratio: p.total ? p.done / p.total : 0 }), task.signal, this.now)
      .then((result) => {
        const verdict = compareHashes(result);
        set({ running: false, result, progress: undefined, ratio: 1 });
        this.setCheck('consistency', verdict.reasons.filter((r) => r.level !== 'ok'));
      })
      .catch((error: unknown) => set({ running: false, error: error instanceof CheckAborted ? 'aborted' : (error as Error).message }))
      .finally(() => {
        if (this.task === task) this.task = undefined;
      });
  }

  startKeyspaceScan(prefix = '', depth?: number): void {
    if (this.task) return this.store.getState().say('a check or scan is running: wait for it or abort it (s)', 'warn');
    const task = new AbortController();
    this.task = task;
    const set = (patch: Partial<ReturnType<AppStore['getState']>['inspect']['keyspace']>) =>
      this.store.getState().setInspect({ keyspace: { ...this.store.getState().inspect.keyspace, ...patch } });
    set({ running: true, progress: 'choosing a follower', ratio: 0, error: undefined, startedAt: this.now() });
    void scanKeyspace(this.gateway, { ...DEFAULT_KEYSPACE_OPTIONS, ...(depth ? { depth } : {}), prefix }, DEFAULT_SCAN_BOUNDS, (p) => set({ progress: `${p.member}: ${p.scanned} of ${p.total} keys, ${p.pages} pages`, ratio: p.total ? p.scanned / p.total : 0 }), task.signal, this.now)
      .then((result) => set({ running: false, result, progress: undefined, ratio: 1 }))
      .catch((error: unknown) => set({ running: false, error: (error as Error).message }))
      .finally(() => {
        if (this.task === task) this.task = undefined;
      });
  }

  abortTask(): void {
    if (!this.task) return this.store.getState().say('nothing to abort', 'info');
    this.task.abort();
    this.store.getState().say('aborting', 'info');
  }
}
