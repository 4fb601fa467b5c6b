/** A UTC time as a stamp safe in file names and run IDs: 20261203T131500Z. */
export function utcStamp(at: Date | number = new Date()): string {
  return new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
