/**
 * A CA change, the run side: where each host is (its trusted CA files read over SSH, the serial it
 * presents), the bastion's files (the bundle next to the context's CA file, the new client
 * certificate admin.pem / admin-key.pem from the CA dir, the contexts file and its backup) checked
 * before anything changes, and the handlers of the bastion's steps: the run's cluster connection
 * switched to other TLS files, the contexts file rewritten with the old one kept.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { CaRotationAction } from '../domain/plan.js';
import type { TlsFiles } from '../domain/config.js';
import { certPaths, type Inventory } from '../domain/hosts.js';
import { StepError, errorMessage } from '../domain/errors.js';
import type { HostPool } from '../hosts/pool.js';
import type { ActionHandlers } from './types.js';
import { localOutputsProblem, type LocalOutput } from './local-files.js';
import { sameSerial, type HostCertFacts } from '../plans/rotate-certs.js';
import type { CaFileState, CaHostState, CaPhase, CaRotationInput } from '../plans/ca-rotation.js';
import type { RollingInput } from '../plans/rolling.js';
import { utcStamp } from '../format/stamp.js';
import { contextNode, copyAside, replaceFile } from './contexts-file.js';

/** The PEM certificates in a text, each as its own block. */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function fp(pem: string): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}

/** The trusted-CA file names in an env file (client and peer), without duplicates. */
export function trustedCaFiles(envText: string): string[] {
  const out: string[] = [];
  for (const line of envText.split('\n')) {
    const m = /^\s*(ETCD_TRUSTED_CA_FILE|ETCD_PEER_TRUSTED_CA_FILE)\s*=\s*"?([^"\s#]+)"?/.exec(line);
    if (m && !out.includes(m[2])) out.push(m[2]);
  }
  return out;
}

/** The ETCD_CLIENT_CERT_AUTH setting of an env file is on. */
function clientCertAuth(envText: string): boolean {
  return /^\s*ETCD_CLIENT_CERT_AUTH\s*=\s*"?true"?\s*$/m.test(envText);
}

export interface CaChangeOptions {
  caDir: string;
  only: string[];
  tls: TlsFiles;
  phase?: CaPhase | 'all';
  /** The contexts file the context came from, and the context's name. */
  contexts?: { path: string; context: string };
  gapThreshold: number;
  timeouts: RollingInput['timeouts'];
  now: () => number;
}


