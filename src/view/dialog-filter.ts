import type { Dialog } from '../store/dialog';
import type { DialogStore } from '../store/store';
import { compileFilter as compileExpression, type CompiledFilter, type FilterContext, type MessageByteSource } from '../filter/compile-filter';
import { analyseDialog, FINDING_LABELS, type Finding } from '../analysis/findings';

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
  /** The telephony filter language (as `--filter`), and-ed with the other fields. */
  expression: string;
  /** Methods ticked; empty means every method. */
  methods: readonly string[];
}

export function emptyFilter(): FilterFields {
  return { from: '', to: '', src: '', dst: '', payload: '', expression: '', methods: [] };
}

export function filterActive(f: FilterFields): boolean {
  return f.from !== '' || f.to !== '' || f.src !== '' || f.dst !== '' || f.payload !== '' || f.expression.trim() !== '' || f.methods.length > 0;
}

/** A short description for the list header: `To=3544151502 methods=INVITE`. */
export function describeFilter(f: FilterFields): string {
  const parts: string[] = [];
  const expr = f.expression.trim();
  if (expr !== '') {
    const invalid = compileTelephonyExpression(expr).ok ? '' : ' (incomplete)';
    const rest = f.from !== '' || f.to !== '' || f.src !== '' || f.dst !== '' || f.payload !== '' || f.methods.length > 0;
    parts.push(rest || invalid !== '' ? `(${expr})${invalid}` : expr);
  }
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

/** The telephony filter language compiled as `--filter` compiles it (finding labels known). */
export function compileTelephonyExpression(expr: string): ReturnType<typeof compileExpression> {
  return compileExpression(expr, { findingLabels: FINDING_LABELS });
}

/**
 * The display filter (`/`): the telephony filter language when the text compiles as an
 * expression (`status 4xx`, `srcnum 3544151500`), otherwise today's text match on the row.
 */
export type DisplayFilter =
  | { kind: 'none' }
  | { kind: 'expression'; text: string; filter: CompiledFilter }
  | { kind: 'text'; text: string; match: (s: string) => boolean };

export function compileDisplayFilter(text: string): DisplayFilter {
  if (text.trim() === '') return { kind: 'none' };
  const c = compileTelephonyExpression(text);
  if (c.ok) return { kind: 'expression', text: text.trim(), filter: c };
  return { kind: 'text', text, match: textMatcher(text) };
}

/** The display filter as the list header shows it: `Filter: status 4xx` or `Search: text`. */
export function describeDisplayFilter(f: DisplayFilter): string {
  return f.kind === 'expression' ? `Filter: ${f.text}` : f.kind === 'text' ? `Search: ${f.text}` : '';
}

/**
 * The filter window's predicate. `messageTexts` gives a dialog's message texts, only called
 * when the payload field is set (reading bytes back is the expensive part). `telephony` is
 * the context the expression field is evaluated in; an expression that does not compile
 * (typed half-way) is left out until it does.
 */
export function compileFilter(
  f: FilterFields,
  messageTexts: (d: Dialog) => Iterable<string>,
  telephony?: FilterContext,
): (d: Dialog) => boolean {
  const compiled = f.expression === undefined || f.expression.trim() === '' || telephony === undefined ? undefined : compileTelephonyExpression(f.expression);
  const expression = compiled !== undefined && compiled.ok ? compiled : undefined;
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
    if (expression !== undefined && !expression.test(d, telephony!)) return false;
    if (payload !== undefined) {
      for (const text of messageTexts(d)) if (payload(text)) return true;
      return false;
    }
    return true;
  };
}

/**
 * What the full-screen UI gets from the command line for the filter language: the --filter
 * expression (applied at start as the filter window's Expression) and a dialog's findings
 * (the Findings column, `finding LABEL`, the call flow header). ui-mode attaches it to the
 * LoadState it hands the UI, as `telephony`.
 */
export interface UiTelephony {
  /** --filter EXPR as typed (already checked by the command line). */
  filter?: string;
  findings?: (d: Dialog) => readonly Finding[];
}

export function telephonyOf(load: object): UiTelephony | undefined {
  return (load as { telephony?: UiTelephony }).telephony;
}

/**
 * Findings computed lazily, at most once per dialog and store version (a dialog that got
 * new messages is analysed again).
 */
export function cachedFindings(store: DialogStore, bytes: MessageByteSource | undefined): (d: Dialog) => readonly Finding[] {
  const cache = new WeakMap<Dialog, { version: number; findings: Finding[] }>();
  return (d) => {
    const hit = cache.get(d);
    if (hit !== undefined && hit.version === store.version) return hit.findings;
    const findings = analyseDialog(store, d, bytes);
    cache.set(d, { version: store.version, findings });
    return findings;
  };
}
