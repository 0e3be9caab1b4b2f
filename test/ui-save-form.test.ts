/** The save window as data: fields, the file name following the format, errors, what is saved. */
import test from 'ava';
import { SaveForm, type SaveTarget } from '../src/ui/save-form';
import { actionFor } from '../src/ui/keymap';
import { lineText } from '../src/ui/canvas';
import type { MessageGroup } from '../src/capture/save';
import type { SaveFormat } from '../src/ui/window';

interface Saved {
  groups: readonly MessageGroup[];
  format: SaveFormat;
  file: string;
  what: string;
}

function form(targets: SaveTarget[], initial = 0, fail?: string) {
  const source = { status: '', render: () => ({ lines: [] }) };
  const saved: Saved[] = [];
  let closed = 0;
  const f = new SaveForm(source, {
    title: 'Save test',
    targets,
    initial,
    defaultFile: 'out',
    saveAs: (groups, format, file, what) => {
      if (fail !== undefined) throw new Error(fail);
      saved.push({ groups, format, file, what });
      return `saved ${what}`;
    },
    close: () => void closed++,
    ascii: true,
  });
  const text = (): string => (f.render({ cols: 80, rows: 24 }).overlay?.lines ?? []).map(lineText).join('\n');
  return { f, source, saved, text, closed: () => closed };
}

const key = (f: SaveForm, k: string): void => {
  const a = actionFor('save', k);
  if (a !== undefined) f.action(a);
};

test('pcap by default; choosing text renames out.pcap to out.txt and saves text', (t) => {
  const { f, source, saved, text, closed } = form([{ name: 'message', what: () => [{ msgs: [7] }], noun: 'message' }]);
  t.regex(text(), /Save to +\[out\.pcap_/);
  t.regex(text(), /\(\*\) pcap {2}\( \) text/);
  key(f, 'tab');
  key(f, 'space');
  t.regex(text(), /\( \) pcap {2}\(\*\) text/);
  t.regex(text(), /Save to +\[out\.txt/);
  key(f, 'enter');
  t.deepEqual(saved, [{ groups: [{ msgs: [7] }], format: 'text', file: 'out.txt', what: '1 message' }]);
  t.is(source.status, 'saved 1 message');
  t.is(closed(), 1);
});

test('pcap+rtp is the third format: out.txt goes back to out.pcap, and that format is saved', (t) => {
  const { f, saved, text } = form([{ name: 'all', what: () => [{ msgs: [1] }], noun: 'dialog' }]);
  t.regex(text(), /\(\*\) pcap {2}\( \) text {2}\( \) pcap\+rtp/);
  key(f, 'tab');
  key(f, 'space');
  t.regex(text(), /Save to +\[out\.txt/);
  key(f, 'space');
  t.regex(text(), /\( \) pcap {2}\( \) text {2}\(\*\) pcap\+rtp/);
  t.regex(text(), /Save to +\[out\.pcap/);
  key(f, 'enter');
  t.deepEqual(
    saved.map((s) => [s.format, s.file]),
    [['pcap+rtp', 'out.pcap']],
  );
});

test('the chosen target is saved, counted with its noun; an empty one says so and stays open', (t) => {
  const two: MessageGroup[] = [{ msgs: [1, 2] }, { msgs: [3] }];
  const { f, saved, text, closed } = form(
    [
      { name: 'all', what: () => two, noun: 'dialog' },
      { name: 'selected', what: () => [], noun: 'dialog' },
    ],
    1,
  );
  key(f, 'enter');
  t.regex(text(), /Nothing to save: no selected dialogs\./);
  t.is(closed(), 0);
  key(f, 'tab');
  key(f, 'tab');
  key(f, 'space'); // selected -> all
  key(f, 'enter');
  t.is(saved[0]?.what, '2 dialogs');
  t.is(saved[0]?.format, 'pcap');
});

test('a failed write shows the reason and keeps the window', (t) => {
  const { f, text, closed } = form([{ name: 'all', what: () => [{ msgs: [1] }], noun: 'dialog' }], 0, 'cannot write /x/out.pcap: the directory does not exist');
  key(f, 'enter');
  t.regex(text(), /Not saved: cannot write \/x\/out\.pcap: the directory does not exist/);
  t.is(closed(), 0);
});

test('the new keys: x and F4 extended flow, i stats, Space diff and s save in the flow, arrows scroll', (t) => {
  t.is(actionFor('list', 'x'), 'extended-flow');
  t.is(actionFor('list', 'f4'), 'extended-flow');
  t.is(actionFor('list', 'i'), 'stats');
  t.is(actionFor('flow', 'space'), 'mark-diff');
  t.is(actionFor('flow', 'x'), 'extended-flow');
  t.is(actionFor('flow', 's'), 'save');
  t.is(actionFor('flow', 'S-s'), 'save');
  t.is(actionFor('flow', 'f2'), 'save');
  t.is(actionFor('flow', 'left'), 'scroll-left');
  t.is(actionFor('flow', 'right'), 'scroll-right');
  t.is(actionFor('stats', 'escape'), 'back');
  t.is(actionFor('diff', 'q'), 'back');
  t.is(actionFor('diff', 'down'), 'down', 'the diff scrolls with the global keys');
});
