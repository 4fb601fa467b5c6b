// Reading etcd snapshot files (bbolt + sha256 trailer) without etcdutl.
export * from './bbolt.js';
export * from './crc32c.js';
export * from './errors.js';
export * from './status.js';
export { humanizeBytes } from './units.js';
export * from './leaf-digests.js';
