/**
 * Runs the real program in a pseudo-terminal (node-pty) and replays its output into a
 * headless xterm of the same size, so a test reads the screen as a user sees it, presses
 * keys, and waits for the screen to show something (polling with a deadline, no sleeps).
 */
import * as pty from 'node-pty';
import { Terminal } from '@xterm/headless';
import { sipscopeBin } from './paths';

export interface ScreenSession {
  /** Screen lines as text (right-trimmed). */
  lines(): string[];
  text(): string;
  /** Sends raw input: keys as the terminal sends them (`\r`, `\x1b`, `\x1b[18~`). */
  send(data: string): void;
  /**
   * Polls the screen until the predicate holds on a settled screen (output quiet for a
   * moment); throws with the screen when the deadline passes.
   */
  waitFor(predicate: (lines: string[]) => boolean, what: string, deadlineMs?: number): Promise<string[]>;
  /** Waits until the output has been quiet for `quietMs` (the screen settled). */
  settle(quietMs?: number, deadlineMs?: number): Promise<void>;
  resize(cols: number, rows: number): void;
  /** Resolves with the exit code once the program ended. */
  exited(deadlineMs?: number): Promise<number>;
  /** Everything the program wrote, raw. */
  output(): string;
  kill(): void;
  /** Sends a signal to the program. */
  signal(sig: 'SIGTERM' | 'SIGHUP' | 'SIGINT'): void;
}

export const KEYS = {
  enter: '\r',
  esc: '\x1b',
  up: '\x1b[A',
  down: '\x1b[B',
  f2: '\x1bOQ',
  f3: '\x1bOR',
  f6: '\x1b[17~',
  f7: '\x1b[18~',
  tab: '\t',
  space: ' ',
  backspace: '\x7f',
} as const;

export function spawnSipscope(args: string[], opts: { cols?: number; rows?: number; env?: NodeJS.ProcessEnv } = {}): ScreenSession {
  return spawnInTerminal(process.execPath, [sipscopeBin, ...args], opts);
}

/** Any program in a pseudo-terminal (e.g. `sh -c 'cat f.pcap | sipscope -I -'`). */
export function spawnInTerminal(file: string, args: string[], opts: { cols?: number; rows?: number; env?: NodeJS.ProcessEnv } = {}): ScreenSession {
  const cols = opts.cols ?? 120;
  const rows = opts.rows ?? 30;
  const term = new Terminal({ cols, rows, allowProposedApi: true });
  const child = pty.spawn(file, args, {
    name: opts.env?.['TERM'] ?? 'xterm-256color', // node-pty sets TERM from this
    cols,
    rows,
    cwd: process.cwd(),
    env: { ...process.env, TERM: 'xterm-256color', TZ: 'UTC', LANG: 'C.UTF-8', ...opts.env },
  });
  let raw = '';
  let lastData = Date.now();
  let exitCode: number | undefined;
  child.onData((d) => {
    raw += d;
    lastData = Date.now();
    term.write(d);
  });
  child.onExit((e) => {
    exitCode = e.exitCode;
  });
  const lines = (): string[] => {
    const b = term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < term.rows; i++) out.push((b.getLine(b.viewportY + i)?.translateToString(true) ?? '').trimEnd());
    return out;
  };
  const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
  // xterm parses writes asynchronously: flush pending data before reading.
  const flush = (): Promise<void> => new Promise((r) => term.write('', r));
  return {
    lines,
    text: () => lines().join('\n'),
    send: (data) => child.write(data),
    async waitFor(predicate, what, deadlineMs = 10_000) {
      const end = Date.now() + deadlineMs;
      for (;;) {
        await flush();
        if (predicate(lines())) {
          // A screen arrives in several reads: let the output go quiet, then check again.
          await this.settle(80, Math.max(0, end - Date.now()));
          const settled = lines();
          if (predicate(settled)) return settled;
        }
        const l = lines();
        if (Date.now() > end || exitCode !== undefined) {
          throw new Error(`screen never showed ${what}${exitCode !== undefined ? ` (exited ${exitCode})` : ''}; screen:\n${l.join('\n')}`);
        }
        await tick();
      }
    },
    async settle(quietMs = 150, deadlineMs = 5000) {
      const end = Date.now() + deadlineMs;
      while (Date.now() - lastData < quietMs && Date.now() < end) await tick();
      await flush();
    },
    resize(c, r) {
      child.resize(c, r);
      term.resize(c, r);
    },
    async exited(deadlineMs = 5000) {
      const end = Date.now() + deadlineMs;
      while (exitCode === undefined) {
        if (Date.now() > end) throw new Error('the program did not exit');
        await tick();
      }
      return exitCode;
    },
    output: () => raw,
    signal: (sig) => child.kill(sig),
    kill: () => {
      if (exitCode === undefined) child.kill();
    },
  };
}
