/**
 * The defrag timer templates: golden files for a 3-node cluster (seed 000's etcd-node2..4), the
 * systemd quoting of the command, the override directory, strict rendering, and `systemd-analyze
 * verify` of the rendered units (scripts/install-deps.sh installs systemd-analyze). `npm run golden`
 * (scripts/golden.sh) rewrites the golden files (review the diff); scripts/test.sh never does.
 */
import { describe, test } from 'node:test';
import { toolSkipReason } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinTemplatesDir, renderTemplate, renderText } from '../../src/render/templates.js';
import { defragUnitData, systemdArg, systemdCommand, type DefragUnitInput } from '../../src/render/defrag-units.js';
import { repoRoot } from '../harness/binaries.js';

const GOLDEN = join(repoRoot(), 'test', 'fixtures', 'templates');
const NODES = ['etcd-node2', 'etcd-node3', 'etcd-node4'];
const TEMPLATES = ['etcd-defrag.service.hbs', 'etcd-defrag.timer.hbs'];

function nodeInput(i: number, extra: Partial<DefragUnitInput> = {}): DefragUnitInput {
  return { nodeName: NODES[i], nodeIndex: i, nodeCount: NODES.length, envFile: '/etc/etcd/etcd.env', quotaBytes: 8 * 2 ** 30, ...extra };
}

describe('golden files of the defrag timer for a 3-node cluster', () => {
  for (let i = 0; i < NODES.length; i++) {
    for (const template of TEMPLATES) {
      const file = `${NODES[i]}.${template.replace(/\.hbs$/, '')}`;
      test(file, () => {
        const rendered = renderTemplate(template, defragUnitData(nodeInput(i)));
        assert.equal(rendered.overridden, false);
        assert.equal(rendered.path, join(builtinTemplatesDir(), template));
        const golden = join(GOLDEN, file);
        if (process.env.ETCD_TUI_UPDATE_GOLDEN === '1') {
          mkdirSync(GOLDEN, { recursive: true });
          writeFileSync(golden, rendered.text);
        }
        assert.equal(rendered.text, readFileSync(golden, 'utf8'));
      });
    }
  }

  test('the stagger: 02:00, 02:20, 02:40 on Sundays; every node runs the same command', () => {
    const data = NODES.map((_, i) => defragUnitData(nodeInput(i)));
    assert.deepEqual(data.map((d) => d.onCalendar), ['Sun *-*-* 02:00:00', 'Sun *-*-* 02:20:00', 'Sun *-*-* 02:40:00']);
    assert.equal(new Set(data.map((d) => d.execStart)).size, 1);
    assert.equal(
      data[0].execStart,
      '/usr/local/bin/etcd-tui defrag --rule "free >= 100MB || inUse/size < 0.55" --move-leader --yes --env-file /etc/etcd/etcd.env --quota-bytes 8589934592 --audit-log /var/lib/etcd-tui/audit.jsonl',
    );
    const daily = defragUnitData(nodeInput(2, { days: '*', startTime: '23:00', spacingMinutes: 15 }));
    assert.equal(daily.onCalendar, '*-*-* 23:30:00');
    assert.equal(daily.timeoutStartSec, '10min');
  });

  test('explicit endpoints and TLS files instead of the env file', () => {
    const d = defragUnitData({
      nodeName: 'a',
      nodeIndex: 0,
      nodeCount: 1,
      endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'],
      cacert: '/etc/ssl/etcd/ssl/ca.pem',
      cert: '/etc/ssl/etcd/ssl/admin-node2.pem',
      key: '/etc/ssl/etcd/ssl/admin-node2-key.pem',
      rule: 'quota > 80% || free >= 1GiB',
      moveLeader: false,
      etcdTuiBin: '/opt/etcd-tui/bin/etcd-tui',
    });
    assert.equal(
      d.execStart,
      '/opt/etcd-tui/bin/etcd-tui defrag --rule "quota > 80%% || free >= 1GiB" --yes --endpoints https://10.0.0.1:2379,https://10.0.0.2:2379 --cacert /etc/ssl/etcd/ssl/ca.pem --cert /etc/ssl/etcd/ssl/admin-node2.pem --key /etc/ssl/etcd/ssl/admin-node2-key.pem --audit-log /var/lib/etcd-tui/audit.jsonl',
    );
  });

  test('input that would render a broken unit is refused', () => {
    assert.throws(() => defragUnitData(nodeInput(0, { rule: 'free >= 100XB' })), /does not parse: unknown unit "XB".*column 12/s);
    assert.throws(() => defragUnitData(nodeInput(0, { endpoints: ['http://a:2379'] })), /envFile .* or endpoints, one of them/);
    assert.throws(() => defragUnitData(nodeInput(0, { etcdTuiBin: 'etcd-tui' })), /absolute path/);
    assert.throws(() => defragUnitData(nodeInput(0, { startTime: '23:30' })), /run past midnight/);
    assert.throws(() => defragUnitData(nodeInput(0, { startTime: '2:60' })), /HH:MM/);
    assert.throws(() => defragUnitData(nodeInput(0, { spacingMinutes: 5 })), /at least 10/);
    assert.throws(() => defragUnitData(nodeInput(3)), /nodeIndex must be 0 to 2/);
    assert.throws(() => defragUnitData(nodeInput(0, { days: 'Sun; rm' })), /weekday spec/);
  });
});

