// An in-memory host for fast tests of the remote steps and their rollback: files and directories in
// maps, a unit that can be told to fail its start, and a record of every argv run. It understands
// only the commands the product sends (test, mkdir, chmod, ls, mv, rm, rmdir, systemctl, journalctl, uname,
// ss, df, date, etcd --version); anything else exits 127, so a new command shows up in the tests.
import type { CommandResult, HostConnection, RunOptions, UploadOptions, UploadResult } from '../../src/hosts/gateway.js';
import type { SshTarget } from '../../src/domain/hosts.js';

export class FakeHost implements HostConnection {
  readonly files = new Map<string, { content: Buffer; mode: number }>();
  readonly dirs = new Set<string>(['/', '/etc', '/etc/systemd', '/etc/systemd/system', '/usr', '/usr/local', '/usr/local/bin', '/var', '/var/lib']);
  readonly ran: string[][] = [];
  /** Units restarted (`systemctl restart`), in order. */
  readonly restarts: string[] = [];
  /** Modes of directories made with `mkdir -m` or changed with `chmod` (octal numbers). */
  readonly dirModes = new Map<string, number>();
  readonly services = new Map<string, 'active' | 'inactive' | 'failed'>();
  readonly enabled = new Set<string>();
  /** When set, `systemctl start` fails with this journal line. */
  failStart?: string;
  /** Files etcd would write into the data dir when it starts. */
  dataDirOnStart?: string;
  listeners: number[] = [];
  fingerprint = 'SHA256:fakefakefake';
  private stampN = 0;

  constructor(readonly target: SshTarget) {}

  private result(argv: string[], code: number, stdout = '', stderr = ''): CommandResult {
    return { argv, code, stdout, stderr, durationMs: 1 };
  }

