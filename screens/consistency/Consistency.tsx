/** The consistency check pane (H, :check): progress, then every member's hash side by side. */
import { Box, Text } from 'ink';
import { useAppStore } from '../context.js';
import { compareHashes } from '../../src/health/consistency.js';
import { progressBar } from '../../src/format/units.js';
import { toneColor } from '../components/tone.js';

export function Consistency() {
  const task = useAppStore((s) => s.inspect.consistency);
  const result = task.result;
  const verdict = result ? compareHashes(result) : undefined;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>CONSISTENCY CHECK (HashKV at one revision on every member; H runs it again, s stops it)</Text>
      {task.running ? (
        <Text>
          {progressBar(task.ratio ?? 0, 30)} {task.progress}
        </Text>
      ) : null}
      {task.error ? <Text color="red">check failed: {task.error}</Text> : null}
      {result && verdict ? (
        <Box flexDirection="column">
          <Text>
            revision {result.revision} (from {result.revisionFrom})
          </Text>
          {result.answers.map((a) => (
            <Text key={a.memberId} color={verdict.differing.includes(a.member) ? 'red' : a.ok ? undefined : 'yellow'}>
              {'  '}
              {a.member.padEnd(12)} {a.ok ? `${a.hash.padEnd(12)} ${String(a.ms).padStart(6)} ms ${verdict.differing.includes(a.member) ? 'DIFFERS' : 'ok'}` : `no answer: ${a.error}`}
            </Text>
          ))}
          {verdict.reasons.map((r, i) => (
            <Text key={i} color={toneColor(r.level)}>
              {r.text}
            </Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}
