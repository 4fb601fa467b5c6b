/**
 * Go's github.com/dustin/go-humanize Bytes(): SI units (base 1000) with a
 * space, as etcdutl prints TOTAL SIZE ("20 kB", "1.2 MB", "9 B").
 */
const SI_SIZES = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

export function humanizeBytes(bytes: number): string {
  const s = Math.max(0, Math.floor(bytes));
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
