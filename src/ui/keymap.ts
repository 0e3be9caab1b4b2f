/**
 * Every key binding as data: the windows dispatch through this table, and the help window
 * and README's "## Keys" table are generated from it (a test checks that README agrees).
 * Key names are neo-blessed's `key.full` names: 'up', 'pagedown', 'enter', 'escape', 'f7',
 * 'space', 'S-a' (shift+a), 'C-c', or the character itself ('/', '?').
 */

export type KeyWindow = 'global' | 'list' | 'flow' | 'raw' | 'filter' | 'save' | 'help' | 'stats' | 'diff' | 'columns' | 'sort';

export type KeyAction =
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'home'
  | 'end'
  | 'help'
  | 'back'
  | 'quit'
  | 'open-flow'
  | 'open-raw'
  | 'open-dialog-raw'
  | 'select'
  | 'save'
  | 'display-filter'
  | 'filter-window'
  | 'autoscroll'
  | 'clear'
  | 'pause'
  | 'form-next'
  | 'form-prev'
  | 'form-toggle'
  | 'form-apply'
  | 'form-cancel'
  | 'extended-flow'
  | 'stats'
  | 'mark-diff'
  | 'scroll-left'
  | 'scroll-right'
  | 'toggle-preview'
  | 'columns-window'
  | 'sort-menu'
  | 'sort-flip'
  | 'column-toggle'
  | 'column-up'
  | 'column-down';

export interface KeyBinding {
  keys: readonly string[];
  action: KeyAction;
  description: string;
  window: KeyWindow;
}

export const KEYMAP: readonly KeyBinding[] = [
  { window: 'global', keys: ['up', 'k'], action: 'up', description: 'move up' },
  { window: 'global', keys: ['down', 'j'], action: 'down', description: 'move down' },
  { window: 'global', keys: ['pageup', 'C-b'], action: 'page-up', description: 'page up' },
  { window: 'global', keys: ['pagedown', 'C-f'], action: 'page-down', description: 'page down' },
  { window: 'global', keys: ['home'], action: 'home', description: 'first line' },
  { window: 'global', keys: ['end'], action: 'end', description: 'last line' },
  { window: 'global', keys: ['f1', 'h', '?'], action: 'help', description: 'help (this window)' },
  { window: 'global', keys: ['escape'], action: 'back', description: 'back to the previous window' },
  { window: 'list', keys: ['q'], action: 'quit', description: 'quit' },
  { window: 'list', keys: ['enter'], action: 'open-flow', description: 'call flow of the dialog, or one flow of all selected dialogs' },
  { window: 'list', keys: ['f4', 'x'], action: 'extended-flow', description: 'extended flow: the dialog and its related dialogs' },
  { window: 'list', keys: ['i'], action: 'stats', description: 'stats of the displayed dialogs' },
  { window: 'list', keys: ['f6', 'r'], action: 'open-dialog-raw', description: 'raw text of the dialog' },
  { window: 'list', keys: ['space'], action: 'select', description: 'select or unselect the dialog' },
  { window: 'list', keys: ['f2', 's'], action: 'save', description: 'save dialogs as pcap, text, or pcap with their RTP' },
  { window: 'list', keys: ['f3', '/'], action: 'display-filter', description: 'display filter: narrow the list as you type' },
  { window: 'list', keys: ['f7', 'f'], action: 'filter-window', description: 'filter window: From, To, addresses, payload, methods' },
  { window: 'list', keys: ['S-a'], action: 'autoscroll', description: 'autoscroll to new dialogs on or off' },
  { window: 'list', keys: ['f5'], action: 'clear', description: 'clear selection, filters and display filter' },
  { window: 'list', keys: ['p'], action: 'pause', description: 'pause or resume live capture (-d)' },
  { window: 'list', keys: ['f10', 't'], action: 'columns-window', description: 'columns window: choose, order and add list columns' },
  { window: 'list', keys: ['<', '>'], action: 'sort-menu', description: 'sort menu: choose the column the list is sorted by' },
  { window: 'list', keys: ['z'], action: 'sort-flip', description: 'flip the sort order (ascending / descending)' },
  { window: 'flow', keys: ['enter'], action: 'open-raw', description: 'raw text of the selected message' },
  { window: 'flow', keys: ['f6', 'r'], action: 'open-dialog-raw', description: 'raw text of the whole dialog' },
  { window: 'flow', keys: ['space'], action: 'mark-diff', description: 'mark a message; on a second one, show their differences' },
  { window: 'flow', keys: ['f4', 'x'], action: 'extended-flow', description: 'extended flow: add the related dialogs' },
  { window: 'flow', keys: ['f2', 's', 'S-s'], action: 'save', description: 'save the message or the dialogs as pcap, text, or pcap with RTP' },
  { window: 'flow', keys: ['left'], action: 'scroll-left', description: 'scroll the ladder left (when wider than the screen)' },
  { window: 'flow', keys: ['right'], action: 'scroll-right', description: 'scroll the ladder right' },
  { window: 'flow', keys: ['t'], action: 'toggle-preview', description: 'show or hide the message preview (shown when the whole ladder fits beside it)' },
  { window: 'flow', keys: ['q'], action: 'back', description: 'back to the list' },
  { window: 'raw', keys: ['q'], action: 'back', description: 'back' },
  { window: 'stats', keys: ['q'], action: 'back', description: 'back to the list' },
  { window: 'diff', keys: ['q'], action: 'back', description: 'back to the call flow' },
  { window: 'filter', keys: ['tab', 'down'], action: 'form-next', description: 'next field' },
  { window: 'filter', keys: ['S-tab', 'up'], action: 'form-prev', description: 'previous field' },
  { window: 'filter', keys: ['space'], action: 'form-toggle', description: 'tick or untick a method (typed text edits a field)' },
  { window: 'filter', keys: ['enter'], action: 'form-apply', description: 'apply and close' },
  { window: 'filter', keys: ['escape'], action: 'form-cancel', description: 'close (filters already applied stay)' },
  { window: 'save', keys: ['tab', 'down'], action: 'form-next', description: 'next field' },
  { window: 'save', keys: ['S-tab', 'up'], action: 'form-prev', description: 'previous field' },
  { window: 'save', keys: ['space'], action: 'form-toggle', description: 'choose the format (pcap, text, pcap+rtp) and what to save' },
  { window: 'save', keys: ['enter'], action: 'form-apply', description: 'save' },
  { window: 'save', keys: ['escape'], action: 'form-cancel', description: 'close without saving' },
  { window: 'columns', keys: ['space'], action: 'column-toggle', description: 'show or hide the column' },
  { window: 'columns', keys: ['+', 'S-up'], action: 'column-up', description: 'move the column left (up the list)' },
  { window: 'columns', keys: ['-', 'S-down'], action: 'column-down', description: 'move the column right (down the list)' },
  { window: 'columns', keys: ['enter'], action: 'form-apply', description: 'on the header field: add the typed header as a column; else close' },
  { window: 'sort', keys: ['enter', 'space'], action: 'form-apply', description: 'sort by the column' },
  { window: 'help', keys: ['escape', 'q', 'enter'], action: 'back', description: 'close help' },
];

