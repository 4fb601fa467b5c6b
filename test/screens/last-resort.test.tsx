import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { Text } from 'ink';
import { LastResort } from '../../src/cli/last-resort.js';

function Broken(): never {
  throw new TypeError("Cannot read properties of undefined (reading 'startsWith')");
}

test('a render error goes to the last-resort handler; no error screen, no stack', () => {
  const errors: unknown[] = [];
  const originalError = console.error;
  console.error = () => undefined; // React reports caught errors on the console
  try {
    const { lastFrame, unmount } = render(
      <LastResort onError={(e) => errors.push(e)}>
        <Text>before</Text>
        <Broken />
      </LastResort>,
    );
    assert.equal(errors.length, 1);
    assert.match(String((errors[0] as Error).message), /startsWith/);
    const frame = lastFrame() ?? '';
    assert.doesNotMatch(frame, /ERROR|at Broken|\.js:\d+/);
    unmount();
  } finally {
    console.error = originalError;
  }
});

test('children render as usual while nothing fails', () => {
  const { lastFrame, unmount } = render(
    <LastResort onError={() => assert.fail('no error')}>
      <Text>all good</Text>
    </LastResort>,
  );
  assert.match(lastFrame() ?? '', /all good/);
  unmount();
});
