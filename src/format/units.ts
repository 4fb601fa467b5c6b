/** Human formatting of sizes, durations, ratios and sparklines. Pure. */

const SI_SIZES = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/**
 * Sizes in decimal units (kB = 1000, MB = 10^6, GB = 10^9), as etcdctl and etcdutl print them: the
 * algorithm of Go's go-humanize Bytes() ("9 B", "20 kB", "1.2 MB", "12 MB"), so a size reads the
 * same here, in `snapshot status` and in `etcdctl endpoint status`. Sizes typed by a person accept
 * both: `8GB` is 8 * 10^9, `8GiB` is 8 * 2^30 (see parseSize in src/cli/args.ts).
 */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '-';
  if (bytes < 0) return '-' + formatBytes(-bytes);
  const s = Math.floor(bytes);
  if (s < 10) return `${s} B`;
  const e = Math.floor(Math.log(s) / Math.log(1000));
  const suffix = SI_SIZES[Math.min(e, SI_SIZES.length - 1)];
  const val = Math.floor((s / Math.pow(1000, e)) * 10 + 0.5) / 10;
  if (val < 10) return `${val.toFixed(1)} ${suffix}`;
  return `${goRound0(val)} ${suffix}`;
}

/** fmt.Sprintf("%.0f", v): rounds an exact half to even (12.5 -> "12"), unlike toFixed. */
function goRound0(v: number): string {
  const floor = Math.floor(v);
  const frac = v - floor;
  if (frac === 0.5) return String(floor % 2 === 0 ? floor : floor + 1);
  return String(Math.round(v));
}

/** 1234 -> "1.2s", 45 -> "45ms", 125000 -> "2m5s". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}h${minutes}m` : `${minutes}m${seconds}s`;
}

/** Clock time "HH:MM:SS" (local). */
export function formatClock(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export function formatPercent(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '-';
  return `${Math.round(ratio * 100)}%`;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of the values scaled between their min and max. */
export function sparkline(values: number[], width = values.length): string {
  const tail = values.slice(-width);
  if (tail.length === 0) return '';
  const min = Math.min(...tail);
  const max = Math.max(...tail);
  const span = max - min;
  return tail.map((v) => BARS[span === 0 ? 0 : Math.min(BARS.length - 1, Math.floor(((v - min) / span) * (BARS.length - 1)))]).join('');
}

/** A progress bar of the given width for a ratio in [0, 1]. */
export function progressBar(ratio: number, width: number): string {
  const r = Math.max(0, Math.min(1, ratio));
  const full = Math.round(r * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}
