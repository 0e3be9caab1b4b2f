/**
 * Display width of text in terminal cells: East Asian Wide and Fullwidth characters take
 * two cells, combining marks and format characters none, everything else one (the rules of
 * wcwidth, Unicode UAX #11). The list and the call flow pad and cut by this width, so a
 * Chinese display name does not push the columns after it out of line.
 */

/** Wide and Fullwidth ranges (UAX #11 classes W and F), as [first, last] code points. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, CJK compatibility
  [0x3400, 0x4dbf], // CJK Extension A
  [0x4e00, 0x9fff], // CJK Unified Ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // Fullwidth forms
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff], // Tangut
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f], // pictographs and emoticons
  [0x1f680, 0x1f6ff],
  [0x1f900, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd], // CJK Extensions B-F
  [0x30000, 0x3fffd], // CJK Extension G
];

// Combining marks (Mn, Me), format characters (Cf: zero-width space/joiners, soft hyphen
// excepted below) and Hangul medial/final Jamo join the previous character.
const ZERO_WIDTH = /^(?:\p{Mn}|\p{Me}|\p{Cf})$/u;

function isWide(cp: number): boolean {
  if (cp < 0x1100) return false;
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Cells one code point takes: 0, 1 or 2. */
export function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x300) return cp === 0 ? 0 : 1;
  if (cp === 0xad) return 1;
  if (cp >= 0x1160 && cp <= 0x11ff) return 0;
  if (ZERO_WIDTH.test(ch)) return 0;
  return isWide(cp) ? 2 : 1;
}

/** Display width of a string in terminal cells. */
export function displayWidth(s: string): number {
  // Fast path: printable ASCII and Latin-1 are one cell each.
  // eslint-disable-next-line no-control-regex
  if (/^[\x01-\u02ff]*$/.test(s)) return s.length;
  let n = 0;
  for (const ch of s) n += charWidth(ch);
  return n;
}

/**
 * The longest prefix of `s` that fits in `width` cells (combining marks stay with their base
 * character), and its width.
 */
export function takeWidth(s: string, width: number): { text: string; width: number } {
  let used = 0;
  let end = 0;
  for (const ch of s) {
    const w = charWidth(ch);
    if (used + w > width) break;
    used += w;
    end += ch.length;
  }
  return { text: s.slice(0, end), width: used };
}

/**
 * Cuts or pads a string to exactly `width` cells. A cut is marked with `ellipsis` (one
 * cell, or '' for none); a wide character that would straddle the edge is replaced by a space.
 */
export function fitWidth(s: string, width: number, align: 'left' | 'right' = 'left', ellipsis = '~'): string {
  if (width <= 0) return '';
  const w = displayWidth(s);
  if (w > width) {
    const mark = Math.min(width, displayWidth(ellipsis));
    if (mark === width) return ellipsis;
    const cut = takeWidth(s, width - mark);
    return cut.text + ' '.repeat(width - mark - cut.width) + ellipsis;
  }
  const padding = ' '.repeat(width - w);
  return align === 'right' ? padding + s : s + padding;
}

/** Pads or cuts a line to `width` cells, without a cut mark (a whole screen line). */
export function padWidth(s: string, width: number): string {
  const w = displayWidth(s);
  if (w === width) return s;
  if (w < width) return s + ' '.repeat(width - w);
  const cut = takeWidth(s, width);
  return cut.text + ' '.repeat(width - cut.width);
}
