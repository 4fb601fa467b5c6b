#!/usr/bin/env node
// Reads the JSON lines of scripts/test-reporter.mjs and prints one line per
// tier (the directory under dist/test/: unit, screens, integration, e2e, ...):
// how many tests ran, passed, failed and were skipped, and why they were
// skipped. Ends with a plain "N passed, N failed, N skipped" line.
//
// Usage: node scripts/test-summary.mjs RESULTS.jsonl [--ci]
// Exit status: 1 when a test failed, when no test was reported at all, or
// (with --ci) when a test was skipped or left todo for a reason that is not
// on ALLOWED_SKIPS below; 0 otherwise.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Skips a CI run accepts: a pattern on the skip reason, and why it is acceptable. Keep it short.
 * Empty: scripts/install-deps.sh installs every tool the tests need (etcd 3.4 and 3.5, zsh,
 * systemd-analyze, tmux, sshd, ...), so in CI every test runs.
 */
export const ALLOWED_SKIPS = [];

const TIER_ORDER = ['unit', 'screens', 'integration', 'e2e', 'bench'];

export function tierOf(file) {
  if (!file) return 'other';
  const parts = file.split(path.sep);
  const i = parts.lastIndexOf('test');
  return i >= 0 && i + 2 < parts.length ? parts[i + 1] : 'other';
}

export function summarize(lines, { ci = false, allowed = ALLOWED_SKIPS } = {}) {
  const tiers = new Map();
  const tier = (name) => {
    if (!tiers.has(name)) tiers.set(name, { run: 0, passed: 0, failed: 0, skipped: 0, reasons: new Map(), failures: [] });
    return tiers.get(name);
  };
  const refused = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    let r;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    // A suite counts only when something went wrong at its level: skipped as a whole (its tests
    // were never counted) or failed outside its tests (a hook, a file that did not load).
    if (r.kind === 'suite' && r.outcome === 'pass') continue;
    if (r.kind === 'suite' && r.outcome === 'fail' && r.failure === 'subtestsFailed') continue;
    const t = tier(tierOf(r.file));
    const where = `${r.file ? path.relative(process.cwd(), r.file) : '?'}: ${r.name}`;
    if (r.outcome === 'skip' || r.outcome === 'todo') {
      t.skipped++;
      const reason = `${r.outcome === 'todo' ? 'todo: ' : ''}${r.kind === 'suite' ? 'whole suite, tests uncounted: ' : ''}${r.reason || 'no reason given'}`;
      t.reasons.set(reason, (t.reasons.get(reason) ?? 0) + 1);
      if (ci) {
        const ok = r.outcome === 'skip' && r.kind === 'test' && allowed.some((a) => a.pattern.test(r.reason ?? ''));
        if (!ok) refused.push(`${where} (${reason})`);
      }
    } else if (r.outcome === 'fail') {
      t.run++;
      t.failed++;
      t.failures.push(where);
    } else {
      t.run++;
      t.passed++;
    }
  }
  const names = [...tiers.keys()].sort((a, b) => {
    const ia = TIER_ORDER.indexOf(a), ib = TIER_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
  const out = [];
  const total = { run: 0, passed: 0, failed: 0, skipped: 0 };
  for (const name of names) {
    const t = tiers.get(name);
    for (const k of Object.keys(total)) total[k] += t[k];
    const why = [...t.reasons].map(([reason, n]) => `${n}x ${reason}`).join('; ');
    out.push(`tier ${name}: ${t.run} run, ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped${why ? ` (${why})` : ''}`);
  }
  const failures = names.flatMap((n) => tiers.get(n).failures);
  let code = 0;
  if (total.failed > 0) code = 1;
  if (total.run + total.skipped === 0) {
    out.push('no test was reported');
    code = 1;
  }
  if (refused.length > 0) {
    out.push(`CI: ${refused.length} skip(s) not on the allow-list (scripts/test-summary.mjs ALLOWED_SKIPS) fail the run:`);
    for (const r of refused) out.push(`  - ${r}`);
    code = 1;
  }
  if (failures.length > 0) {
    out.push('failed:');
    for (const f of failures) out.push(`  - ${f}`);
  }
  out.push(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return { lines: out, code, total };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  const ci = process.argv.includes('--ci');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    console.log(`test-summary: cannot read ${file}: ${err.message}`);
    process.exit(1);
  }
  const { lines, code } = summarize(text.split('\n'), { ci });
  for (const l of lines) console.log(l);
  process.exit(code);
}
