import { KEYMAP, WINDOW_TITLES, type KeyAction, type KeyBinding, type KeyWindow } from '../ui/keymap';
import { columnById, DEFAULT_COLUMN_IDS, type ListColumn } from '../view/list-columns';
import { aliasKey } from '../view/aliases';
import { CALL_STATES } from '../store/dialog';
import { isColour, TERMINAL_COLOURS, type Colour } from '../ui/canvas';

/**
 * The config file (~/.sipscoperc, /etc/sipscoperc, or -f FILE): one directive a line, words
 * separated by blanks, `#` starts a comment. Pure: text in, settings and errors out.
 *
 *   columns index method from:20 to msgs src dst state hdr:User-Agent:24
 *   sort start desc
 *   alias 10.0.0.1 sbc
 *   alias 10.0.0.1:5060 sbc-sip
 *   color on | off, color busy yellow (a call state or findings, and a colour)
 *   related-headers X-Call-ID X-CID
 *   bind KEY ACTION [WINDOW]
 *   unbind KEY [WINDOW]
 */

export interface ColumnSetting {
  id: string;
  /** Fixed width in cells; absent: the column's own width (flexible ones share spare room). */
  width?: number;
}

export interface SipscopeConfig {
  /** Files read, in order. */
  files: string[];
  /** List columns; undefined keeps the default set. */
  columns?: ColumnSetting[];
  sort?: { id: string; descending: boolean };
  /** Address (`ip` or `ip:port`, lower-cased) → name shown. */
  aliases: Map<string, string>;
  /** Headers that relate dialogs to each other (F4 extended flow): default X-Call-ID, X-CID. */
  relatedHeaders: string[];
  /** The effective key bindings (KEYMAP with bind/unbind applied). */
  keymap: KeyBinding[];
  /** Cell colours in the list (config `color`): on or off, and a colour per call state and for findings. */
  colours: { enabled: boolean; map: Map<string, Colour> };
}

/** What `color NAME COLOUR` may name: the call states (as `busy`, `call-setup`) and `findings`. */
export const COLOUR_TARGETS: readonly string[] = [...CALL_STATES.map((st) => st.toLowerCase().replace(' ', '-')), 'findings'];

/** The default colours: answered green, failed red, busy and cancelled yellow, ringing cyan. */
export const DEFAULT_COLOURS: readonly (readonly [string, Colour])[] = [
  ['call-setup', 'cyan'],
  ['in-call', 'green'],
  ['cancelled', 'yellow'],
  ['rejected', 'red'],
  ['busy', 'yellow'],
  ['diverted', 'magenta'],
  ['completed', 'green'],
  ['findings', 'red'],
];

/** The list's cell colours from the config (undefined with `color off`). */
export function cellColour(config: SipscopeConfig): ((columnId: string, cell: string) => string | undefined) | undefined {
  if (!config.colours.enabled) return undefined;
  const map = config.colours.map;
  return (id, cell) => (id === 'state' ? map.get(cell.toLowerCase().replace(' ', '-')) : id === 'findings' ? map.get('findings') : undefined);
}

export const DEFAULT_RELATED_HEADERS: readonly string[] = ['X-Call-ID', 'X-CID'];

export function defaultConfig(): SipscopeConfig {
  return {
    files: [],
    aliases: new Map(),
    relatedHeaders: [...DEFAULT_RELATED_HEADERS],
    keymap: KEYMAP.map((b) => ({ ...b, keys: [...b.keys] })),
    colours: { enabled: true, map: new Map(DEFAULT_COLOURS) },
  };
}

const NAMED_KEYS = new Set([
  'up', 'down', 'left', 'right', 'pageup', 'pagedown', 'home', 'end', 'enter', 'escape', 'space', 'tab', 'backspace', 'delete', 'insert',
]);

/** Whether a key name is one neo-blessed reports: `x`, `<`, `f7`, `pagedown`, `C-x`, `S-x`, `S-up`, `M-x`. */
export function isKeyName(key: string): boolean {
  if (/^[\x21-\x7e]$/.test(key)) return true;
  if (/^f([1-9]|1[0-2])$/.test(key)) return true;
  if (NAMED_KEYS.has(key)) return true;
  if (/^C-[a-z]$/.test(key) || /^M-[a-z0-9]$/.test(key)) return true;
  if (/^S-([a-z]|tab|up|down|left|right|pageup|pagedown|home|end|f([1-9]|1[0-2]))$/.test(key)) return true;
  return false;
}

