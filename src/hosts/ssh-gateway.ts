/**
 * The host gateway over SSH (ssh2): host keys pinned in known_hosts, key and agent login, commands as
 * argv (quoted once, in quote.ts), atomic uploads over SFTP, remote reads. Every failure is a
 * HostError whose message names the host and says what to do. Key material and passphrases are never
 * logged or put in messages.
 *
 * Along its seams: ssh-connect.ts (connecting, host keys, login), ssh-exec.ts (commands, sudo, kill,
 * a lost connection), ssh-files.ts (uploads and reads); ssh-common.ts holds what they share.
 */
import type { SshTarget } from '../domain/hosts.js';
import type { ConnectOptions, HostConnection, HostGateway } from './gateway.js';
import { connectClient, type SshGatewayOptions } from './ssh-connect.js';
import { SshConnection } from './ssh-files.js';

export type { SshGatewayOptions } from './ssh-connect.js';
export { ConnectionLostError, DEFAULT_STALL_TIMEOUT_MS, stallTimeoutMs } from './ssh-common.js';

/** The real host gateway: one ssh2 client per connect(). */
export class SshGateway implements HostGateway {
  constructor(private readonly options: SshGatewayOptions = {}) {}

  async connect(target: SshTarget, opts: ConnectOptions = {}): Promise<HostConnection> {
    const c = await connectClient(target, opts, this.options);
    return new SshConnection(c.client, target, c.fingerprint);
  }
}
