/**
 * The rolling engine's file changes (config change, certificate rotation): the files put in place with
 * backups, their undo as data (the old files back, then the member restarted: `etcd-tui undo RUN`
 * replays it from the journal), and the checks of what the member shows afterwards (its env file read
 * back and the setting in its /metrics; the serial of the certificate it presents in the TLS handshake).
 */
import { createHash } from 'node:crypto';
import type { RollingChangeAction } from '../domain/plan.js';
import type { ActionHandlers, ExecutorDeps, HostAccess } from './types.js';
import type { InspectGateway } from '../cluster/gateway.js';
import { readPresentedCertificate } from '../cluster/certs.js';
import { clientURL } from '../domain/hosts.js';
import { StepError, errorMessage } from '../domain/errors.js';
import { formatBytes, formatDuration } from '../format/units.js';
import { undoEntry } from './undo-steps.js';
import { sleep } from './wait.js';
import { pollDelay } from './rolling-actions.js';

function hostsOf(deps: ExecutorDeps): HostAccess {
  if (!deps.hosts) throw new StepError('this run has no SSH access to hosts (no inventory)');
  return deps.hosts;
}

/** A certificate serial as hex, upper case, without colons or leading zeros (node and openssl differ). */
export function normalizeSerial(serial: string): string {
  return serial.replace(/[^0-9a-f]/gi, '').toUpperCase().replace(/^0+(?=.)/, '');
}

/** The value of a gauge in a Prometheus text exposition, or undefined when absent. */
export function gaugeValue(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      const v = Number(line.trim().split(/\s+/).pop());
      if (Number.isFinite(v)) return v;
    }
  }
  return undefined;
}

/** Poll `check` until it gives a value or the time is up (then StepError with `why()`); looks again soon at first (pollDelay), then every 500 ms or the run's interval. */
async function waitFor<T>(deps: ExecutorDeps, index: number, timeoutMs: number, why: () => string, check: () => Promise<T | undefined>): Promise<T> {
  const now = deps.now ?? Date.now;
  const deadline = now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const v = await check();
    if (v !== undefined) return v;
    deps.onEvent({ type: 'progress', index, text: why() });
    if (now() >= deadline) throw new StepError(`${why()} (after ${formatDuration(timeoutMs)})`);
    await sleep(pollDelay(attempt, deps.pollMs ?? 500), deps.signal);
  }
}

/** After a rollback's restart: the member answers its status call again (bounded), else a failure that says so. */
async function answersAgain(deps: ExecutorDeps, host: string, timeoutMs: number): Promise<string> {
  const hosts = hostsOf(deps);
  const url = clientURL(hosts.spec(host), hosts.settings);
  const now = deps.now ?? Date.now;
  const deadline = now() + timeoutMs;
  let why = '';
  for (;;) {
    try {
      const st = await deps.gateway.status(url);
      return `${host} answers again on ${st.version}`;
    } catch (error) {
      why = errorMessage(error);
    }
    if (now() >= deadline) throw new StepError(`${host} restarted on its old files but does not answer within ${formatDuration(timeoutMs)}: ${why}`);
    // Not the run's signal: an abort is what started this rollback.
    await new Promise((r) => setTimeout(r, deps.pollMs ?? 500));
  }
}

