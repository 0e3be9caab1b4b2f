import { parseHeaders } from '../sip/headers';
import { safeLine, splitLines } from './raw-view';

/**
 * The difference of two SIP messages (call flow: Space on one message, Space on another),
 * compared the way an engineer reads them:
 *
 *   - the start lines against each other;
 *   - headers paired by name (the n-th Via of one with the n-th Via of the other), so
 *     headers in another order are not shown as differences; compact forms count as their
 *     long names (`v:` is `Via:`);
 *   - bodies (SDP) line by line, aligned on their longest common subsequence.
 *
 * Rows come out in the first message's order; headers only the second message has follow
 * its headers. Text is made safe for a terminal.
 */

/** `=` same, `~` changed, `<` only in the first message, `>` only in the second. */
export type DiffMark = '=' | '~' | '<' | '>';

export interface DiffRow {
  mark: DiffMark;
  left: string;
  right: string;
}

/** Lines longer than this in a body are compared position by position (LCS is quadratic). */
const MAX_LCS_LINES = 2000;

function rowOf(a: string | undefined, b: string | undefined): DiffRow {
  if (a === undefined) return { mark: '>', left: '', right: b ?? '' };
  if (b === undefined) return { mark: '<', left: a, right: '' };
  return { mark: a === b ? '=' : '~', left: a, right: b };
}

/** Headers of both messages paired by name, in the first message's order. */
export function diffHeaders(a: readonly { name: string; value: string }[], b: readonly { name: string; value: string }[]): DiffRow[] {
  const byName = (hs: readonly { name: string; value: string }[]): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    for (const h of hs) {
      const k = h.name.toLowerCase();
      const list = m.get(k) ?? [];
      list.push(`${h.name}: ${h.value}`);
      m.set(k, list);
    }
    return m;
  };
  const left = byName(a);
  const right = byName(b);
  const names = [...left.keys(), ...[...right.keys()].filter((k) => !left.has(k))];
  const out: DiffRow[] = [];
  for (const k of names) {
    const l = left.get(k) ?? [];
    const r = right.get(k) ?? [];
    for (let i = 0; i < Math.max(l.length, r.length); i++) out.push(rowOf(l[i], r[i]));
  }
  return out;
}

/** Lines aligned on their longest common subsequence; unmatched runs paired as changes. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffRow[] {
  if (a.length > MAX_LCS_LINES || b.length > MAX_LCS_LINES) {
    return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => rowOf(a[i], b[i]));
  }
  // lcs[i][j]: length of the LCS of a[i..] and b[j..].
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffRow[] = [];
  let i = 0;
  let j = 0;
  let onlyA: string[] = [];
  let onlyB: string[] = [];
  const flush = (): void => {
    for (let k = 0; k < Math.max(onlyA.length, onlyB.length); k++) out.push(rowOf(onlyA[k], onlyB[k]));
    onlyA = [];
    onlyB = [];
  };
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      flush();
      out.push(rowOf(a[i], b[j]));
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      onlyA.push(a[i]!);
      i++;
    } else {
      onlyB.push(b[j]!);
      j++;
    }
  }
  flush();
  return out;
}

/** A body's lines; an empty body has none. */
function bodyLines(bytes: Buffer, offset: number): string[] {
  const lines = splitLines(bytes.subarray(offset).toString('utf8'));
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

/** The rows of the difference of two messages' bytes. */
export function diffMessages(a: Buffer, b: Buffer): DiffRow[] {
  const pa = parseHeaders(a);
  const pb = parseHeaders(b);
  const bodyA = bodyLines(a, pa.bodyOffset);
  const bodyB = bodyLines(b, pb.bodyOffset);
  const rows = [rowOf(pa.startLine, pb.startLine), ...diffHeaders(pa.headers, pb.headers)];
  if (bodyA.length > 0 || bodyB.length > 0) rows.push({ mark: '=', left: '', right: '' }, ...diffLines(bodyA, bodyB));
  return rows.map((r) => ({ mark: r.mark, left: safeLine(r.left), right: safeLine(r.right) }));
}

/** Side-by-side text: `left | mark | right`, each side `half` cells wide (cut with `~`). */
export function sideBySide(rows: readonly DiffRow[], width: number): string[] {
  const half = Math.max(10, Math.floor((width - 3) / 2));
  const cut = (s: string): string => {
    const cs = [...s];
    return cs.length > half ? cs.slice(0, half - 1).join('') + '~' : s + ' '.repeat(half - cs.length);
  };
  return rows.map((r) => `${cut(r.left)} ${r.mark === '=' ? ' ' : r.mark} ${cut(r.right)}`.trimEnd());
}

/** Counts of differing rows, for the window title. */
export function diffSummary(rows: readonly DiffRow[]): string {
  const n = (m: DiffMark): number => rows.filter((r) => r.mark === m).length;
  return `${n('~')} changed, ${n('<')} only in the first, ${n('>')} only in the second`;
}
