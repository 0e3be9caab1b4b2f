/**
 * The config file: directives applied, bad lines reported with file and line, key bindings
 * checked against the keymap, -f / -F / -D on the command line.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cellColour, configColumns, defaultConfig, formatConfig, isKeyName, parseConfig } from '../src/config/config';
import { loadConfig } from '../src/config/load-config';
import { actionFor, helpLines } from '../src/ui/keymap';
import { aliasLookup } from '../src/view/aliases';
import { ownCaptures, sipscopeBin } from './helpers/paths';
import { spawnSipscope } from './helpers/pty';

const GOOD = `# my sipscope
columns index method from:18 to msgs src dst state hdr:Diversion:24   # trailing comment
sort start desc
alias 10.0.0.1 sbc
alias 10.0.0.1:5080 sbc-ext
alias [2001:db8::1]:5060 core
related-headers X-Call-ID X-CID X-Correlation-ID
bind x open-flow list
bind F10 quit
unbind q list
`;

test('good lines: columns with widths, sort, aliases, related headers, key bindings', (t) => {
  const { config, errors } = parseConfig(GOOD, '/home/u/.sipscoperc');
  t.deepEqual(errors, []);
  t.deepEqual(
    configColumns(config).map((c) => [c.id, c.pref]),
    [['index', 6], ['method', 9], ['from', 18], ['to', 16], ['msgs', 4], ['src', 21], ['dst', 21], ['state', 10], ['hdr:Diversion', 24]],
  );
  t.deepEqual(config.sort, { id: 'start', descending: true });
  t.deepEqual(config.relatedHeaders, ['X-Call-ID', 'X-CID', 'X-Correlation-ID']);
  const alias = aliasLookup(config.aliases);
  t.is(alias('10.0.0.1:5060'), 'sbc:5060', 'address alias keeps the port');
  t.is(alias('10.0.0.1:5080'), 'sbc-ext', 'ip:port alias wins');
  t.is(alias('[2001:db8::1]:5060'), 'core');
  t.is(alias('10.0.0.2:5060'), '10.0.0.2:5060');
  t.is(actionFor('list', 'x', config.keymap), 'open-flow');
  t.is(actionFor('list', 'f10', config.keymap), 'quit', 'F10 moved from the columns window to quit');
  t.is(actionFor('list', 't', config.keymap), 'columns-window', 't still opens the columns window');
  t.is(actionFor('list', 'q', config.keymap), undefined);
  t.is(actionFor('flow', 'q', config.keymap), 'back', 'unbind q list leaves the flow window alone');
  t.true(helpLines(config.keymap).some((l) => /^ {2}Enter \/ x +call flow of the dialog/.test(l)), 'help shows the bindings in effect');
  // Defaults are untouched.
  t.is(actionFor('list', 'q'), 'quit');
  t.deepEqual(defaultConfig().relatedHeaders, ['X-Call-ID', 'X-CID']);
});

test('bad lines: each reported as FILE:LINE with what is wrong; good lines still applied', (t) => {
  const text = [
    'columns index nosuch',
    'bind F99 quit',
    'bind x frobnicate',
    'bind x quit raw',
    'unbind ~',
    'alias 10.0.0.1',
    'alias example.com pbx',
    'sort start sideways',
    'colors on',
    'related-headers',
    'alias 10.0.0.9 kept',
    'sort findings',
    'color busy mauve',
    'color ringing red',
  ].join('\n');
  const { config, errors } = parseConfig(text, 'rc');
  t.is(errors.length, 13);
  t.regex(errors[0]!, /^rc:1: unknown column 'nosuch' \(columns: index method from to .*hdr:NAME/);
  t.regex(errors[1]!, /^rc:2: unknown key 'F99'/);
  t.regex(errors[2]!, /^rc:3: unknown action 'frobnicate' \(actions: up down .*open-flow/);
  t.regex(errors[3]!, /^rc:4: action 'quit' is not available in the raw window \(it is in: list\)/);
  t.regex(errors[4]!, /^rc:5: key '~' is not bound/);
  t.regex(errors[5]!, /^rc:6: alias takes an address/);
  t.regex(errors[6]!, /^rc:7: 'example.com' is not an IP address/);
  t.regex(errors[7]!, /^rc:8: sort direction must be asc or desc/);
  t.regex(errors[8]!, /^rc:9: unknown directive 'colors'/);
  t.regex(errors[9]!, /^rc:10: related-headers needs/);
  t.regex(errors[10]!, /^rc:12: the list cannot be sorted by findings/);
  t.regex(errors[11]!, /^rc:13: unknown colour 'mauve' \(colours: black red green/);
  t.regex(errors[12]!, /^rc:14: cannot colour 'ringing' \(colours apply to: call-setup in-call/);
  t.is(aliasLookup(config.aliases)('10.0.0.9:5060'), 'kept:5060');
});

test('colours: on by default with a colour per call state; named colours, none, and off', (t) => {
  const on = cellColour(defaultConfig())!;
  t.is(on('state', 'BUSY'), 'yellow');
  t.is(on('state', 'CALL SETUP'), 'cyan');
  t.is(on('state', 'COMPLETED'), 'green');
  t.is(on('findings', 'busy'), 'red');
  t.is(on('from', '3544151500'), undefined);
  const { config, errors } = parseConfig('color busy blue\ncolor completed none\n', 'rc');
  t.deepEqual(errors, []);
  const custom = cellColour(config)!;
  t.is(custom('state', 'BUSY'), 'blue');
  t.is(custom('state', 'COMPLETED'), undefined);
  t.is(cellColour(parseConfig('color off\n', 'rc').config), undefined);
});

test('key names are the ones the terminal reports', (t) => {
  for (const k of ['x', '<', 'f1', 'f12', 'pagedown', 'C-x', 'S-up', 'M-a', 'escape']) t.true(isKeyName(k), k);
  for (const k of ['F1', 'f13', 'ctrl-x', 'xx', '', 'C-1']) t.false(isKeyName(k), k);
});

test('-D prints the effective config in the file format, and reading it back gives the same', (t) => {
  const { config } = parseConfig(GOOD, 'a');
  const text = formatConfig(config);
  t.true(text.includes('columns index method from:18 to msgs src dst state hdr:Diversion:24'));
  t.true(text.includes('alias 10.0.0.1:5080 sbc-ext'));
  t.true(text.includes('bind x open-flow list'));
  const again = parseConfig(text, 'b');
  t.deepEqual(again.errors, []);
  t.is(formatConfig(again.config).split('\n').slice(1).join('\n'), text.split('\n').slice(1).join('\n'));
  t.deepEqual(again.config.keymap, config.keymap);
});

test('files: ~/.sipscoperc by default, -f FILE instead, -F none; a missing -f file is an error', (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-home-'));
  fs.writeFileSync(path.join(home, '.sipscoperc'), 'alias 10.0.0.1 from-home\n');
  const other = path.join(home, 'other.rc');
  fs.writeFileSync(other, 'alias 10.0.0.1 from-f\n');
  t.is(loadConfig({ home }).config.aliases.get('10.0.0.1'), 'from-home');
  t.is(loadConfig({ home, file: other }).config.aliases.get('10.0.0.1'), 'from-f');
  t.is(loadConfig({ home, none: true }).config.aliases.size, 0);
  t.deepEqual(loadConfig({ home: path.join(home, 'nobody') }).errors, [], 'no config files: no error');
  t.regex(loadConfig({ file: path.join(home, 'missing.rc') }).errors[0]!, /cannot read config file .*missing\.rc: no such file/);
});

test('the command line: -D prints, a bad line exits 2 naming file and line, -F ignores the file', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-rc-'));
  const good = path.join(dir, 'good.rc');
  fs.writeFileSync(good, 'alias 127.0.0.1:5060 uas\ncolumns index from to state\n');
  const bad = path.join(dir, 'bad.rc');
  fs.writeFileSync(bad, '# fine\nbind x no-such-action\n');
  const run = (...args: string[]) => spawnSync(process.execPath, [sipscopeBin, ...args], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
  const dump = run('-f', good, '-D');
  t.is(dump.status, 0);
  t.true(dump.stdout.includes('alias 127.0.0.1:5060 uas'));
  t.true(dump.stdout.includes('columns index from to state'));
  t.true(dump.stdout.includes(`files read: ${good}`));
  const failed = run('-f', bad, '-D');
  t.is(failed.status, 2);
  t.true(failed.stderr.includes(`${bad}:2: unknown action 'no-such-action'`), failed.stderr);
  t.is(run('-F', '-f', bad, '-D').status, 0, '-F reads no file');
  // The config sets up the full-screen interface: headless runs do not read it.
  const headless = run('-f', bad, '-N', '-q', '-I', path.join(ownCaptures, 'demo-udp.pcap'));
  t.is(headless.status, 0, headless.stderr);
});

test('a bad config line stops the full-screen interface before it starts, naming file and line', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-rc-'));
  const bad = path.join(dir, 'bad.rc');
  fs.writeFileSync(bad, 'alias 10.0.0.1 sbc\nbind f99 quit\n');
  const s = spawnSipscope(['-f', bad, '-I', path.join(ownCaptures, 'demo-udp.pcap')], { cols: 100, rows: 10 });
  try {
    t.is(await s.exited(), 2);
    t.true(s.output().includes(`${bad}:2: unknown key 'f99'`), s.output());
    t.true(s.output().includes('start with -F'));
  } finally {
    s.kill();
  }
});
