/**
 * Key-to-screen latency of a full-screen terminal program, as a user sees it: the program
 * runs in a node-pty pseudo-terminal, its output is replayed into a headless xterm, and each
 * key press is timed from the write of the key to
 *  - first byte: the first output chunk that arrives after the key;
 *  - shown: the arrival of the chunk after which the screen shows the expected change (a
 *    content check on the xterm buffer after every chunk, no quiet-period guess);
 *  - last byte: the last chunk of the redraw (output is then watched until it has been quiet
 *    for `quietMs`; that wait is not part of the figure).
 * Used by ui-bench.ts (sipscope and sngrep on a large capture) and by a test on the demo
 * capture, so it works for any program drawn with curses-like output.
 */
import * as pty from 'node-pty';
import { Terminal } from '@xterm/headless';

/** The screen as text, with the style of each row (inverse and background of its 9th cell). */
export interface Screen {
  lines: string[];
  styles: string[];
}

export interface KeyTiming {
  firstByteMs: number;
  shownMs: number;
  lastByteMs: number;
}

export interface SpawnOptions {
  cols: number;
  rows: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called once the program is gone (removing its temporary files). */
  afterKill?: () => void;
}

/** Output quiet this long after the expected screen: the redraw is over. */
const QUIET_MS = 120;

export class PtyScreen {
  readonly started: number;
  private readonly term: Terminal;
  private readonly child: pty.IPty;
  /** Arrival times of chunks not yet parsed by the terminal. */
  private lastArrival = 0;
  private exitCode: number | undefined;
  /** Arrival of the first chunk since `firstSince` (set by press). */
  private firstSince = Infinity;
  private firstArrival: number | undefined;
  /** Called after each chunk has been parsed, with its arrival time. */
  private watcher: ((arrival: number) => void) | undefined;

