/**
 * The gRPC client: etcd3 (with grpc-js and protobufjs, most of the console's code by size) and
 * cockatiel's no-op policy. Only src/cluster/etcd-gateway.ts loads this module, through `import()` on
 * the first call that needs gRPC: the bundle puts it in a chunk of its own (etcd3-client-*.js) that
 * no command loads at start.
 */
export { Etcd3 } from 'etcd3';
export { noop } from 'cockatiel';
