import type { Dialog } from '../store/dialog';
import type { ByteLocation, DialogStore } from '../store/store';
import { flowMessages, layoutCallFlow, withRtpStreams, type CallFlow, type FlowMessage, type FlowOptions } from './call-flow';

/**
 * One ladder of several dialogs (B2BUA legs, a dialog and its related dialogs): every
 * message of every dialog in capture order, columns shared by address:port. Each line is
 * prefixed with the leg it belongs to (`1`, `2`, ... in the order the dialogs are given), so
 * an arrow stays tied to its dialog. With one dialog the ladder is the plain one.
 */

export interface LegMessage extends FlowMessage {
  /** 1-based leg: position of the message's dialog in the list given. */
  leg: number;
}

export interface MultiFlow extends CallFlow {
  /** The messages behind `lines`, same order. */
  messages: LegMessage[];
}

/** Width of the leg prefix: `L1 `. */
export const LEG_MARGIN = 4;

/** Leg prefix of a line: `L1` padded to LEG_MARGIN. */
export function legTag(leg: number): string {
  return `L${leg}`.padEnd(LEG_MARGIN);
}

/** Merges per-dialog messages into capture order (time, then store row, then leg). */
export function mergeLegs(legs: readonly (readonly FlowMessage[])[]): LegMessage[] {
  const out: LegMessage[] = [];
  legs.forEach((msgs, i) => {
    for (const m of msgs) out.push({ ...m, leg: i + 1 });
  });
  out.sort((a, b) => a.sec - b.sec || a.nsec - b.nsec || a.row - b.row || a.leg - b.leg);
  return out;
}

/** Lays out merged legs. Pure: crafted messages in, text lines out. */
export function layoutMultiFlow(legs: readonly (readonly FlowMessage[])[], options: FlowOptions): MultiFlow {
  const messages = mergeLegs(legs);
  const flow = layoutCallFlow(messages, options);
  // One dialog: the plain ladder, no leg prefix.
  if (legs.length <= 1) return { ...flow, messages };
  return {
    columns: flow.columns,
    header: ' '.repeat(LEG_MARGIN) + flow.header,
    lines: flow.lines.map((l, i) => legTag(messages[i]?.leg ?? 0) + l),
    messages,
  };
}

/** The merged ladder of dialogs from the store. */
export function multiFlowOf(
  store: DialogStore,
  dialogs: readonly Dialog[],
  read: (loc: ByteLocation) => Buffer | undefined,
  options: FlowOptions,
): MultiFlow {
  return layoutMultiFlow(
    // Each dialog's RTP streams join its own messages (drawn between its media endpoints).
    dialogs.map((d) => withRtpStreams(flowMessages(store, d, read), d.media?.streams ?? [])),
    options,
  );
}
