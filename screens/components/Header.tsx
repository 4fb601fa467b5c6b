/**
 * The header: who and what (context, cluster version, last update, cluster ID, endpoints), the
 * read-only banner, the verdict with its reason, and the leader line. One row each, so that they
 * stay on screen at any terminal size; the first line drops its least useful pieces when narrow.
 */
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../context.js';
import { leaderLine, verdictHeadline } from '../../src/format/members.js';
import { hexId } from '../../src/format/ids.js';
import { formatClock, formatDuration } from '../../src/format/units.js';
import { fitPieces, shortenMiddle } from '../../src/format/layout.js';
import { mixedVersions } from '../../src/health/verdict.js';
import { answeringStatuses } from '../../src/health/verdict.js';
import { memberLabel } from '../../src/format/ids.js';

const LEVEL_COLOR = { healthy: 'green', degraded: 'yellow', critical: 'red', unknown: 'gray' } as const;

/** Rows the header takes. */
/** How far "updated" may lag the newest refresh when nothing else changed (see Header). */
export const UPDATED_STEP_MS = 15_000;

export function headerRows(readOnly: boolean): number {
  return readOnly ? 4 : 3;
}

export function Header({ width }: { width: number }) {
  const connection = useAppStore((s) => s.connection);
  const { clusterId, clusterVersion, verdict, loaded } = useAppStore(
    useShallow((s) => ({ clusterId: s.view.clusterId, clusterVersion: s.view.clusterVersion, verdict: s.view.verdict, loaded: s.view.loaded })),
  );
  const view = useAppStore((s) => s.view);
  // The newest refresh, published or not: "updated" moves while data arrives, in steps of
  // UPDATED_STEP_MS when nothing else on screen changed (a redraw costs more CPU than a refresh round:
  // a redraw a second was most of the console's idle CPU, one every 5 s still half of it). The time
  // shown is never later than the newest refresh.
  const updatedAt = useAppStore((s) => Math.max(s.view.updatedAt, s.latest.updatedAt - (s.latest.updatedAt % UPDATED_STEP_MS)));
  const latestLoaded = useAppStore((s) => s.latest.loaded);
  // Durations advance with the data, so the screen redraws only when it changes.
  const now = view.updatedAt;
  const endpoints = connection.endpoints.length > 1 ? `${connection.endpoints[0]} (+${connection.endpoints.length - 1})` : connection.endpoints[0];
  const mixed = mixedVersions(answeringStatuses(view.members, view.probes), (id) => memberLabel(view.members.find((m) => m.id === id), id));
  const version = clusterVersion ? `cluster version ${clusterVersion}${mixed ? ' (mixed versions)' : ''}` : undefined;
  const identity = fitPieces(
    [
      'etcd-tui',
      `context ${connection.contextName}`,
      version,
      latestLoaded ? `updated ${formatClock(updatedAt)}` : undefined,
      clusterId ? `cluster ${hexId(clusterId)}` : undefined,
      `${endpoints}${connection.secure ? ' (TLS)' : ''}`,
      connection.user ? `user ${connection.user}` : undefined,
      `refresh ${formatDuration(connection.refreshMs)}`,
    ],
    width,
  );
  const level = '● ' + verdict.level.toUpperCase();
  const headline = shortenMiddle(verdictHeadline(verdict, loaded), Math.max(10, width - level.length - 2));
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text wrap="truncate-end">
        <Text bold color="cyan">
          {identity[0]}
        </Text>
        {identity.length > 1 ? '  ' + identity.slice(1).join('  ') : ''}
      </Text>
      {connection.readOnly ? (
        <Text backgroundColor="yellow" color="black" bold wrap="truncate-end">
          {' READ-ONLY: commands that change the cluster are disabled '}
        </Text>
      ) : null}
      <Text wrap="truncate-end">
        <Text color={LEVEL_COLOR[verdict.level]} bold>
          {level}
        </Text>
        {'  '}
        {headline}
      </Text>
      <Text wrap="truncate-end" color={view.leader.id || !view.loaded ? undefined : 'red'}>
        {leaderLine(view, now)}
      </Text>
    </Box>
  );
}