  constructor(file: string, args: string[], private readonly o: SpawnOptions) {
    this.term = new Terminal({ cols: o.cols, rows: o.rows, allowProposedApi: true, scrollback: 0 });
    this.started = performance.now();
    this.child = pty.spawn(file, args, {
      name: 'xterm-256color',
      cols: o.cols,
      rows: o.rows,
      cwd: o.cwd ?? process.cwd(),
      env: { ...process.env, TERM: 'xterm-256color', TZ: 'UTC', LANG: 'C.UTF-8', ...o.env },
    });
    this.child.onData((d) => {
      const arrival = performance.now();
      this.lastArrival = arrival;
      if (this.firstArrival === undefined && arrival >= this.firstSince) this.firstArrival = arrival;
      this.term.write(d, () => this.watcher?.(arrival));
    });
    this.child.onExit((e) => {
      this.exitCode = e.exitCode;
      this.watcher?.(performance.now());
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.exitCode !== undefined;
  }

  screen(): Screen {
    const b = this.term.buffer.active;
    const lines: string[] = [];
    const styles: string[] = [];
    const cell = b.getNullCell();
    for (let y = 0; y < this.term.rows; y++) {
      const line = b.getLine(b.viewportY + y);
      lines.push((line?.translateToString(true) ?? '').trimEnd());
      const c = line?.getCell(8, cell);
      styles.push(c === undefined ? '' : `${c.isInverse()}/${c.getBgColorMode()}/${c.getBgColor()}`);
    }
    return { lines, styles };
  }

  /**
   * Resolves with the time (ms since `since`) of the chunk after which `shown` holds, or
   * throws with the screen after `deadlineMs`. Checks the screen as it is first.
   */
  waitFor(shown: (s: Screen) => boolean, what: string, since = this.started, deadlineMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer);
        this.watcher = undefined;
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`screen never showed ${what} in ${deadlineMs} ms; screen:\n${this.screen().lines.join('\n')}`));
      }, deadlineMs);
      const check = (arrival: number): void => {
        if (shown(this.screen())) {
          stop();
          resolve(arrival - since);
        } else if (this.exitCode !== undefined) {
          stop();
          reject(new Error(`program exited (${this.exitCode}) before the screen showed ${what}`));
        }
      };
      this.watcher = check;
      // Output already parsed may show it: flush the terminal's queue, then look.
      this.term.write('', () => check(this.lastArrival));
    });
  }

  /** Waits until no output came for `quietMs`; resolves with the last chunk's arrival time. */
  async quiet(quietMs = QUIET_MS, deadlineMs = 30_000): Promise<number> {
    const end = performance.now() + deadlineMs;
    while (performance.now() - this.lastArrival < quietMs && performance.now() < end) {
      await new Promise((r) => setTimeout(r, Math.max(5, quietMs / 4)));
    }
    await new Promise<void>((r) => this.term.write('', r));
    return this.lastArrival;
  }

  /**
   * Presses a key (a name such as 'down', 'pagedown', 'enter', or text) and times the redraw until `shown` holds on the
   * screen. Waits for quiet output first, so the previous key's redraw is not counted.
   */
  async press(keyName: string, shown: (s: Screen) => boolean, what: string, deadlineMs = 30_000): Promise<KeyTiming> {
    await this.quiet();
    const before = this.lastArrival;
    const t0 = performance.now();
    this.firstSince = t0;
    this.firstArrival = undefined;
    this.child.write(this.keySequence(keyName));
    try {
      const shownMs = await this.waitFor(shown, what, t0, deadlineMs);
      const last = await this.quiet();
      return {
        firstByteMs: (this.firstArrival ?? t0) - t0,
        shownMs,
        lastByteMs: (last > before ? last : t0) - t0,
      };
    } finally {
      this.firstSince = Infinity;
    }
  }

  /**
   * A named key as the terminal would send it now: cursor keys, Home and End follow the
   * application-cursor mode the program set (curses programs such as sngrep only know those).
   */
  keySequence(key: string): string {
    const app = this.term.modes.applicationCursorKeysMode;
    const cursor: Record<string, string> = { up: 'A', down: 'B', right: 'C', left: 'D', home: 'H', end: 'F' };
    const c = cursor[key];
    if (c !== undefined) return `${app ? '\x1bO' : '\x1b['}${c}`;
    const fixed: Record<string, string> = {
      pageup: '\x1b[5~',
      pagedown: '\x1b[6~',
      enter: '\r',
      escape: '\x1b',
      tab: '\t',
      backspace: '\x7f',
      f3: '\x1bOR',
      f7: '\x1b[18~',
    };
    return fixed[key] ?? key;
  }

  /** Sends input without timing it (setting up a state). */
  send(data: string): void {
    this.child.write(data);
  }

  /** SIGKILL (sngrep ignores SIGTERM) and waits for the exit. */
  async kill(): Promise<void> {
    if (this.exitCode === undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const end = performance.now() + 5000;
    while (this.exitCode === undefined && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
    this.term.dispose();
    this.o.afterKill?.();
  }
}

/** A list row: `[ ] 123 ...` as both sipscope and sngrep draw it (sngrep after its scrollbar). */
const LIST_ROW = /\[[ *x]\]\s+(\d+)\s/;

/**
 * The index of the dialog on the selected row: the one list row drawn in a style none of the
 * other list rows has (sipscope: inverse video; sngrep: a background colour).
 */
export function selectedIndex(s: Screen): number | undefined {
  const rows: { idx: number; style: string }[] = [];
  s.lines.forEach((l, y) => {
    const m = LIST_ROW.exec(l);
    if (m !== null) rows.push({ idx: Number(m[1]), style: s.styles[y] ?? '' });
  });
  const count = new Map<string, number>();
  for (const r of rows) count.set(r.style, (count.get(r.style) ?? 0) + 1);
  const unique = rows.filter((r) => count.get(r.style) === 1);
  if (unique.length === 1) return unique[0]!.idx;
  // A single row on screen (a narrow filter): it is the selected one.
  return rows.length === 1 ? rows[0]!.idx : undefined;
}

/** Whether the screen shows rows of the dialog list. */
export function showsListRows(s: Screen): boolean {
  return s.lines.some((l) => LIST_ROW.test(l));
}

/** Median and 95th percentile (nearest rank) of a sample. */
export function summarize(xs: readonly number[]): { median: number; p95: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN;
  return { median: rank(0.5), p95: rank(0.95), n: s.length };
}
