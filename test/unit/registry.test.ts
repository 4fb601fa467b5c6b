import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandRegistry, parsePalette, keyTableMarkdown } from '../../src/commands/registry.js';

test('every command has an id, keys, a title and a description; ids are unique', () => {
  const registry = new CommandRegistry({ readOnly: false });
  const ids = new Set<string>();
  for (const c of registry.commands) {
    assert.ok(c.id && c.title && c.description, c.id);
    assert.ok(c.keys.length > 0, `${c.id} has keys`);
    assert.ok(!ids.has(c.id), `unique ${c.id}`);
    ids.add(c.id);
  }
});

test('no two commands share a key on the same screen', () => {
  const registry = new CommandRegistry({ readOnly: false });
  for (const screen of ['dashboard', 'detail', 'help', 'events', 'contexts', 'flow'] as const) {
    const seen = new Map<string, string>();
    for (const c of registry.commands.filter((x) => !x.screens || x.screens.includes(screen))) {
      for (const k of c.keys) {
        const other = seen.get(k);
        if (other) {
          // A screen-scoped binding may shadow a global one, never another scoped one.
          const a = registry.byId(other);
          assert.ok(!(a?.screens && c.screens), `${screen}: ${k} bound to ${other} and ${c.id}`);
        }
        seen.set(k, c.id);
      }
    }
  }
  assert.equal(registry.forKey('enter', 'dashboard')?.id, 'detail');
  assert.equal(registry.forKey('enter', 'contexts')?.id, 'use-context');
  // The flow dialog's keys shadow the screens' ones while a flow is open.
  assert.equal(registry.forKey('a', 'dashboard')?.id, 'add-learner');
  assert.equal(registry.forKey('a', 'flow')?.id, 'abort');
  assert.equal(registry.forKey('x', 'detail')?.id, 'remove');
  assert.equal(registry.forKey('x', 'flow')?.id, 'remove-learner');
  assert.equal(registry.forKey('enter', 'flow')?.id, 'flow-next');
  assert.equal(registry.forKey('escape', 'flow')?.id, 'flow-close');
});

test('read-only mode drops the flows and the flow dialog keys', () => {
  const ids = new CommandRegistry({ readOnly: true }).commands.map((c) => c.id);
  for (const id of ['add-learner', 'promote', 'remove', 'replace', 'move-leader', 'abort', 'flow-next']) assert.ok(!ids.includes(id), id);
  assert.ok(ids.includes('quit'));
});

test('palette parsing: ids, aliases, arguments, errors', () => {
  const registry = new CommandRegistry({ readOnly: false });
  assert.equal(parsePalette(registry, 'help').command?.id, 'help');
  assert.equal(parsePalette(registry, 'q').command?.id, 'quit');
  const ctx = parsePalette(registry, 'ctx prod');
  assert.equal(ctx.command?.id, 'ctx');
  assert.equal(ctx.argument, 'prod');
  assert.match(parsePalette(registry, 'ev2').error ?? '', /no command "ev2"/);
  assert.match(parsePalette(registry, 'eve').error ?? '', /did you mean events/);
});

test('the key table is generated from the registry', () => {
  const table = keyTableMarkdown(new CommandRegistry({ readOnly: false }));
  assert.match(table, /\| `q` `ctrl-c` \| `:quit` \| Leave the console \|/);
});