  async run(argv: string[], _opts?: RunOptions): Promise<CommandResult> {
    this.ran.push(argv);
    const [cmd, ...a] = argv;
    const ok = (out = '') => this.result(argv, 0, out);
    const fail = (code: number, err: string) => this.result(argv, code, '', err);
    switch (cmd) {
      case 'test': {
        const [flag, p] = a;
        const found = flag === '-d' ? this.dirs.has(p) : this.dirs.has(p) || this.files.has(p);
        return found ? ok() : fail(1, '');
      }
      case 'mkdir': {
        const p = a[a.length - 1];
        if (a.includes('-p')) {
          const parts = p.split('/').filter(Boolean);
          for (let i = 1; i <= parts.length; i++) this.dirs.add('/' + parts.slice(0, i).join('/'));
        } else {
          if (this.dirs.has(p)) return fail(1, `mkdir: cannot create directory '${p}': File exists`);
          this.dirs.add(p);
        }
        const m = a.indexOf('-m');
        if (m >= 0) this.dirModes.set(p, parseInt(a[m + 1], 8));
        return ok();
      }
      case 'chmod': {
        const p = a[a.length - 1];
        if (!this.dirs.has(p) && !this.files.has(p)) return fail(1, `chmod: cannot access '${p}': No such file or directory`);
        if (this.dirs.has(p)) this.dirModes.set(p, parseInt(a[0], 8));
        else this.files.get(p)!.mode = parseInt(a[0], 8);
        return ok();
      }
      case 'ls': {
        const p = a[a.length - 1];
        if (!this.dirs.has(p)) return fail(2, `ls: cannot access '${p}': No such file or directory`);
        return ok(this.children(p).join('\n') + (this.children(p).length ? '\n' : ''));
      }
      case 'mv': {
        const [from, to] = a.filter((x) => !x.startsWith('-'));
        if (this.files.has(from)) {
          this.files.set(to, this.files.get(from)!);
          this.files.delete(from);
          return ok();
        }
        if (this.dirs.has(from)) {
          for (const d of [...this.dirs]) {
            if (d !== from && !d.startsWith(from + '/')) continue;
            this.dirs.delete(d);
            this.dirs.add(to + d.slice(from.length));
          }
          for (const [f, v] of [...this.files]) {
            if (!f.startsWith(from + '/')) continue;
            this.files.delete(f);
            this.files.set(to + f.slice(from.length), v);
          }
          return ok();
        }
        return fail(1, `mv: cannot stat '${from}': No such file or directory`);
      }
      case 'rm':
        this.files.delete(a[a.length - 1]);
        return ok();
      case 'rmdir': {
        const p = a[a.length - 1];
        if (this.children(p).length > 0) return fail(1, `rmdir: failed to remove '${p}': Directory not empty`);
        this.dirs.delete(p);
        return ok();
      }
      case 'systemctl': {
        const verb = a[0];
        const unit = a.filter((x) => !x.startsWith('-'))[1];
        switch (verb) {
          case 'daemon-reload':
            return ok();
          case 'enable':
            this.enabled.add(unit);
            return ok();
          case 'disable':
            this.enabled.delete(unit);
            return ok();
          case 'start':
            if (this.dataDirOnStart) {
              this.dirs.add(`${this.dataDirOnStart}/member`);
              this.files.set(`${this.dataDirOnStart}/member/wal`, { content: Buffer.from('wal'), mode: 0o600 });
            }
            if (this.failStart) {
              this.services.set(unit, 'failed');
              return fail(1, `Job for ${unit} failed because the control process exited with error code.`);
            }
            this.services.set(unit, 'active');
            return ok();
          case 'stop':
            this.services.set(unit, 'inactive');
            return ok();
          case 'restart':
            this.restarts.push(unit);
            this.services.set(unit, 'active');
            return ok();
          case 'is-active': {
            const s = this.services.get(unit) ?? 'inactive';
            return this.result(argv, s === 'active' ? 0 : 3, s + '\n');
          }
        }
        return fail(1, `fake systemctl: ${verb}`);
      }
      case 'journalctl':
        return ok(this.failStart ? `etcd[1]: ${this.failStart}\n` : '');
      case 'uname':
        return ok('Linux x86_64\n');
      case 'ss':
        return ok(this.listeners.map((p) => `LISTEN 0 4096 0.0.0.0:${p} 0.0.0.0:* users:(("x",pid=9,fd=3))`).join('\n'));
      case 'df':
        return ok('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 100000000 1000 90000000 1% /\n');
      case 'date':
        return ok(`${BigInt(Date.now()) * 1_000_000n}\n`);
      case 'true':
        return ok();
      default:
        if (cmd.endsWith('/etcd') && a[0] === '--version') return this.files.has(cmd) ? ok('etcd Version: 3.4.23\nGit SHA: x\n') : fail(127, `sh: 1: ${cmd}: not found`);
        return fail(127, `fake host: ${cmd}: not found`);
    }
  }

  private children(dir: string): string[] {
    const pre = dir === '/' ? '/' : dir + '/';
    const names = new Set<string>();
    for (const p of [...this.dirs, ...this.files.keys()]) if (p.startsWith(pre) && p !== dir) names.add(p.slice(pre.length).split('/')[0]);
    return [...names].sort();
  }

  async upload(content: Buffer | { localPath: string }, remotePath: string, opts: UploadOptions): Promise<UploadResult> {
    const dir = remotePath.slice(0, remotePath.lastIndexOf('/')) || '/';
    if (!this.dirs.has(dir)) throw new Error(`${dir} does not exist`);
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(`local:${content.localPath}`);
    const replaced = this.files.has(remotePath);
    let backup: string | undefined;
    if (replaced && opts.backup !== false) {
      backup = `${remotePath}.etcd-tui-backup-2026112${this.stampN++}`;
      this.files.set(backup, this.files.get(remotePath)!);
    }
    this.files.set(remotePath, { content: bytes, mode: opts.mode });
    return { path: remotePath, backup, replaced, bytes: bytes.length };
  }

  async readFile(path: string): Promise<Buffer | undefined> {
    return this.files.get(path)?.content;
  }

  close(): void {}
}
