import type { Dialog } from '../store/dialog';
import type { ByteLocation, DialogStore } from '../store/store';
import type { UtcOffset } from '../view/clock';
import { actionFor, KEYMAP } from './keymap';
import type { SipscopeConfig } from '../config/config';
import type { Canvas } from './canvas';
import { ListWindow, liveHeaderOf } from './list-window';
import { HelpWindow } from './help-window';
import type { LoadState, SaveFormat, UiContext, WindowController } from './window';
import type { MessageGroup } from '../capture/save';

export interface AppOptions {
  store: DialogStore;
  canvas: Canvas;
  load: LoadState;
  offset: UtcOffset;
  ascii: boolean;
  readBytes(loc: ByteLocation): Buffer | undefined;
  matches(d: Dialog): boolean;
  savePcap(dialogs: readonly Dialog[], file: string): string;
  saveAs(groups: readonly MessageGroup[], format: SaveFormat, file: string, what: string): string;
  /** Correlation headers for the extended flow (default X-Call-ID, X-CID). */
  relatedHeaders?: readonly string[];
  /** Called once when the user quits. */
  onQuit(): void;
  /** `p` in the list: pause or resume live capture (absent when reading files). */
  onPause?(): void;
  /** Config file settings (key bindings, list columns, aliases...). */
  config?: SipscopeConfig;
  /** Redraw period in milliseconds (the store is polled, never drawn per packet). */
  tickMs?: number;
}

/** Longest slice of work ahead while idle (a key pressed meanwhile waits at most this long). */
const IDLE_SLICE_MS = 10;

/**
 * The event loop's UI side: a stack of windows, keys dispatched through the keymap to the
 * top window, and a timer that redraws only when the store or the load progress changed.
 */
export class App {
  private readonly stack: WindowController[] = [];
  private readonly ctx: UiContext;
  private timer: NodeJS.Timeout | undefined;
  private drawn = '';
  private quitting = false;
  private idling = false;

  constructor(private readonly o: AppOptions) {
    this.ctx = {
      store: o.store,
      offset: o.offset,
      ascii: o.ascii,
      load: o.load,
      config: o.config,
      readBytes: (loc) => o.readBytes(loc),
      matches: (d) => o.matches(d),
      savePcap: (dialogs, file) => o.savePcap(dialogs, file),
      saveAs: (groups, format, file, what) => o.saveAs(groups, format, file, what),
      relatedHeaders: o.relatedHeaders,
      open: (w) => {
        this.stack.push(w);
      },
      close: () => {
        if (this.stack.length > 1) this.stack.pop();
      },
      quit: () => this.quit(),
    };
    this.stack.push(new ListWindow(this.ctx));
  }

  start(): void {
    this.o.canvas.onKey((key, ch) => this.key(key, ch));
    this.o.canvas.onResize(() => this.render());
    this.render();
    this.timer = setInterval(() => {
      if (this.stamp() !== this.drawn) this.render();
      else this.runIdle();
    }, this.o.tickMs ?? 150);
  }

  /**
   * Lets the list window work ahead in short slices, one per turn of the event loop (keys
   * are read between slices), until it has nothing left or something needs drawing.
   */
  private runIdle(): void {
    if (this.idling) return;
    this.idling = true;
    const slice = (): void => {
      const more = !this.quitting && this.stamp() === this.drawn && this.stack[0]?.idle?.(IDLE_SLICE_MS) === true;
      if (more) setImmediate(slice);
      else this.idling = false;
    };
    setImmediate(slice);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private stamp(): string {
    const l = this.o.load;
    const live = liveHeaderOf(l);
    const liveStamp = live === undefined ? '' : `/${live.packets}/${live.drops ?? ''}/${live.paused ? 1 : 0}/${live.state ?? ''}`;
    return `${this.o.store.version}/${l.loading ? 1 : 0}/${l.bytesRead}/${l.errors.length}${liveStamp}`;
  }

  private get top(): WindowController {
    return this.stack[this.stack.length - 1]!;
  }

  key(key: string, ch: string | undefined): void {
    if (this.quitting) return;
    if (key === 'C-c') {
      this.quit();
      return;
    }
    const w = this.top;
    if (w.text?.(key, ch) !== true) {
      const keymap = this.o.config?.keymap ?? KEYMAP;
      const action = actionFor(w.window, key, keymap);
      if (action === 'help') this.stack.push(new HelpWindow(() => this.ctx.close(), keymap));
      else if (action === 'back' && w.window !== 'list' && w.window !== 'help') this.ctx.close();
      else if (action === 'pause') this.o.onPause?.();
      else if (action !== undefined) w.action(action);
    }
    if (!this.quitting) this.render();
  }

  render(): void {
    if (this.quitting) return;
    this.drawn = this.stamp();
    const r = this.top.render(this.o.canvas.size());
    this.o.canvas.draw(r.lines, r.overlay);
  }

  private quit(): void {
    if (this.quitting) return;
    this.quitting = true;
    this.stop();
    this.o.onQuit();
  }
}
