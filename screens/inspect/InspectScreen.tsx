/** The visibility panes, by screen name (one route in App.tsx). */
import type { ScreenName } from '../../src/store/store.js';
import { Certificates } from '../certs/Certificates.js';
import { Metrics } from '../metrics/Metrics.js';
import { Consistency } from '../consistency/Consistency.js';
import { Keyspace } from '../keyspace/Keyspace.js';

export function InspectScreen({ screen }: { screen: ScreenName }) {
  switch (screen) {
    case 'certs':
      return <Certificates />;
    case 'metrics':
      return <Metrics />;
    case 'consistency':
      return <Consistency />;
    default:
      return <Keyspace />;
  }
}
