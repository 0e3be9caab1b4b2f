import type { Dialog } from '../store/dialog';
import { dialogStats, statsLines } from '../view/dialog-stats';
import { safeText } from '../view/dialog-report';
import { plain } from './canvas';
import { TextWindow } from './text-window';
import type { UiContext } from './window';

/** Stats (`i` in the list): counts over the dialogs displayed when it was opened. */
export class StatsWindow extends TextWindow {
  constructor(ctx: UiContext, dialogs: readonly Dialog[], scope: string) {
    const stats = dialogStats(ctx.store, dialogs);
    const scopeText = safeText(scope);
    super(ctx, 'stats', () => 'Stats', (cols) => statsLines(stats, scopeText, cols).map(plain));
  }
}
