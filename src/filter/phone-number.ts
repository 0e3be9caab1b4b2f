/*
 * Telephone numbers as they appear in the user part of sip:/sips: URIs and in tel: URIs
 * (RFC 3261 §19.1.1, RFC 3966 §5.1), reduced to digits so that different writings of one
 * number compare equal:
 *
 *   - visual separators `-` `.` `(` `)` and spaces are dropped (RFC 3966 §5.1.1
 *     visual-separator); percent-encoding is decoded (`%2B354...`);
 *   - the international prefix is dropped: `+` (E.164 written form) or `00` (the ITU-T
 *     recommended international call prefix, E.164 Annex A / T-REC-E.164), so
 *     `+3544151500`, `003544151500` and `3544151500` all become `3544151500`.
 *     (North America's `011` prefix is not recognised: it is ambiguous with national numbers.)
 *   - `*` and `#` are kept (feature codes).
 */

/** A number reduced for comparison: its digits, and whether it was written as international. */
export interface NormalisedNumber {
  digits: string;
  international: boolean;
}

const SEPARATORS = /[-.() \t]/g;

/** The number a URI user part or a typed value stands for, or undefined when it is not a number. */
export function normaliseNumber(text: string): NormalisedNumber | undefined {
  let s = text;
  if (s.indexOf('%') >= 0) {
    try {
      s = decodeURIComponent(s);
    } catch {
      return undefined;
    }
  }
  s = s.replace(SEPARATORS, '');
  let international = false;
  if (s.startsWith('+')) {
    international = true;
    s = s.slice(1);
  } else if (s.startsWith('00')) {
    international = true;
    s = s.slice(2);
  }
  if (s === '' || !/^[0-9*#]+$/.test(s)) return undefined;
  return { digits: s, international };
}

/**
 * Whether a number from a message matches a value typed in a filter. The whole number must
 * be equal after normalisation; a value written without an international prefix (`4151500`)
 * also matches as a suffix (`+3544151500`, `003544151500`, `04151500`), so national and
 * short forms find international numbers. A value written with `+` or `00` only matches
 * the whole number.
 */
export function numberMatches(number: NormalisedNumber, value: NormalisedNumber): boolean {
  if (number.digits === value.digits) return true;
  return !value.international && number.digits.length > value.digits.length && number.digits.endsWith(value.digits);
}
