/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The thin typed adapter over neo-blessed: the only file that touches it (untyped, hence
 * the `any` kept inside). One full-screen box for the window, one box for overlays.
 */
import { TERMINAL_COLOURS, type Canvas, type Overlay, type Size, type StyledLine } from './canvas';

// neo-blessed ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const blessed: any = require('neo-blessed');

/**
 * neo-blessed counts a combining mark as one cell when it cuts a line to the screen width,
 * so a line with marks loses its last characters. Text is composed (NFC: `e` + acute is one
 * `é`) and marks left over are dropped: they take no cell, so the columns stay where the
 * views put them.
 */
function composed(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\u02ff]*$/.test(text)) return text;
  return text.normalize('NFC').replace(/[\p{Mn}\p{Me}]/gu, '');
}

function tagged(line: StyledLine, colour: boolean): string {
  let out = '';
  for (const s of line) {
    let t: string = blessed.escape(composed(s.text));
    if (s.bold === true) t = `{bold}${t}{/bold}`;
    if (colour && s.fg !== undefined && TERMINAL_COLOURS.includes(s.fg)) t = `{${s.fg}-fg}${t}{/${s.fg}-fg}`;
    if (s.inverse === true) t = `{inverse}${t}{/inverse}`;
    out += t;
  }
  return out;
}

export interface BlessedOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  title?: string;
  /** false: never colour (config file, --no-colour). Default: when the terminal has colours. */
  colour?: boolean;
}

/**
 * Whether to colour: not when asked not to (option, NO_COLOR as no-color.org says), and only
 * when the terminal's description says it has at least eight colours (so TERM=vt100 or dumb
 * get bold and inverse only).
 */
export function wantsColour(option: boolean | undefined, env: NodeJS.ProcessEnv, terminalColours: number): boolean {
  if (option === false) return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return terminalColours >= 8;
}

/**
 * Why this terminal cannot show the full-screen view, or undefined when it can. A terminal
 * without cursor addressing (TERM=dumb, or no TERM at all, as under some cron or CI shells)
 * would get a scrambled screen.
 */
export function terminalProblem(env: NodeJS.ProcessEnv): string | undefined {
  const term = env['TERM'] ?? '';
  if (term === '' || term === 'dumb' || term === 'unknown') {
    return `the terminal type ${term === '' ? '(TERM is not set)' : `'${term}'`} cannot show the full-screen view; set TERM (for example TERM=xterm-256color) or add -N to print the dialogs`;
  }
  return undefined;
}

export function createBlessedCanvas(options: BlessedOptions = {}): Canvas {
  const screen: any = blessed.screen({
    smartCSR: true,
    fullUnicode: true,
    warnings: false,
    autoPadding: false,
    input: options.input,
    output: options.output,
    title: options.title ?? 'sipscope',
    // Esc alone must arrive as Esc at once, not wait for a sequence.
    ignoreLocked: [],
  });
  const colour = wantsColour(options.colour, process.env, Number(screen.tput?.colors ?? 0));
  const main: any = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: '100%', tags: true, wrap: false });
  const overlay: any = blessed.box({
    parent: screen,
    top: 'center',
    left: 'center',
    width: 40,
    height: 10,
    tags: true,
    wrap: false,
    hidden: true,
    style: { inverse: false },
  });
  let destroyed = false;

  return {
    size(): Size {
      return { cols: Number(screen.width) || 80, rows: Number(screen.height) || 24 };
    },
    draw(lines: readonly StyledLine[], box?: Overlay): void {
      if (destroyed) return;
      main.setContent(lines.map((l) => tagged(l, colour)).join('\n'));
      if (box === undefined) {
        overlay.hide();
      } else {
        const { cols, rows } = this.size();
        overlay.width = Math.min(cols, box.width);
        overlay.height = Math.min(rows, box.lines.length);
        overlay.top = Math.max(0, Math.floor((rows - box.lines.length) / 2));
        overlay.left = Math.max(0, Math.floor((cols - box.width) / 2));
        overlay.setContent(box.lines.map((l) => tagged(l, colour)).join('\n'));
        overlay.show();
        overlay.setFront();
      }
      screen.render();
    },
    onKey(handler): void {
      screen.on('keypress', (ch: string | undefined, key: { full?: string; name?: string } | undefined) => {
        const name = key?.full ?? ch;
        if (name === undefined || name === 'return' || name === 'linefeed') return;
        handler(name, ch);
      });
    },
    onResize(handler): void {
      screen.on('resize', handler);
    },
    destroy(): void {
      if (destroyed) return;
      destroyed = true;
      try {
        screen.destroy();
      } catch {
        // The terminal may already be gone (SIGHUP): nothing left to restore.
      }
    },
  };
}
