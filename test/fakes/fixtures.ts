/** Builders of members, statuses and probes for tests. */
import type { Member, MemberStatus, Probe } from '../../src/domain/types.js';
import type { HostSpec } from '../../src/domain/hosts.js';

export const IDS = {
  m1: '10276657743932975437', // 8e9e05c52164694d (above 2^53)
  m2: '10501334649042878790',
  m3: '18249187646912138824',
  m4: '4503599627370497',
};

export function member(name: keyof typeof IDS | string, opts: Partial<Member> = {}): Member {
  const id = (IDS as Record<string, string>)[name] ?? opts.id ?? '1';
  const n = name.replace(/\D/g, '') || '1';
  return {
    id,
    name,
    peerURLs: [`http://127.0.0.1:${2380 + Number(n) * 10}`],
    clientURLs: [`http://127.0.0.1:${2379 + Number(n) * 10}`],
    isLearner: false,
    ...opts,
  };
}

export function status(opts: Partial<MemberStatus> = {}): MemberStatus {
  return {
    version: '3.4.23',
    dbSize: 20480,
    dbSizeInUse: 16384,
    leader: IDS.m1,
    raftIndex: 100,
    raftTerm: 2,
    raftAppliedIndex: 100,
    isLearner: false,
    errors: [],
    memberId: IDS.m1,
    clusterId: '14841639068965178418',
    revision: 1,
    ...opts,
  };
}

export function up(opts: Partial<MemberStatus> = {}, at = 1000): Probe {
  return { ok: true, status: status(opts), latencyMs: 2, at };
}

export function down(error = 'connection refused', at = 1000): Probe {
  return { ok: false, error, kind: 'unreachable', latencyMs: 1, at };
}

/** An inventory host with the defaults the contexts file gives (root over SSH, /var/lib/etcd, ...). */
export function hostSpec(name: string, address: string, extra: Partial<HostSpec> = {}): HostSpec {
  return {
    name,
    ssh: { address, port: 22, user: 'root', identityFiles: [], agent: false, knownHosts: '/dev/null', sudo: false, connectTimeoutMs: 1000 },
    etcdAddress: address,
    clientPort: 2379,
    peerPort: 2380,
    dataDir: '/var/lib/etcd',
    certDir: '/etc/etcd/pki',
    binaryPath: '/usr/local/bin/etcd',
    envFile: '/etc/etcd/etcd.env',
    unitName: 'etcd',
    unitDir: '/etc/systemd/system',
    envOverrides: {},
    ...extra,
  };
}
