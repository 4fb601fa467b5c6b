/**
 * Go's github.com/dustin/go-humanize Bytes(): SI units (base 1000) with a space, as etcdutl prints
 * TOTAL SIZE ("20 kB", "1.2 MB", "9 B"). The console's one size formatter, so both agree.
 */
export { formatBytes as humanizeBytes } from '../format/units.js';
