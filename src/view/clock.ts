import { isoTime } from './dialog-report';

/**
 * Seconds to add to a UTC time to show it as wall-clock time (local time zone at that
 * instant). Views take it as a parameter so they stay pure; the UI passes the local zone,
 * tests pass UTC.
 */
export type UtcOffset = (sec: number) => number;

export const UTC: UtcOffset = () => 0;

/** `YYYY/MM/DD HH:MM:SS.uuuuuu` (sngrep's raw header time). */
export function formatDateTime(sec: number, nsec: number, offset: UtcOffset): string {
  const iso = isoTime(sec + offset(sec), nsec);
  return `${iso.slice(0, 10).replace(/-/g, '/')} ${iso.slice(11, 26)}`;
}

/** `HH:MM:SS.uuuuuu` */
export function formatClock(sec: number, nsec: number, offset: UtcOffset): string {
  return isoTime(sec + offset(sec), nsec).slice(11, 26);
}

/** `HH:MM:SS` */
export function formatClockSeconds(sec: number, offset: UtcOffset): string {
  return isoTime(sec + offset(sec), 0).slice(11, 19);
}

/** A duration for a list cell: `0.5s`, `16.0s`, `2:05`, `1:02:05`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.floor(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const r = whole % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(r).padStart(2, '0')}`;
}

/** Display width of a string in terminal cells, counting code points (no wide-character table). */
export function cellWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Cuts or pads a string to exactly `width` cells; a cut is marked with `~`. */
export function fit(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = [...s];
  if (chars.length > width) return width === 1 ? '~' : chars.slice(0, width - 1).join('') + '~';
  const padding = ' '.repeat(width - chars.length);
  return align === 'right' ? padding + s : s + padding;
}
