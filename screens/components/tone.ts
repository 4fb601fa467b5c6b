import type { Tone } from '../../src/format/members.js';

/** Terminal colours for tones. */
export function toneColor(tone: Tone | 'info' | 'warn' | 'crit' | 'ok' | 'unknown' | undefined): string | undefined {
  switch (tone) {
    case 'ok':
      return 'green';
    case 'warn':
      return 'yellow';
    case 'crit':
      return 'red';
    case 'dim':
    case 'unknown':
      return 'gray';
    case 'accent':
    case 'info':
      return 'cyan';
    default:
      return undefined;
  }
}
