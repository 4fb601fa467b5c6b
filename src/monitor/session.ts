/**
 * A console session: one gateway and one poller for the current context, feeding the store.
 * Switching context closes both and starts again on the new settings.
 */
import type { ConnectionSettings } from '../domain/config.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import type { AppStore, ConnectionInfo } from '../store/store.js';
import { Poller } from './poller.js';
import { collectStatus } from './observe.js';
import type { ClusterView } from '../health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type HealthOptions } from '../domain/types.js';
import { InspectMonitor, isInspectGateway, type InspectActions } from './inspect.js';
import type { HostFileReader } from './certs.js';

export type GatewayFactory = (settings: ConnectionSettings) => ClusterGateway;

export function connectionInfo(settings: ConnectionSettings): ConnectionInfo {
  return {
    contextName: settings.contextName,
    endpoints: settings.endpoints,
    readOnly: settings.readOnly,
    refreshMs: settings.refreshMs,
    secure: settings.endpoints.some((e) => e.startsWith('https://')),
    user: settings.user,
  };
}

/** The health settings a context brings: its quota when given (or read from its hosts), else etcd's default, said as assumed. */
export function healthOverrides(settings: Pick<ConnectionSettings, 'quotaBytes'>): Partial<HealthOptions> {
  return settings.quotaBytes ? { quotaBytes: settings.quotaBytes, quotaAssumed: false } : { quotaBytes: DEFAULT_HEALTH_OPTIONS.quotaBytes, quotaAssumed: true };
}

export class Session {
  private gateway?: ClusterGateway;
  private poller?: Poller;
  private inspect?: InspectMonitor;

  constructor(
    private readonly store: AppStore,
    private readonly makeGateway: GatewayFactory,
    private readonly loadContext: (name: string) => Promise<ConnectionSettings>,
    /** The flows' audit log, read for operator actions and snapshot saves (default: defaultAuditPath()). */
    private readonly auditPath?: string,
    /** The context's hosts for their certificate files over SSH (undefined: none). */
    private readonly hostFiles?: (settings: ConnectionSettings) => Promise<HostFileReader | undefined>,
  ) {}

  start(settings: ConnectionSettings): void {
    this.stop();
    this.store.getState().resetView(connectionInfo(settings), healthOverrides(settings));
    this.gateway = this.makeGateway(settings);
    this.poller = new Poller(this.gateway, (batch) => this.store.getState().applyBatch(batch), settings.refreshMs);
    this.poller.start();
    if (isInspectGateway(this.gateway)) {
      const hostFiles = this.hostFiles;
      this.inspect = new InspectMonitor(this.store, settings, this.gateway, Date.now, this.auditPath, hostFiles ? () => hostFiles(settings) : undefined);
      this.inspect.start();
    }
  }

  /** The visibility actions of the current context (they follow context switches). */
  inspectActions(): InspectActions {
    return {
      refreshCertificates: () => this.inspect?.refreshCertificates(),
      startConsistencyCheck: () => this.inspect?.startConsistencyCheck(),
      startKeyspaceScan: (prefix, depth) => this.inspect?.startKeyspaceScan(prefix, depth),
      abortTask: () => this.inspect?.abortTask(),
    };
  }

  /** The current context's gateway (flows send their requests through it). */
  currentGateway(): ClusterGateway | undefined {
    return this.gateway;
  }

  /** A fresh complete round (member list, every status, alarms), as flows need before each gate. */
  async observe(opts?: { alarms?: boolean }): Promise<ClusterView> {
    if (!this.gateway) throw new Error('not connected');
    const view = await collectStatus(this.gateway, this.store.getState().health, Date.now, opts);
    this.refreshNow();
    return view;
  }

  refreshNow(): void {
    this.poller?.invalidateMembers();
    this.poller?.refreshNow();
  }

  /** Switch to a named context; on a bad context say why and keep the current one. */
  async switchContext(name: string): Promise<void> {
    const say = this.store.getState().say;
    try {
      const settings = await this.loadContext(name);
      this.start(settings);
      say(`switched to context ${name}`);
    } catch (error) {
      say(`cannot switch to ${name}: ${(error as Error).message}`, 'error');
    }
  }

  stop(): void {
    this.inspect?.stop();
    this.inspect = undefined;
    this.poller?.stop();
    this.gateway?.close();
    this.poller = undefined;
    this.gateway = undefined;
  }
}
