/** Human formatting of sizes, durations, ratios and sparklines. Pure. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536000 -> "1.5 MB" (powers of 1024, as etcdctl's table prints sizes). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '-';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
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
