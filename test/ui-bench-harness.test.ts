/**
 * The UI benchmark's harness (test/bench/ui-bench.ts, run by hand on a 100,000-dialog
 * capture) run on the demo capture for a few keys, so that the harness cannot rot: every
 * key must reach the screen state it waits for. No timing is asserted beyond order: a key's
 * redraw cannot be seen before its first byte, nor before the key was sent.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { selectedIndex, summarize, type Screen } from './bench/ui-harness';
import { runScenario, SIPSCOPE, SNGREP, type ScenarioOptions } from './bench/ui-scenario';
import { formatTable } from './bench/ui-bench';
import { ownCaptures } from './helpers/paths';

const demo = path.join(ownCaptures, 'demo-udp.pcap');

const few: ScenarioOptions = {
  cols: 120,
  rows: 30,
  downs: 2,
  pageDowns: 1,
  pairs: 1,
  filterRounds: 1,
  filterText: '35',
  expression: 'srcnum 3544151510',
  loadDeadlineMs: 20_000,
  keyDeadlineMs: 10_000,
};

test('the selected row is the one list row drawn in its own style', (t) => {
  const screen = (styles: string[]): Screen => ({
    lines: ['header', '[ ]      7 INVITE a b', '[ ]      8 INVITE a b', '[*]      9 INVITE a b', 'footer'],
    styles,
  });
  t.is(selectedIndex(screen(['x', 'n', 'inv', 'n', 'x'])), 8);
  t.is(selectedIndex(screen(['x', 'n', 'n', 'n', 'x'])), undefined);
  t.deepEqual(summarize([5, 1, 4, 2, 3]), { median: 3, p95: 5, n: 5 });
});

test('sipscope on the demo capture: every key reaches its screen, the filters find what they should', async (t) => {
  const r = await runScenario(SIPSCOPE, demo, few);
  t.true(r.firstRowsMs > 0 && r.loadedMs >= r.firstRowsMs);
  const counts = Object.fromEntries([...r.keys].map(([k, v]) => [k, v.length]));
  t.like(counts, { Down: 2, PgDn: 1, 'Enter (flow)': 1, 'Esc (list)': 1, 'filter 1st keystroke': 1, 'filter keystroke': 1, 'filter Backspace': 2 });
  t.like(counts, { '/srcnum 3544151510 (last key)': 1, 'F7 expression last key': 1, 'F7 Enter (apply)': 1 });
  for (const [key, timings] of r.keys) {
    for (const k of timings) t.true(k.firstByteMs > 0 && k.shownMs >= k.firstByteMs && k.lastByteMs >= k.shownMs, `${key}: ${JSON.stringify(k)}`);
  }
  // Six dialogs all have "35" in their row (numbers 35441515x0); one has srcnum 3544151510.
  t.deepEqual(r.notes, ['display filter "35": 6 dialogs displayed', '/srcnum 3544151510: 1 dialogs displayed']);
  const table = formatTable([r]);
  t.regex(table, /^Down \| 2 \| [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+$/m);
  t.regex(table, /sipscope: first dialog rows [\d.]+ ms; loading complete [\d.]+ ms/);
});

const hasSngrep = ((): boolean => {
  try {
    execFileSync('sngrep', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(hasSngrep ? test : test.skip)('sngrep 1.6 in the same harness: cursor keys, flow and display filter are recognised', async (t) => {
  const r = await runScenario(SNGREP, demo, few);
  const counts = Object.fromEntries([...r.keys].map(([k, v]) => [k, v.length]));
  t.like(counts, { Down: 2, PgDn: 1, 'Enter (flow)': 1, 'Esc (list)': 1, 'filter keystroke': 1, 'filter Backspace': 2 });
  for (const [key, timings] of r.keys) {
    for (const k of timings) t.true(k.firstByteMs > 0 && k.shownMs >= k.firstByteMs, `${key}: ${JSON.stringify(k)}`);
  }
  t.deepEqual(r.notes, ['display filter "35": 6 rows on screen']);
  const table = formatTable([r]);
  t.regex(table, /^Esc \(list\) \| 1 \| /m);
});
