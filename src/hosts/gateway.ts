/**
 * The host gateway: what the flows need from a remote host, and nothing else. One real implementation
 * (src/hosts/ssh-gateway.ts, ssh2); fakes for screen tests. Commands are argv arrays, quoted once at
 * the edge (src/hosts/quote.ts); no caller ever builds a shell string.
 */
import type { SshTarget } from '../domain/hosts.js';

/** How the operator answers for a host key that known_hosts does not have. */
export interface UnknownHostKey {
  host: string;
  port: number;
  /** ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa ... */
  keyType: string;
  /** SHA256:base64 (no padding), as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** The key blob, base64 (the third field of a known_hosts line), so it can be recorded later. */
  keyBase64: string;
}

export interface ConnectOptions {
  /**
   * Called when the host's key is not in known_hosts. Resolve true to trust it: the key is then
   * appended to known_hosts before the connection goes on. Without this callback an unknown key is
   * refused. A changed key is always refused, without asking.
   */
  confirmUnknownHost?(key: UnknownHostKey): Promise<boolean>;
  /** Asks for the passphrase of an encrypted key file; without it such a key is skipped. */
  passphrase?(keyFile: string): Promise<string | undefined>;
  signal?: AbortSignal;
}

export interface RunOptions {
  /** Run through `sudo -n --` when the target says sudo (default: the target's setting). */
  sudo?: boolean;
  /** Kill the command (close the channel with a signal) after this long; default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Streamed output, decoded as UTF-8, chunk by chunk. */
  onStdout?(text: string): void;
  onStderr?(text: string): void;
  /** Sent to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
}

export interface CommandResult {
  argv: string[];
  /** Exit code, or null when the command was killed by a signal. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface UploadOptions {
  /** File mode, e.g. 0o644, 0o600 for keys. */
  mode: number;
  /** chown owner[:group] after the upload. */
  owner?: string;
  sudo?: boolean;
  /** Copy an existing file aside (PATH.etcd-tui-backup-<UTC stamp>) before replacing it (default true). */
  backup?: boolean;
  onProgress?(sentBytes: number, totalBytes: number): void;
  signal?: AbortSignal;
}

export interface UploadResult {
  path: string;
  /** Where the earlier file was copied, when there was one. */
  backup?: string;
  /** True when a file was there before. */
  replaced: boolean;
  bytes: number;
}

/** An open SSH connection to one host. */
export interface HostConnection {
  readonly target: SshTarget;
  /** The host key's SHA256 fingerprint as verified. */
  readonly fingerprint: string;
  /** True once the connection is closed or lost (a pool then connects again). */
  readonly isClosed?: boolean;
  /** Run one command; resolves with its exit status (a non-zero exit is a result, not an exception). */
  run(argv: string[], opts?: RunOptions): Promise<CommandResult>;
  /**
   * Put a file in place atomically: upload to a temporary name in the same directory, set mode and
   * owner, back up the existing file, then rename over it.
   */
  upload(content: Buffer | { localPath: string }, remotePath: string, opts: UploadOptions): Promise<UploadResult>;
  /** A remote file's content, or undefined when it does not exist. */
  readFile(remotePath: string, opts?: { sudo?: boolean; maxBytes?: number }): Promise<Buffer | undefined>;
  close(): void;
}

export interface HostGateway {
  connect(target: SshTarget, opts?: ConnectOptions): Promise<HostConnection>;
}
