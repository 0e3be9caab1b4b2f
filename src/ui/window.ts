import type { Dialog } from '../store/dialog';
import type { MessageGroup } from '../capture/save';

export type SaveFormat = 'pcap' | 'pcap+rtp' | 'text';
import type { ByteLocation, DialogStore } from '../store/store';
import type { UtcOffset } from '../view/clock';
import { padWidth } from '../view/text-width';
import type { KeyAction, KeyBinding, KeyWindow } from './keymap';
import type { Overlay, Size, StyledLine } from './canvas';
import type { SipscopeConfig } from '../config/config';

/** Progress of reading the inputs, shown in the list header. */
export interface LoadState {
  files: string[];
  loading: boolean;
  bytesRead: number;
  bytesTotal: number;
  /** Problems to show (unreadable input and the like). */
  errors: string[];
  /** What was read so far, for the Offline header (absent: not shown). */
  traffic?: () => Traffic;
}

/** Packets read, SIP messages found, and messages lost to decoding (malformed, encrypted, gaps, limits). */
export interface Traffic {
  packets: number;
  sip: number;
  dropped: number;
}

/** What the windows may use: the store, byte read-back and the window stack. */
export interface UiContext {
  readonly store: DialogStore;
  readonly offset: UtcOffset;
  readonly ascii: boolean;
  readonly load: LoadState;
  /** Config file settings (columns, sort, aliases, keys, related headers); absent: defaults. */
  readonly config?: SipscopeConfig;
  /** Message bytes, or undefined when they cannot be read back (yet). */
  readBytes(loc: ByteLocation): Buffer | undefined;
  /** Whether a dialog passes the command line's match expression (-v inverts). */
  matches(d: Dialog): boolean;
  /** Writes dialogs to a pcap file; returns what was done, throws an Error saying why not. */
  savePcap(dialogs: readonly Dialog[], file: string): string;
  /**
   * Writes message groups (dialogs, or one message) as pcap or text; `what` names them in
   * the returned summary (`2 dialogs`, `1 message`). Throws an Error saying why not.
   */
  saveAs(groups: readonly MessageGroup[], format: SaveFormat, file: string, what: string): string;
  /** Correlation headers for the extended flow (X-Call-ID, X-CID unless configured). */
  readonly relatedHeaders?: readonly string[];
  open(w: WindowController): void;
  close(): void;
  quit(): void;
}

export interface Rendered {
  lines: StyledLine[];
  overlay?: Overlay;
}

/** One window: draws itself, acts on keymap actions, and may take typed text first. */
export interface WindowController {
  readonly window: KeyWindow;
  render(size: Size): Rendered;
  action(a: KeyAction): void;
  /** Typed text while editing: gets every key before the keymap; true when it used it. */
  text?(key: string, ch: string | undefined): boolean;
  /** The keymap entries this window answers to (for its footer and help). */
  bindings(): KeyBinding[];
  /** Work done ahead while no key is pressed and nothing changed, within `budgetMs`; true when there is more. */
  idle?(budgetMs: number): boolean;
}

/** A printable character typed (not a named key). */
export function typedChar(key: string, ch: string | undefined): string | undefined {
  if (ch === undefined || ch.length !== 1) return undefined;
  if (key === 'space') return ' ';
  const c = ch.charCodeAt(0);
  if (c < 0x20 || c === 0x7f) return undefined;
  return ch;
}

/** Pads or cuts a line's text to the width (terminal cells: wide characters count two). */
export function padTo(text: string, width: number): string {
  return padWidth(text, width);
}
