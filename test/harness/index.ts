// The integration-test harness: real etcd clusters, a real terminal (tmux),
// test certificates, free ports and bounded waits.
export * from './binaries.js';
export * from './certs.js';
export * from './cluster.js';
export * from './hosts.js';
export * from './json.js';
export * from './ports.js';
export * from './registry.js';
export * from './tmux.js';
export * from './wait.js';