/** `F10` as the terminal reports it (`f10`); other names as written. */
function keyName(word: string): string {
  return /^F\d+$/.test(word) ? word.toLowerCase() : word;
}

const WINDOWS = Object.keys(WINDOW_TITLES) as KeyWindow[];
const ACTIONS = [...new Set(KEYMAP.map((b) => b.action))];

/** `bind KEY ACTION [WINDOW]`: KEY does ACTION in WINDOW, or in every window that has ACTION. */
function bind(keymap: KeyBinding[], key: string, action: KeyAction, window: KeyWindow | undefined): string | undefined {
  const targets = keymap.filter((b) => b.action === action && (window === undefined || b.window === window));
  if (targets.length === 0) {
    const where = [...new Set(keymap.filter((b) => b.action === action).map((b) => b.window))].join(', ');
    return `action '${action}' is not available in the ${window} window (it is in: ${where})`;
  }
  for (const t of targets) {
    // A key does one thing per window: take it from whatever it did there before.
    for (const b of keymap) if (b.window === t.window && b !== t) b.keys = b.keys.filter((k) => k !== key);
    if (!t.keys.includes(key)) t.keys = [...t.keys, key];
  }
  return undefined;
}

function unbind(keymap: KeyBinding[], key: string, window: KeyWindow | undefined): string | undefined {
  let found = false;
  for (const b of keymap) {
    if ((window === undefined || b.window === window) && b.keys.includes(key)) {
      b.keys = b.keys.filter((k) => k !== key);
      found = true;
    }
  }
  return found ? undefined : `key '${key}' is not bound${window === undefined ? '' : ` in the ${window} window`}`;
}

function parseWindow(word: string | undefined): { window?: KeyWindow; error?: string } {
  if (word === undefined) return {};
  return WINDOWS.includes(word as KeyWindow) ? { window: word as KeyWindow } : { error: `unknown window '${word}' (windows: ${WINDOWS.join(' ')})` };
}

/** One directive; returns an error message, or undefined when applied. */
function applyLine(c: SipscopeConfig, words: string[]): string | undefined {
  const [directive, ...args] = words as [string, ...string[]];
  switch (directive.toLowerCase()) {
    case 'columns': {
      if (args.length === 0) return `columns needs at least one column (e.g. columns ${DEFAULT_COLUMN_IDS.slice(0, 4).join(' ')})`;
      const out: ColumnSetting[] = [];
      for (const a of args) {
        const m = /^(.*?)(?::(\d+))?$/.exec(a)!;
        const width = m[2] === undefined ? undefined : Number(m[2]);
        const col = columnById(m[1]!, width);
        if (typeof col === 'string') return col;
        if (out.some((o) => o.id === col.id)) return `column '${col.id}' is listed twice`;
        out.push(width === undefined ? { id: col.id } : { id: col.id, width });
      }
      c.columns = out;
      return undefined;
    }
    case 'sort': {
      if (args.length < 1 || args.length > 2) return 'sort takes a column and optionally asc or desc (e.g. sort start desc)';
      const col = columnById(args[0]!);
      if (typeof col === 'string') return col;
      if (col.sortable === false) return `the list cannot be sorted by ${col.id} (it is computed only for the rows on screen)`;
      const dir = (args[1] ?? 'asc').toLowerCase();
      if (dir !== 'asc' && dir !== 'desc') return `sort direction must be asc or desc, not '${args[1]}'`;
      c.sort = { id: col.id, descending: dir === 'desc' };
      return undefined;
    }
    case 'alias': {
      if (args.length !== 2) return 'alias takes an address (ip or ip:port) and a name (e.g. alias 10.0.0.1 sbc)';
      const [addr, name] = args as [string, string];
      if (!/^[0-9a-f:.[\]]+$/i.test(addr) || !/[.:]/.test(addr)) return `'${addr}' is not an IP address or ip:port`;
      c.aliases.set(aliasKey(addr), name);
      return undefined;
    }
    case 'color':
    case 'colour': {
      const [a, b] = args;
      if (args.length === 1 && (a === 'on' || a === 'off')) {
        c.colours.enabled = a === 'on';
        return undefined;
      }
      if (args.length !== 2) return 'color takes on, off, or a state (or findings) and a colour (e.g. color busy yellow)';
      if (!COLOUR_TARGETS.includes(a!.toLowerCase())) return `cannot colour '${a}' (colours apply to: ${COLOUR_TARGETS.join(' ')})`;
      const colour = b!.toLowerCase();
      if (colour === 'none') c.colours.map.delete(a!.toLowerCase());
      else if (isColour(colour)) c.colours.map.set(a!.toLowerCase(), colour);
      else return `unknown colour '${b}' (colours: ${TERMINAL_COLOURS.join(' ')} none)`;
      return undefined;
    }
    case 'related-headers': {
      if (args.length === 0) return 'related-headers needs at least one header name (e.g. related-headers X-Call-ID X-CID)';
      for (const h of args) if (typeof columnById(`hdr:${h}`) === 'string') return `'${h}' is not a header name`;
      c.relatedHeaders = args;
      return undefined;
    }
    case 'bind': {
      if (args.length < 2 || args.length > 3) return 'bind takes a key, an action and optionally a window (e.g. bind x open-flow list)';
      const key = keyName(args[0]!);
      const action = args[1]!;
      if (!isKeyName(key)) return `unknown key '${args[0]}' (keys: a character, f1-f12, up, pagedown, enter, escape, space, tab, C-x, S-x, M-x)`;
      if (!ACTIONS.includes(action as KeyAction)) return `unknown action '${action}' (actions: ${ACTIONS.join(' ')})`;
      const w = parseWindow(args[2]);
      return w.error ?? bind(c.keymap, key, action as KeyAction, w.window);
    }
    case 'unbind': {
      if (args.length < 1 || args.length > 2) return 'unbind takes a key and optionally a window (e.g. unbind q list)';
      const key = keyName(args[0]!);
      if (!isKeyName(key)) return `unknown key '${args[0]}'`;
      const w = parseWindow(args[1]);
      return w.error ?? unbind(c.keymap, key, w.window);
    }
    default:
      return `unknown directive '${directive}' (directives: columns sort alias color related-headers bind unbind)`;
  }
}

