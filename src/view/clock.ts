import { isoTime } from './dialog-report';
import { displayWidth, fitWidth } from './text-width';

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

/** Display width of a string in terminal cells (wide CJK characters count two, combining marks none). */
export function cellWidth(s: string): number {
  return displayWidth(s);
}

/** Cuts or pads a string to exactly `width` cells; a cut is marked with `ellipsis` (`~` by default). */
export function fit(s: string, width: number, align: 'left' | 'right' = 'left', ellipsis = '~'): string {
  return fitWidth(s, width, align, ellipsis);
}