/** The action of a key in a window: the window's own binding first, then the global one. */
export function actionFor(window: KeyWindow, key: string, keymap: readonly KeyBinding[] = KEYMAP): KeyAction | undefined {
  let global: KeyAction | undefined;
  for (const b of keymap) {
    if (!b.keys.includes(key)) continue;
    if (b.window === window) return b.action;
    if (b.window === 'global' && global === undefined) global = b.action;
  }
  // Forms and help take no global keys except what they bind themselves.
  if (window === 'filter' || window === 'save' || window === 'help') return undefined;
  return global;
}

/** Bindings of one window, in table order. */
export function bindingsOf(window: KeyWindow, keymap: readonly KeyBinding[] = KEYMAP): KeyBinding[] {
  return keymap.filter((b) => b.window === window);
}

const KEY_LABELS: Readonly<Record<string, string>> = {
  up: 'Up',
  down: 'Down',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  enter: 'Enter',
  escape: 'Esc',
  space: 'Space',
  tab: 'Tab',
  'S-tab': 'Shift+Tab',
  'C-b': 'Ctrl+B',
  'C-f': 'Ctrl+F',
  left: 'Left',
  right: 'Right',
  'S-up': 'Shift+Up',
  'S-down': 'Shift+Down',
};

/** How a key is written for people: 'F7', 'PgDn', 'A', 'Ctrl+B'. */
export function keyLabel(key: string): string {
  const named = KEY_LABELS[key];
  if (named !== undefined) return named;
  if (/^f\d+$/.test(key)) return key.toUpperCase();
  if (key.startsWith('S-') && key.length === 3) return key.slice(2).toUpperCase();
  return key;
}

export const WINDOW_TITLES: Readonly<Record<KeyWindow, string>> = {
  global: 'Everywhere',
  list: 'Dialog list',
  flow: 'Call flow',
  raw: 'Raw message',
  filter: 'Filter window (F7)',
  save: 'Save window (F2)',
  help: 'Help',
  stats: 'Stats (i)',
  diff: 'Message diff',
  columns: 'Columns window (F10)',
  sort: 'Sort menu (<)',
};

const WINDOW_ORDER: readonly KeyWindow[] = ['global', 'list', 'flow', 'raw', 'filter', 'save', 'columns', 'sort', 'stats', 'diff'];

/** The help window's text, generated from the keymap. */
export function helpLines(keymap: readonly KeyBinding[] = KEYMAP): string[] {
  const lines: string[] = ['sipscope keys', ''];
  for (const w of WINDOW_ORDER) {
    const bs = bindingsOf(w, keymap);
    if (bs.length === 0) continue;
    lines.push(WINDOW_TITLES[w]);
    for (const b of bs) lines.push(`  ${b.keys.map(keyLabel).join(' / ').padEnd(22)} ${b.description}`);
    lines.push('');
  }
  lines.push('Esc, q or Enter closes this window.');
  return lines;
}

/** README's key table (Markdown), generated from the keymap. */
export function keysMarkdown(keymap: readonly KeyBinding[] = KEYMAP): string {
  const lines = ['| window | keys | action |', '| --- | --- | --- |'];
  for (const w of WINDOW_ORDER) {
    for (const b of bindingsOf(w, keymap)) {
      const keys = b.keys.map((k) => '`' + keyLabel(k).replace('|', '\\|') + '`').join(' ');
      lines.push(`| ${WINDOW_TITLES[w]} | ${keys} | ${b.description} |`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Footer hint of a window: its main keys, e.g. `Enter Flow  F7 Filter`. */
export function footerHint(items: readonly [string, string][]): string {
  return items.map(([k, what]) => `${k} ${what}`).join('  ');
}