/**
 * Applies a config file's text over `config` (later files override earlier ones). Errors
 * are `FILE:LINE: message`; the lines without errors are still applied.
 */
export function parseConfig(text: string, file: string, config: SipscopeConfig = defaultConfig()): { config: SipscopeConfig; errors: string[] } {
  const errors: string[] = [];
  config.files.push(file);
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    const err = applyLine(config, line.split(/\s+/));
    if (err !== undefined) errors.push(`${file}:${i + 1}: ${err}`);
  });
  return { config, errors };
}

/** The list columns a config asks for (the defaults when it names none). */
export function configColumns(config: SipscopeConfig): ListColumn[] {
  const settings: ColumnSetting[] = config.columns ?? DEFAULT_COLUMN_IDS.map((id) => ({ id }));
  return settings.map((s) => columnById(s.id, s.width) as ListColumn);
}

/** The effective config in the file's own format (-D). */
export function formatConfig(config: SipscopeConfig): string {
  const lines = [`# sipscope config; files read: ${config.files.length === 0 ? 'none' : config.files.join(', ')}`];
  const cols = config.columns ?? DEFAULT_COLUMN_IDS.map((id) => ({ id }) as ColumnSetting);
  lines.push(`columns ${cols.map((c) => (c.width === undefined ? c.id : `${c.id}:${c.width}`)).join(' ')}`);
  if (config.sort !== undefined) lines.push(`sort ${config.sort.id} ${config.sort.descending ? 'desc' : 'asc'}`);
  for (const [addr, name] of config.aliases) lines.push(`alias ${addr} ${name}`);
  lines.push(`color ${config.colours.enabled ? 'on' : 'off'}`);
  for (const target of COLOUR_TARGETS) lines.push(`color ${target} ${config.colours.map.get(target) ?? 'none'}`);
  lines.push(`related-headers ${config.relatedHeaders.join(' ')}`);
  // Key bindings that differ from the defaults: unbinds first, since a bind takes its key
  // from the window's other bindings anyway.
  const binds: string[] = [];
  config.keymap.forEach((b, i) => {
    const base = KEYMAP[i]!;
    for (const k of base.keys) if (!b.keys.includes(k)) lines.push(`unbind ${k} ${b.window}`);
    for (const k of b.keys) if (!base.keys.includes(k)) binds.push(`bind ${k} ${b.action} ${b.window}`);
  });
  lines.push(...binds);
  return lines.join('\n') + '\n';
}