describe('rendering', () => {
  test('systemd quoting: %, $, quotes, backslashes and spaces', () => {
    assert.equal(systemdArg('/etc/etcd/etcd.env'), '/etc/etcd/etcd.env');
    assert.equal(systemdArg('80%'), '"80%%"');
    assert.equal(systemdArg('a b'), '"a b"');
    assert.equal(systemdArg('say "hi"'), '"say \\"hi\\""');
    assert.equal(systemdArg('back\\slash'), '"back\\\\slash"');
    assert.equal(systemdArg('$HOME'), '"$$HOME"');
    assert.equal(systemdArg(''), '""');
    assert.equal(systemdCommand(['/bin/x', '--rule', 'free > 1']), '/bin/x --rule "free > 1"');
  });

  test('strict and unescaped: a missing field throws, "=" stays "="', () => {
    assert.equal(renderText('A={{a}}', { a: 'x=y&z' }), 'A=x=y&z');
    assert.throws(() => renderText('A={{missing}}', {}), /"missing" not defined/);
    assert.throws(() => renderTemplate('etcd-defrag.timer.hbs', { nodeName: 'x' }), /etcd-defrag\.timer\.hbs:\d+:\d+: unknown variable "nodeNumber" \(the template gets: nodeName\)/);
    assert.throws(() => renderTemplate('../etc/passwd', {}), /plain file name/);
  });

  test('an override directory wins for the templates it has, and says which file it used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-templates-'));
    try {
      writeFileSync(join(dir, 'etcd-defrag.timer.hbs'), '[Timer]\nOnCalendar={{onCalendar}}\n');
      const data = defragUnitData(nodeInput(1));
      const timer = renderTemplate('etcd-defrag.timer.hbs', data, { overrideDir: dir });
      assert.deepEqual(timer, { text: '[Timer]\nOnCalendar=Sun *-*-* 02:20:00\n', path: join(dir, 'etcd-defrag.timer.hbs'), overridden: true });
      const service = renderTemplate('etcd-defrag.service.hbs', data, { overrideDir: dir });
      assert.equal(service.overridden, false);
      assert.equal(service.path, join(builtinTemplatesDir(), 'etcd-defrag.service.hbs'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function systemdAnalyze(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

test('systemd-analyze verify accepts the rendered units of every node', { skip: toolSkipReason('systemd-analyze', 'Debian package systemd') }, () => {
  const bin = systemdAnalyze() as string;
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-units-'));
  try {
    // verify checks that ExecStart's program exists: a stub stands in for the installed etcd-tui.
    const stub = join(dir, 'etcd-tui');
    writeFileSync(stub, '#!/bin/sh\nexit 0\n');
    chmodSync(stub, 0o755);
    for (let i = 0; i < NODES.length; i++) {
      const nodeDir = join(dir, NODES[i]);
      mkdirSync(nodeDir);
      const data = defragUnitData(nodeInput(i, { etcdTuiBin: stub, rule: 'quota > 80% || free >= 100MB' }));
      for (const template of TEMPLATES) writeFileSync(join(nodeDir, template.replace(/\.hbs$/, '')), renderTemplate(template, data).text);
      const units = ['etcd-defrag.service', 'etcd-defrag.timer'].map((u) => join(nodeDir, u));
      assert.ok(units.every((u) => existsSync(u)));
      const r: SpawnSyncReturns<string> = spawnSync(bin, ['verify', ...units], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' } });
      // verify exits 0 on warnings too (an unknown escape, say): its output must be empty.
      assert.equal(r.status, 0, `${NODES[i]}: ${r.stderr}`);
      assert.equal(r.stderr.trim(), '', `${NODES[i]}: ${r.stderr}`);
      const calendar: SpawnSyncReturns<string> = spawnSync(bin, ['calendar', data.onCalendar], { encoding: 'utf8' });
      assert.equal(calendar.status, 0, calendar.stderr);
      assert.match(calendar.stdout, new RegExp(`Normalized form: ${data.onCalendar.replace(/\*/g, '\\*')}`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('template mistakes as one line with file and line', () => {
  test('syntax error, unknown variable, missing override directory', async () => {
    const { templateErrorText } = await import('../../src/render/templates.js');
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    let parseError: unknown;
    try {
      renderText('A=1\nB={{#if x}}\n', { x: true });
    } catch (error) {
      parseError = error;
    }
    assert.match(templateErrorText('/t/a.hbs', parseError, {}), /^\/t\/a\.hbs:\d+: template syntax error: Expecting .*got 'EOF' \(a block such as \{\{#if\}\} or \{\{#each\}\} is not closed\?\)$/);
    const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-tpl-err-'));
    try {
      writeFileSync(join(dir, 'etcd-defrag.timer.hbs'), 'A=1\n{{#each}}\n');
      assert.throws(() => renderTemplate('etcd-defrag.timer.hbs', {}, { overrideDir: dir }), (e: Error) => e.name === 'ConfigError' && /etcd-defrag\.timer\.hbs:\d+: template syntax error/.test(e.message) && !e.message.includes('\n'));
      assert.throws(() => renderTemplate('etcd-defrag.timer.hbs', {}, { overrideDir: join(dir, 'nope') }), /templatesDir .*nope does not exist/);
      assert.throws(() => renderTemplate('etcd-defrag.timer.hbs', {}, { overrideDir: join(dir, 'etcd-defrag.timer.hbs') }), /is not a directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
