import { diffMessages, diffSummary, sideBySide, type DiffRow } from '../view/message-diff';
import { rawHeader } from '../view/raw-view';
import type { StyledLine } from './canvas';
import { TextWindow } from './text-window';
import type { UiContext } from './window';

/**
 * Two messages side by side (Space on one message of the call flow, Space on another):
 * headers paired by name, differing lines marked `~` (changed), `<` or `>` (only on one side)
 * and shown bold.
 */
export class DiffWindow extends TextWindow {
  constructor(ctx: UiContext, first: number, second: number) {
    const s = ctx.store;
    const msg = (row: number): { head: string; bytes: Buffer | undefined } => ({
      head: rawHeader({ sec: s.msgSec(row), nsec: s.msgNsec(row), src: s.msgSrc(row), dst: s.msgDst(row), bytes: undefined }, ctx.offset),
      bytes: ctx.readBytes(s.msgBytes(row)),
    });
    const a = msg(first);
    const b = msg(second);
    const rows: DiffRow[] | undefined = a.bytes !== undefined && b.bytes !== undefined ? diffMessages(a.bytes, b.bytes) : undefined;
    const title = rows === undefined ? 'Message diff' : `Message diff  ${diffSummary(rows)}`;
    super(ctx, 'diff', () => title, (cols) => {
      if (rows === undefined) return [[{ text: 'The bytes of these messages cannot be read back (the capture file is gone or still loading).' }]];
      const heads = sideBySide([{ mark: '=', left: a.head, right: b.head }], cols);
      const body = sideBySide(rows, cols);
      return [
        ...heads.map((t): StyledLine => [{ text: t, inverse: true }]),
        ...body.map((t, i): StyledLine => [{ text: t, bold: rows[i]?.mark !== '=' }]),
      ];
    });
  }
}
