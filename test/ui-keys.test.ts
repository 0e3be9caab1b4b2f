import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KEYMAP, actionFor, helpLines, keysMarkdown } from '../src/ui/keymap';
import { repoRoot } from './helpers/paths';

test("README's key table is the one generated from the keymap", (t) => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('## Keys');
  t.true(start >= 0, 'README has a "## Keys" section');
  const section = readme.slice(start);
  const tableStart = section.indexOf('| window |');
  const tableEnd = section.indexOf('\n\n', tableStart);
  const table = section.slice(tableStart, tableEnd < 0 ? undefined : tableEnd).trimEnd() + '\n';
  t.is(table, keysMarkdown(), 'regenerate with: node -e "process.stdout.write(require(\'./dist/src/ui/keymap\').keysMarkdown())"');
});

test('window keys come before global ones; forms take no global keys', (t) => {
  t.is(actionFor('list', 'enter'), 'open-flow');
  t.is(actionFor('flow', 'enter'), 'open-raw');
  t.is(actionFor('flow', 'q'), 'back');
  t.is(actionFor('list', 'q'), 'quit');
  t.is(actionFor('raw', 'down'), 'down');
  t.is(actionFor('filter', 'j'), undefined);
  t.is(actionFor('list', 'f7'), 'filter-window');
});

test('no key is bound twice in one window', (t) => {
  const seen = new Set<string>();
  for (const b of KEYMAP) {
    for (const k of b.keys) {
      const id = `${b.window}/${k}`;
      t.false(seen.has(id), id);
      seen.add(id);
    }
  }
});

test('help lists every binding', (t) => {
  const help = helpLines().join('\n');
  for (const b of KEYMAP) if (b.window !== 'help') t.true(help.includes(b.description), b.description);
});
