/**
 * What the windows draw: lines of styled segments. Windows compose whole screens as data
 * (testable without a terminal); the neo-blessed adapter only paints them.
 */

/** The eight-colour palette every colour terminal has; dropped where colours are not available. */
export type Colour = 'black' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'white';

export interface Segment {
  text: string;
  inverse?: boolean;
  bold?: boolean;
  /** Foreground colour; the canvas ignores it on terminals without colours, with NO_COLOR or `color off`. */
  fg?: Colour;
}

/** Colour names a Segment may carry (the config file's `color STATE COLOUR` checks against them). */
export const TERMINAL_COLOURS: readonly Colour[] = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

export function isColour(name: string | undefined): name is Colour {
  return name !== undefined && (TERMINAL_COLOURS as readonly string[]).includes(name);
}

export type StyledLine = Segment[];

export interface Overlay {
  /** Lines of the box, drawn centred over the window. */
  lines: StyledLine[];
  width: number;
}

export interface Size {
  cols: number;
  rows: number;
}

/** The terminal, as the UI sees it. */
export interface Canvas {
  size(): Size;
  draw(lines: readonly StyledLine[], overlay?: Overlay): void;
  /** Key presses: neo-blessed key names (see keymap.ts) and the character typed, if any. */
  onKey(handler: (key: string, ch: string | undefined) => void): void;
  onResize(handler: () => void): void;
  /** Leaves the alternate screen and gives the terminal back as it was. Safe to call twice. */
  destroy(): void;
}

export function plain(text: string): StyledLine {
  return [{ text }];
}

export function inverse(text: string): StyledLine {
  return [{ text, inverse: true }];
}

export function bold(text: string): StyledLine {
  return [{ text, bold: true }];
}

/** The text of a line, styles dropped. */
export function lineText(line: StyledLine): string {
  return line.map((s) => s.text).join('');
}
