import type { Dialog } from '../store/dialog';
import type { DialogStore } from '../store/store';

/**
 * Counts over a set of dialogs (the stats window, `i`): dialogs by initial method and by
 * call state, messages by request method, by response class (1xx..6xx) and by status code.
 */

export interface DialogStats {
  dialogs: number;
  messages: number;
  retransmissions: number;
  requests: number;
  responses: number;
  /** Dialogs by their initial method. */
  dialogMethods: Map<string, number>;
  /** INVITE dialogs by call state. */
  states: Map<string, number>;
  /** Requests by method. */
  methods: Map<string, number>;
  /** Responses by class: '1xx' .. '6xx'. */
  classes: Map<string, number>;
  /** Responses by status code. */
  codes: Map<number, number>;
}

function bump<K>(m: Map<K, number>, k: K): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

export function dialogStats(store: DialogStore, dialogs: Iterable<Dialog>): DialogStats {
  const s: DialogStats = {
    dialogs: 0,
    messages: 0,
    retransmissions: 0,
    requests: 0,
    responses: 0,
    dialogMethods: new Map(),
    states: new Map(),
    methods: new Map(),
    classes: new Map(),
    codes: new Map(),
  };
  for (const d of dialogs) {
    s.dialogs++;
    s.messages += d.msgs.length;
    s.retransmissions += d.retransmissions;
    bump(s.dialogMethods, d.method);
    if (d.isInvite && d.state !== '') bump(s.states, d.state);
    for (const row of d.msgs) {
      if (store.msgIsRequest(row)) {
        s.requests++;
        bump(s.methods, store.msgMethod(row));
      } else {
        s.responses++;
        const code = store.msgStatus(row);
        bump(s.classes, `${Math.floor(code / 100)}xx`);
        bump(s.codes, code);
      }
    }
  }
  return s;
}

/** Map entries by count (largest first), then by key. */
function ranked<K extends string | number>(m: Map<K, number>): [K, number][] {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** `  INVITE        5` rows of a section, keys given as they should read. */
function section(title: string, rows: [string, number][], keyWidth: number): string[] {
  if (rows.length === 0) return [];
  const w = Math.max(keyWidth, ...rows.map(([k]) => [...k].length));
  return [title, ...rows.map(([k, n]) => `  ${k.padEnd(w)} ${String(n).padStart(7)}`), ''];
}

/** Gap between the two columns of the wide layout. */
const GAP = 6;

/**
 * The stats as text lines; `scope` says which dialogs were counted (filter shown). When
 * `width` fits them, dialogs and requests go on the left and responses on the right, so the
 * whole page fits a 24-line terminal more often.
 */
export function statsLines(s: DialogStats, scope: string, width = 0): string[] {
  const head = [
    `Counted: ${scope}`,
    '',
    `Dialogs: ${s.dialogs}   Messages: ${s.messages} (${s.requests} requests, ${s.responses} responses, ${s.retransmissions} retransmissions)`,
    '',
  ];
  const dialogMethods = ranked(s.dialogMethods);
  const states = ranked(s.states);
  const methods = ranked(s.methods);
  // Counts of one column line up: keys padded to the longest key of the column.
  const keyWidth = Math.max(8, ...[...dialogMethods, ...states, ...methods].map(([k]) => [...k].length));
  const left = [
    ...section('Dialogs by method', dialogMethods, keyWidth),
    ...section('Call state (INVITE dialogs)', states, keyWidth),
    ...section('Requests by method', methods, keyWidth),
  ];
  const classes = [...s.classes].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const codes = [...s.codes].sort((a, b) => a[0] - b[0]).map(([c, n]): [string, number] => [String(c), n]);
  const right = [...section('Responses by class', classes, 8), ...section('Responses by code', codes, 8)];
  const leftWidth = left.reduce((n, l) => Math.max(n, [...l].length), 0);
  const rightWidth = right.reduce((n, l) => Math.max(n, [...l].length), 0);
  if (width < leftWidth + GAP + rightWidth) return [...head, ...left, ...right];
  const rows = Math.max(left.length, right.length);
  const out = [...head];
  for (let i = 0; i < rows; i++) out.push(`${(left[i] ?? '').padEnd(leftWidth + GAP)}${right[i] ?? ''}`.trimEnd());
  return out;
}
