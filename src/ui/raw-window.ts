import type { Dialog } from '../store/dialog';
import { rawLines } from '../view/raw-view';
import { safeText } from '../view/dialog-report';
import type { StyledLine } from './canvas';
import { styleSipLines } from './sip-colours';
import { TextWindow } from './text-window';
import type { UiContext } from './window';

/** Plain text of messages (syntax-coloured where the terminal allows), scrollable, for reading and copying. */
export class RawWindow extends TextWindow {
  private constructor(ctx: UiContext, rows: () => readonly number[], title: string) {
    let styled: StyledLine[] | undefined;
    const content = (): StyledLine[] => {
      if (styled === undefined) {
        const s = ctx.store;
        const text = rawLines(
          rows().map((r) => ({ sec: s.msgSec(r), nsec: s.msgNsec(r), src: s.msgSrc(r), dst: s.msgDst(r), bytes: ctx.readBytes(s.msgBytes(r)) })),
          ctx.offset,
        );
        styled = styleSipLines(text);
      }
      return styled;
    };
    super(ctx, 'raw', () => title, content);
  }

  static ofRows(ctx: UiContext, rows: readonly number[], title: string): RawWindow {
    return new RawWindow(ctx, () => rows, title);
  }

  static ofDialog(ctx: UiContext, d: Dialog): RawWindow {
    return new RawWindow(ctx, () => d.msgs, `Raw dialog  Call-ID: ${safeText(d.callId)}`);
  }
}
