/**
 * The metrics scraper, separate from the status poller: one GET of /metrics per member a round, at
 * most one in flight per member, each bounded; it keeps the previous scrape of each member so the
 * figures come from bucket deltas between two scrapes.
 */
import type { Member } from '../domain/types.js';
import type { MetricsTarget } from '../domain/config.js';
import type { InspectGateway } from '../cluster/gateway.js';
import { memberFigures, parsePrometheus, usedMetric, type MemberFigures, type Scrape } from '../health/metrics.js';

export interface ScrapeRound {
  /** Member ID -> figures from this scrape and the previous one. */
  figures: Record<string, MemberFigures>;
  /** Member ID -> why the scrape failed. */
  errors: Record<string, string>;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * The scraper's metrics URL for a member from the context's inventory (settings.metricsURLs): the
 * host of the same name, else the host whose client URL the member advertises; undefined (scrape
 * the client URL) for a member the inventory does not list.
 */
export function inventoryMetricsURL(targets: MetricsTarget[] | undefined): (member: Member) => string | undefined {
  if (!targets || targets.length === 0) return () => undefined;
  return (member) => {
    const byName = member.name ? targets.find((t) => t.name === member.name) : undefined;
    if (byName) return byName.metricsURL;
    const urls = new Set(member.clientURLs.map(trimSlash));
    return targets.find((t) => urls.has(trimSlash(t.clientURL)))?.metricsURL;
  };
}

export class MetricsScraper {
  private readonly last = new Map<string, Scrape>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly gateway: InspectGateway,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
    /** Member ID -> a metrics URL other than its client URL (the inventory's, e.g. --listen-metrics-urls). */
    private readonly metricsURL: (member: Member) => string | undefined = () => undefined,
  ) {}

  /** Scrape every member with a client URL once (members still being scraped are skipped). */
  async round(members: Member[]): Promise<ScrapeRound> {
    const figures: Record<string, MemberFigures> = {};
    const errors: Record<string, string> = {};
    await Promise.all(
      members.map(async (m) => {
        const url = this.metricsURL(m) ?? m.clientURLs[0];
        if (!url || this.inFlight.has(m.id)) return;
        this.inFlight.add(m.id);
        try {
          const text = await this.gateway.metrics(url, this.timeoutMs);
          const scrape = { at: this.now(), samples: parsePrometheus(text, usedMetric) };
          figures[m.id] = memberFigures(this.last.get(m.id), scrape);
          this.last.set(m.id, scrape);
        } catch (error) {
          errors[m.id] = (error as Error).message;
        } finally {
          this.inFlight.delete(m.id);
        }
      }),
    );
    for (const id of [...this.last.keys()]) if (!members.some((m) => m.id === id)) this.last.delete(id);
    return { figures, errors };
  }
}
