/**
 * List sort benchmark (run by hand):
 *
 *   npx tsc -p tsconfig.json && node dist/test/bench/list-sort-bench.js [CAPTURE]
 *
 * Loads a SIPp load capture (the argument, or /work/bench/load-udp-100000.pcap made by
 * ../shared/bench/make-load-capture.sh) into the real list window (no terminal), then times
 * what a user does: the first build of the displayed list, sorting by several columns, the
 * flip (z), a redraw with nothing changed, a render of one 80x24 screen, and a live tick
 * (100 new dialogs merged into the sorted list, against sorting it all again; best of 10). Best of 3.
 */
import * as fs from 'node:fs';
import { Engine } from '../../src/engine/engine';
import { readInputs } from '../../src/capture/inputs';
import { ByteReader } from '../../src/capture/byte-reader';
import { ListWindow } from '../../src/ui/list-window';
import type { UiContext } from '../../src/ui/window';
import { UTC } from '../../src/view/clock';
import { columnById, type ListColumn } from '../../src/view/list-columns';
import { mergeSorted, sortDialogs } from '../../src/view/list-sort';

async function main(): Promise<void> {
  const file = process.argv[2] ?? '/work/bench/load-udp-100000.pcap';
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: make one with ../shared/bench/make-load-capture.sh`);
  const engine = new Engine();
  let t0 = performance.now();
  const reports = await readInputs([{ name: file }], engine, {});
  const store = engine.store;
  console.log(`${file}: ${store.dialogCount} dialogs loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const bytes = new ByteReader(store);
  for (const r of reports) if (r.readBackPath !== undefined) bytes.setPath(r.sourceId, r.readBackPath);
  const ctx: UiContext = {
    store,
    offset: UTC,
    ascii: false,
    load: { files: [file], loading: false, bytesRead: 0, bytesTotal: 0, errors: [] },
    readBytes: (loc) => bytes.read(loc),
    matches: () => true,
    savePcap: () => '',
    saveAs: () => '',
    open: () => undefined,
    close: () => undefined,
    quit: () => undefined,
  };
  const list = new ListWindow(ctx);
  const time = (what: string, prepare: () => void, run: () => void, runs = 3): void => {
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      prepare();
      t0 = performance.now();
      run();
      best = Math.min(best, performance.now() - t0);
    }
    console.log(`  ${what.padEnd(44)} ${best.toFixed(1).padStart(8)} ms`);
  };
  // Each run rebuilds: setColumns drops the cached order (as the columns window does).
  const resort = (): void => list.setColumns(list.columns);
  console.log(`displayed dialogs (${store.dialogCount}), best of 3:`);
  time('build, dialog-number order (no sort)', () => {
    list.setSort(undefined);
    resort();
  }, () => void list.displayedDialogs());
  time('unchanged (cache hit, every redraw)', () => undefined, () => void list.displayedDialogs());
  for (const [id, desc] of [['msgs', true], ['start', false], ['from', false], ['state', false], ['callid', false], ['duration', true]] as const) {
    time(`sort by ${id} ${desc ? 'descending' : 'ascending'} (filter + sort)`, () => {
      list.setSort({ id, descending: desc });
      resort();
    }, () => void list.displayedDialogs());
  }
  time('z: flip by from', () => list.setSort({ id: 'from', descending: false }), () => {
    list.action('sort-flip');
    list.displayedDialogs();
  });
  time('render one 80x24 screen (sorted, cached)', () => undefined, () => void list.render({ cols: 80, rows: 24 }));
  // A live tick: 100 new dialogs arrive; merged into the order (stable column) or sorted again.
  const all = [...store.dialogList()];
  const src = { store, offset: UTC };
  for (const id of ['from', 'start', 'callid']) {
    const column = columnById(id) as ListColumn;
    const previous = sortDialogs(all.slice(0, all.length - 100), column, false, src);
    time(`live tick by ${id}: merge 100 new into ${previous.length}`, () => undefined, () => void mergeSorted(previous, all, column, false, src), 10);
    time(`live tick by ${id}: full sort of ${all.length}`, () => undefined, () => void sortDialogs(all, column, false, src), 10);
  }
  bytes.close();
}

void main();
