import type { Dialog } from '../store/dialog';
import type { ByteLocation, DialogStore } from '../store/store';
import { headerValues, parseHeaders } from '../sip/headers';
import { normaliseNumber } from '../filter/phone-number';

/**
 * The dialogs related to one dialog (sngrep's "extended flow", F4/x), found three ways:
 *
 *   1. a correlation header (X-Call-ID, X-CID by default; configurable) of one dialog names
 *      the other's Call-ID;
 *   2. both dialogs carry the same correlation header value;
 *   3. across a B2BUA or proxy that adds no such header: both are INVITE dialogs whose
 *      first INVITE has the same caller and called numbers (From and To user parts, `+`
 *      and `00` prefixes and visual separators dropped) and that started within
 *      `windowSeconds` of each other.
 *
 * Only direct relations of the chosen dialog are followed (no chains).
 */

export const DEFAULT_RELATED_HEADERS: readonly string[] = ['X-Call-ID', 'X-CID'];
/** Default window for matching by numbers. */
export const DEFAULT_NUMBER_WINDOW = 5;

export interface RelatedOptions {
  /** Correlation header names, compared case-insensitively. */
  relatedHeaders?: readonly string[];
  /** Seconds between the two INVITEs for a match by numbers. */
  windowSeconds?: number;
  /** Match by caller and called numbers too (default true). */
  byNumbers?: boolean;
}

export interface RelatedLeg {
  dialog: Dialog;
  /** How it was matched, in words, the chosen dialog called L1 (its leg in the ladder). */
  how: string;
}

/** Correlation header values of a dialog (from its first message), each with the header name. */
export function correlationValues(
  store: DialogStore,
  d: Dialog,
  read: (loc: ByteLocation) => Buffer | undefined,
  names: readonly string[],
): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  // The engine keeps the first X-Call-ID / X-CID of any message: with only those names, a
  // dialog without one has nothing to read back (keeps `x` fast on large captures).
  const defaultsOnly = names.every((n) => /^x-(call-id|cid)$/i.test(n.trim()));
  if (defaultsOnly && d.xCallId === '') return out;
  const first = d.msgs[0];
  if (first !== undefined) {
    const bytes = read(store.msgBytes(first));
    if (bytes !== undefined) {
      const headers = parseHeaders(bytes).headers;
      for (const name of names) for (const v of headerValues(headers, name)) if (v.trim() !== '') out.push({ name, value: v.trim() });
    }
  }
  // The engine keeps X-Call-ID / X-CID even when the bytes cannot be read back.
  if (out.length === 0 && d.xCallId !== '' && names.some((n) => /^x-(call-id|cid)$/i.test(n))) out.push({ name: 'X-Call-ID', value: d.xCallId });
  return out;
}

/** Caller and called numbers of an INVITE dialog, normalised, or undefined when not numbers. */
export function dialogNumbers(d: Dialog): { from: string; to: string } | undefined {
  if (!d.isInvite) return undefined;
  const from = normaliseNumber(d.from.user);
  const to = normaliseNumber(d.to.user);
  if (from === undefined || to === undefined) return undefined;
  return { from: from.digits, to: to.digits };
}

/**
 * The related dialogs of `d` among `all`, in the order of `all`, each with how it matched;
 * `leg` is how `d` is called in those words (its leg in the ladder).
 */
export function relatedDialogs(
  store: DialogStore,
  d: Dialog,
  all: Iterable<Dialog>,
  read: (loc: ByteLocation) => Buffer | undefined,
  options: RelatedOptions = {},
  leg = 'L1',
): RelatedLeg[] {
  const names = options.relatedHeaders ?? DEFAULT_RELATED_HEADERS;
  const window = options.windowSeconds ?? DEFAULT_NUMBER_WINDOW;
  const mine = correlationValues(store, d, read, names);
  const myNumbers = options.byNumbers === false ? undefined : dialogNumbers(d);
  const myStart = startOf(store, d);
  const out: RelatedLeg[] = [];
  for (const o of all) {
    if (o === d) continue;
    const how = matchOf(store, d, o, mine, read, names, myNumbers, myStart, window, leg);
    if (how !== undefined) out.push({ dialog: o, how });
  }
  return out;
}

/** Legs an extended flow shows at most (the chosen dialog included). */
export const MAX_CHAIN_LEGS = 8;

/**
 * The dialogs related to `d` directly or through each other: a call crossing an SBC, a PBX
 * and a trunk has three legs, each relating only to its neighbours. Breadth first from `d`
 * (L1), each found leg numbered in order (L2, L3, ...) and its `how` naming the leg it was
 * found from; at most `maxLegs` legs in all. Beyond L1 only correlation headers are
 * followed: matching by numbers from leg to leg would chain unrelated calls between the
 * same two numbers a few seconds apart.
 */
export function relatedChain(
  store: DialogStore,
  d: Dialog,
  all: Iterable<Dialog>,
  read: (loc: ByteLocation) => Buffer | undefined,
  options: RelatedOptions = {},
  maxLegs = MAX_CHAIN_LEGS,
): RelatedLeg[] {
  const list = [...all];
  const legs: Dialog[] = [d];
  const seen = new Set<Dialog>(legs);
  const out: RelatedLeg[] = [];
  for (let i = 0; i < legs.length && legs.length < maxLegs; i++) {
    const step = i === 0 ? options : { ...options, byNumbers: false };
    for (const r of relatedDialogs(store, legs[i]!, list, read, step, `L${i + 1}`)) {
      if (seen.has(r.dialog)) continue;
      seen.add(r.dialog);
      legs.push(r.dialog);
      out.push(r);
      if (legs.length >= maxLegs) break;
    }
  }
  return out;
}

function startOf(store: DialogStore, d: Dialog): number | undefined {
  const first = d.msgs[0];
  return first === undefined ? undefined : store.msgTime(first);
}

function matchOf(
  store: DialogStore,
  d: Dialog,
  o: Dialog,
  mine: readonly { name: string; value: string }[],
  read: (loc: ByteLocation) => Buffer | undefined,
  names: readonly string[],
  myNumbers: { from: string; to: string } | undefined,
  myStart: number | undefined,
  window: number,
  leg: string,
): string | undefined {
  const named = mine.find((v) => v.value === o.callId);
  if (named !== undefined) return `${leg}'s ${named.name} names its Call-ID`;
  const theirs = correlationValues(store, o, read, names);
  const back = theirs.find((v) => v.value === d.callId);
  if (back !== undefined) return `its ${back.name} names ${leg}'s Call-ID`;
  const shared = theirs.find((v) => mine.some((m) => m.value === v.value));
  if (shared !== undefined) return `same ${shared.name} as ${leg}`;
  const numbers = dialogNumbers(o);
  const start = startOf(store, o);
  if (myNumbers !== undefined && numbers !== undefined && myStart !== undefined && start !== undefined) {
    const dt = Math.abs(start - myStart);
    if (numbers.from === myNumbers.from && numbers.to === myNumbers.to && dt <= window) {
      return `same numbers as ${leg} (${myNumbers.from} -> ${myNumbers.to}), ${dt.toFixed(3)} s apart`;
    }
  }
  return undefined;
}