export const ROLLING_CHANGE_HANDLERS: ActionHandlers<RollingChangeAction['kind']> = {
  'rolling-put-files': async (action, index, deps, run) => {
    const hosts = hostsOf(deps);
    const conn = await hosts.connection(action.host);
    const env = { connection: (h: string) => hostsOf(deps).connection(h), now: deps.now };
    const said: string[] = [];
    let restartRecorded = false;
    for (const f of action.files) {
      const data = f.source.kind === 'text' ? Buffer.from(f.source.text, 'utf8') : f.source.kind === 'local' ? { localPath: f.source.path } : undefined;
      if (!data) throw new StepError(`${f.what}: a tarball is not a file to put in place`);
      const result = await conn.upload(data, f.remotePath, { mode: f.mode, backup: true, signal: deps.signal }).catch((error: unknown) => {
        run.recordUndo(undoEntry({ kind: 'upload-leftovers', host: action.host, path: f.remotePath }, env));
        throw error;
      });
      // The restart is recorded first so that it runs last (undo runs newest first): after every old file is back.
      if (!restartRecorded) {
        const restart = undoEntry({ kind: 'systemctl', host: action.host, verb: 'restart', unit: `${action.unit}.service` }, env);
        // The executor's rollback also waits until the member answers again (the journal's replay restarts only).
        run.recordUndo({ ...restart, run: async () => `${await restart.run()}; ${await answersAgain(deps, action.host, 120_000)}` });
        restartRecorded = true;
      }
      run.recordUndo(
        undoEntry(result.backup ? { kind: 'restore-file', host: action.host, path: f.remotePath, backup: result.backup, unit: false } : { kind: 'remove-file', host: action.host, path: f.remotePath, unit: false }, env),
      );
      said.push(`${f.what}: ${formatBytes(result.bytes)} to ${f.remotePath}${result.backup ? ` (the old one kept as ${result.backup})` : ''}`);
      deps.onEvent({ type: 'progress', index, ratio: said.length / action.files.length, text: said[said.length - 1] });
    }
    return said.join('; ');
  },

  'verify-member-settings': async (action, index, deps) => {
    const hosts = hostsOf(deps);
    const url = clientURL(hosts.spec(action.host), hosts.settings);
    const inspect = deps.gateway as Partial<InspectGateway>;
    let state = 'not checked yet';
    const notShown: string[] = [];
    await waitFor(deps, index, action.timeoutMs, () => `${action.name}: ${state}`, async () => {
      try {
        const conn = await hosts.connection(action.host);
        const file = await conn.readFile(action.envFile, { maxBytes: 1 << 20 });
        const sum = file ? createHash('sha256').update(file).digest('hex') : '';
        if (sum !== action.sha256) {
          state = file ? `${action.envFile} is not the file uploaded (changed by someone else?)` : `${action.envFile} is gone`;
          return undefined;
        }
        notShown.length = 0;
        const metricChecks = action.checks.filter((c) => c.metric);
        if (metricChecks.length > 0) {
          if (typeof inspect.metrics !== 'function') throw new StepError('this cluster gateway cannot read /metrics');
          const text = await inspect.metrics.call(deps.gateway, `${url.replace(/\/$/, '')}/metrics`, 5000);
          for (const c of metricChecks) {
            const v = gaugeValue(text, c.metric as string);
            if (v === undefined) notShown.push(c.env);
            else if (v !== Number(c.value)) {
              state = `${c.metric} is ${v}, not ${c.value} yet`;
              return undefined;
            }
          }
        }
        return true;
      } catch (error) {
        if (error instanceof StepError) throw error;
        state = errorMessage(error);
        return undefined;
      }
    });
    const shown = action.checks.filter((c) => c.metric && !notShown.includes(c.env)).map((c) => `${c.metric} ${c.value}`);
    return `${action.name}: ${action.envFile} is the new file${shown.length ? `; the member shows ${shown.join(', ')}` : ''}${notShown.length ? ` (${notShown.join(', ')} not in this etcd's /metrics: checked in the file)` : ''}`;
  },

  'verify-member-cert': async (action, index, deps) => {
    const hosts = hostsOf(deps);
    const url = clientURL(hosts.spec(action.host), hosts.settings);
    const want = normalizeSerial(action.serial);
    let state = 'no handshake yet';
    const what = action.what ?? 'the new certificate';
    const serial = await waitFor(deps, index, action.timeoutMs, () => `${action.name} does not present ${what}: ${state}`, async () => {
      try {
        const presented = await readPresentedCertificate(url, action.tls, 5000);
        const got = normalizeSerial(presented.cert.serial);
        if (got === want) return got;
        state = `it presents serial ${got}, not ${want}`;
        return undefined;
      } catch (error) {
        state = errorMessage(error);
        return undefined;
      }
    });
    return `${action.name} presents ${what} on ${url} (serial ${serial})`;
  },
};