/** The input of a CA change (planned by planCaRotation), or why not. Reads hosts and local files; changes nothing. */
export async function prepareCaChange(inventory: Inventory, pool: HostPool, facts: HostCertFacts[], opts: CaChangeOptions): Promise<{ ca: CaRotationInput } | { refusal: string }> {
  const caFile = join(opts.caDir, 'ca.pem');
  if (opts.only.length > 0) return { refusal: `${caFile} is not the CA the members trust now: a CA change covers every member, name no hosts` };
  const newCaPem = pemBlocks(readFileSync(caFile, 'utf8'))[0];
  const newFp = newCaPem ? fp(newCaPem) : undefined;
  if (!newCaPem || !newFp) return { refusal: `${caFile} is not a PEM certificate` };
  const newCa = new X509Certificate(newCaPem);
  if (!opts.tls.cacert) return { refusal: "a CA change needs the context's CA file (cacert): the bastion's bundle of both CAs is written next to it" };
  let certAuth = false;
  const states: CaHostState[] = [];
  const problems: string[] = [];
  for (const f of facts) {
    const h = f.host;
    try {
      const conn = await pool.connection(h.name);
      const env = (await conn.readFile(h.envFile, { maxBytes: 1 << 20 }))?.toString('utf8');
      if (env === undefined) {
        problems.push(`${h.name}: ${h.envFile} is not on the host`);
        continue;
      }
      certAuth ||= clientCertAuth(env);
      const names = trustedCaFiles(env);
      const caFiles: CaFileState[] = [];
      for (const path of names.length ? names : [certPaths(h).ca]) {
        const text = (await conn.readFile(path, { maxBytes: 1 << 20 }))?.toString('utf8');
        if (text === undefined) {
          problems.push(`${h.name}: ${path} (named in ${h.envFile}) is not on the host`);
          continue;
        }
        const blocks = pemBlocks(text);
        if (blocks.length === 0) problems.push(`${h.name}: ${path} holds no PEM certificate`);
        caFiles.push({ path, oldPems: blocks.filter((b) => fp(b) !== newFp), hasNew: blocks.some((b) => fp(b) === newFp) });
      }
      const next = f.next as NonNullable<HostCertFacts['next']>;
      states.push({ host: h, caFiles, leafNew: sameSerial(f.presentedSerial, next.serial), ...(f.presentedSerial ? { presentedSerial: f.presentedSerial } : {}), next: { file: next.file, keyFile: next.keyFile, serial: next.serial ?? '' } });
    } catch (error) {
      problems.push(`${h.name}: ${errorMessage(error)}`);
    }
  }
  if (problems.length > 0) return { refusal: `the hosts' CA files could not be read, nothing was changed: ${problems.join('; ')}` };
  // The bastion's new client certificate (the bootstrap's names): signed by the new CA, for clients, its key.
  const clientCert = join(opts.caDir, 'admin.pem');
  const clientKey = join(opts.caDir, 'admin-key.pem');
  let client: { cert: string; key: string } | undefined;
  if (existsSync(clientCert)) {
    try {
      const c = new X509Certificate(readFileSync(clientCert));
      if (!c.verify(newCa.publicKey)) return { refusal: `${clientCert} is not signed by ${caFile}: the bastion's new client certificate must come from the new CA` };
      if (c.keyUsage && !c.keyUsage.includes('1.3.6.1.5.5.7.3.2')) return { refusal: `${clientCert} is not a client certificate (no clientAuth usage)` };
      if (Date.parse(c.validTo) <= opts.now()) return { refusal: `${clientCert} expired on ${c.validTo}` };
      if (!c.checkPrivateKey(createPrivateKey(readFileSync(clientKey)))) return { refusal: `${clientKey} is not the key of ${clientCert}` };
      client = { cert: clientCert, key: clientKey };
    } catch (error) {
      return { refusal: `${clientCert} / ${clientKey}: ${errorMessage(error)}` };
    }
  } else if (certAuth && opts.tls.cert) {
    return { refusal: `the members check client certificates (ETCD_CLIENT_CERT_AUTH=true) and drop the old CA in phase 3: put the bastion's new client certificate in ${clientCert} and ${clientKey} (signed by the new CA, clientAuth)` };
  }
  const stamp = utcStamp(opts.now());
  let oldPems: string[];
  try {
    oldPems = pemBlocks(readFileSync(opts.tls.cacert, 'utf8')).filter((b) => fp(b) !== newFp);
  } catch (error) {
    return { refusal: `${opts.tls.cacert}: ${errorMessage(error)}` };
  }
  const bundle = { path: `${opts.tls.cacert}.etcd-tui-bundle-${stamp}.pem`, pem: [...oldPems, newCaPem].map((p) => `${p.trim()}\n`).join('') };
  const contexts = opts.contexts ? { ...opts.contexts, backup: `${opts.contexts.path}.etcd-tui-backup-${stamp}` } : undefined;
  // Every local output before anything changes.
  const outputs: LocalOutput[] = [{ kind: 'new-file', path: bundle.path, what: "the bastion's CA bundle", existing: 'refuse' }];
  if (contexts) outputs.push({ kind: 'append', path: contexts.path, what: 'the contexts file' }, { kind: 'new-file', path: contexts.backup, what: "the contexts file's backup", existing: 'refuse' });
  const local = localOutputsProblem(outputs);
  if (local) return { refusal: `${local}; nothing was changed` };
  return {
    ca: {
      hosts: inventory.hosts,
      states,
      newCaPem,
      caDir: opts.caDir,
      phase: opts.phase ?? 'all',
      gapThreshold: opts.gapThreshold,
      timeouts: opts.timeouts,
      bastion: { now: opts.tls, bundle, newCacert: caFile, ...(client ? { client } : {}) },
      ...(contexts ? { contexts } : {}),
    },
  };
}

export const CA_ROTATION_HANDLERS: ActionHandlers<CaRotationAction['kind']> = {
  'client-tls-switch': async (action, _index, deps) => {
    let said = '';
    if (action.bundle) {
      const { path, pem } = action.bundle;
      if (existsSync(path)) {
        if (readFileSync(path, 'utf8') !== pem) throw new StepError(`${path} exists with other content: it is never overwritten`);
      } else {
        writeFileSync(path, pem, { mode: 0o644, flag: 'wx' });
      }
      said = `wrote ${path} (${pemBlocks(pem).length} CA certificates); `;
    }
    if (!deps.gateway.useTls) throw new StepError('this cluster connection cannot switch its TLS files');
    deps.gateway.useTls(action.tls);
    return `${said}the bastion now connects with --cacert ${action.tls.cacert ?? '(system roots)'}${action.tls.cert ? ` --cert ${action.tls.cert}` : ''} (${action.why})`;
  },

  'contexts-update': async (action) => {
    const text = readFileSync(action.path, 'utf8');
    const doc = YAML.parseDocument(text);
    const ctx = contextNode(doc, action.context);
    if (!ctx) throw new StepError(`${action.path} has no context "${action.context}" any more: point it at ${action.set.cacert} yourself`);
    copyAside(action.path, action.backup);
    ctx.set('cacert', action.set.cacert);
    if (action.set.cert) ctx.set('cert', action.set.cert);
    if (action.set.key) ctx.set('key', action.set.key);
    const etcd = ctx.get('etcd');
    if (action.set.caDir && YAML.isMap(etcd) && etcd.has('caDir')) etcd.set('caDir', action.set.caDir);
    replaceFile(action.path, doc.toString());
    const what = [`cacert ${action.set.cacert}`, ...(action.set.cert ? [`cert ${action.set.cert}`, `key ${action.set.key}`] : []), ...(action.set.caDir && YAML.isMap(etcd) && etcd.has('caDir') ? [`etcd.caDir ${action.set.caDir}`] : [])];
    return `context "${action.context}" in ${action.path} now has ${what.join(', ')}; the old file is kept as ${action.backup}`;
  },
};
