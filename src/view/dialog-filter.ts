import type { Dialog } from '../store/dialog';

/**
 * The filter window's fields (sngrep F7) and the display filter (F3, `/`), compiled to
 * predicates over dialogs. Pure: message text for the payload field comes from a callback.
 */

export const FILTER_METHODS: readonly string[] = [
  'REGISTER',
  'INVITE',
  'SUBSCRIBE',
  'NOTIFY',
  'OPTIONS',
  'PUBLISH',
  'MESSAGE',
  'INFO',
  'REFER',
  'UPDATE',
];

export interface FilterFields {
  from: string;
  to: string;
  src: string;
  dst: string;
  payload: string;
  /** Methods ticked; empty means every method. */
  methods: readonly string[];
}

export function emptyFilter(): FilterFields {
  return { from: '', to: '', src: '', dst: '', payload: '', methods: [] };
}

export function filterActive(f: FilterFields): boolean {
  return f.from !== '' || f.to !== '' || f.src !== '' || f.dst !== '' || f.payload !== '' || f.methods.length > 0;
}

/** A short description for the list header: `To=3544151502 methods=INVITE`. */
export function describeFilter(f: FilterFields): string {
  const parts: string[] = [];
  if (f.from !== '') parts.push(`From=${f.from}`);
  if (f.to !== '') parts.push(`To=${f.to}`);
  if (f.src !== '') parts.push(`Src=${f.src}`);
  if (f.dst !== '') parts.push(`Dst=${f.dst}`);
  if (f.payload !== '') parts.push(`Payload=${f.payload}`);
  if (f.methods.length > 0) parts.push(`Methods=${f.methods.join(',')}`);
  return parts.join(' ');
}

/**
 * A case-insensitive matcher for a field: a regular expression when the text is one,
 * otherwise a plain substring (so `a+b` or `[` typed half-way still filter sensibly).
 */
export function textMatcher(text: string): (s: string) => boolean {
  if (text === '') return () => true;
  try {
    const re = new RegExp(text, 'i');
    return (s) => re.test(s);
  } catch {
    const lower = text.toLowerCase();
    return (s) => s.toLowerCase().includes(lower);
  }
}

/**
 * The filter window's predicate. `messageTexts` gives a dialog's message texts, only called
 * when the payload field is set (reading bytes back is the expensive part).
 */
export function compileFilter(f: FilterFields, messageTexts: (d: Dialog) => Iterable<string>): (d: Dialog) => boolean {
  const from = textMatcher(f.from);
  const to = textMatcher(f.to);
  const src = textMatcher(f.src);
  const dst = textMatcher(f.dst);
  const payload = f.payload === '' ? undefined : textMatcher(f.payload);
  const methods = f.methods.length === 0 ? undefined : new Set(f.methods);
  return (d) => {
    if (methods !== undefined && !methods.has(d.method)) return false;
    if (f.from !== '' && !(from(d.from.uri) || from(d.from.display))) return false;
    if (f.to !== '' && !(to(d.to.uri) || to(d.to.display))) return false;
    if (!src(d.src) || !dst(d.dst)) return false;
    if (payload !== undefined) {
      for (const text of messageTexts(d)) if (payload(text)) return true;
      return false;
    }
    return true;
  };
}
