/**
 * The --filter language on crafted dialogs read through the real engine: every field,
 * several values, and/or/not/parentheses, precedence, and errors that point at the word.
 */
import test from 'ava';
import { Call, runSent, sdp } from './analysis-call-builder';
import { compileFilter, type FilterContext } from '../src/filter/compile-filter';
import { analyseDialog, FINDING_LABELS } from '../src/analysis';
import type { EngineRun } from './helpers/run-engine';
import type { ByteLocation } from '../src/store/store';

const PCMU: [number, string][] = [[0, 'PCMU']];

/**
 * f1 12:13:20 INVITE 3544151500 -> +3544151502, 192.0.2.10 -> 10.0.0.5, PAI, Diversion,
 *    User-Agent Acme, X-Trace, SDP; 180, 200, ACK, BYE at +40 s: COMPLETED
 * f2 12:15:00 INVITE 004154151510 -> 3544151512 over IPv6 (port 5070), PPI, Remote-Party-ID; 486: BUSY
 * f3 13:13:20 REGISTER 3544151520 from 198.51.100.7:5062; 401 (WWW-Authenticate), REGISTER, 200
 * f4 14:13:20 INVITE 192.0.2.30 -> 10.0.0.6 sent 6 times over 31.5 s, no response: CALL SETUP
 */
function calls(): Call[] {
  const f1 = new Call({
    callId: 'f1@t',
    caller: { user: '3544151500', host: '192.0.2.10', name: 'Anna' },
    callee: { user: '+3544151502', host: '10.0.0.5' },
  })
    .req(0, 'INVITE', 1, {
      headers: [
        'P-Asserted-Identity: <sip:+3544151599@192.0.2.10>',
        'Diversion: <sip:003544151777@192.0.2.10>;reason=unconditional',
        'User-Agent: Acme Phone 1.0',
        'X-Trace: abc123',
      ],
      body: sdp('192.0.2.10', 40000, PCMU),
    })
    .res(0.3, 180, 'Ringing', 'INVITE', 1)
    .res(2, 200, 'OK', 'INVITE', 1, { body: sdp('10.0.0.5', 50000, PCMU) })
    .req(2.01, 'ACK', 1)
    .req(40, 'BYE', 2)
    .res(40.01, 200, 'OK', 'BYE', 2);
  const f2 = new Call({
    callId: 'f2@t',
    caller: { user: '004154151510', host: '2001:db8::10', port: 5070 },
    callee: { user: '3544151512', host: '2001:db8::20' },
    a: '[2001:db8::10]:5070',
    b: '[2001:db8::20]:5060',
  })
    .req(100, 'INVITE', 1, {
      headers: ['P-Preferred-Identity: <sip:3544151511@example.net>', 'Remote-Party-ID: "B" <sip:3544151513@example.net>;party=calling'],
    })
    .res(101, 486, 'Busy Here', 'INVITE', 1)
    .req(101.01, 'ACK', 1);
  const reg = { user: '3544151520', host: '198.51.100.7', port: 5062 };
  const f3 = new Call({ callId: 'f3@t', caller: reg, callee: reg, b: '192.0.2.1:5060' })
    .req(3600, 'REGISTER', 1)
    .res(3600.1, 401, 'Unauthorized', 'REGISTER', 1, { headers: ['WWW-Authenticate: Digest realm="t", nonce="n"'] })
    .req(3600.2, 'REGISTER', 2, { headers: ['Authorization: Digest username="u", realm="t", nonce="n", uri="sip:t", response="0"'] })
    .res(3600.3, 200, 'OK', 'REGISTER', 2);
  const f4 = new Call({
    callId: 'f4@t',
    caller: { user: '3544151530', host: '192.0.2.30' },
    callee: { user: '3544151532', host: '10.0.0.6' },
  }).req([7200, 7200.5, 7201.5, 7203.5, 7207.5, 7215.5, 7231.5], 'INVITE', 1);
  return [f1, f2, f3, f4];
}

let shared: Promise<EngineRun> | undefined;
function run(): Promise<EngineRun> {
  if (shared === undefined) shared = runSent(...calls().map((c) => c.sent));
  return shared;
}

async function matching(expr: string): Promise<string[]> {
  const r = await run();
  const c = compileFilter(expr, { findingLabels: FINDING_LABELS });
  if (!c.ok) throw new Error(`${expr}: ${c.error}`);
  const store = r.engine.store;
  const ctx: FilterContext = { store, bytes: r.bytes, findings: (d) => analyseDialog(store, d, r.bytes).map((f) => f.label) };
  return [...store.dialogList()].filter((d) => c.test(d, ctx)).map((d) => d.callId.slice(0, 2));
}

const CASES: [string, string[]][] = [
  // numbers: + and 00 normalised; a value without international prefix also matches as a suffix
  ['srcnum 3544151500', ['f1']],
  ['srcnum +3544151500', ['f1']],
  ['srcnum 003544151500', ['f1']],
  ['srcnum 4151500', ['f1']],
  ['srcnum +4151500', []],
  ['srcnum 354-415-1500', ['f1']],
  ['srcnum 4151500 4151520', ['f1', 'f3']],
  ['srcnum +4154151510', ['f2']],
  ['dstnum 3544151502', ['f1']],
  ['dstnum 003544151502', ['f1']],
  ['telnum 3544151512', ['f2']],
  ['telnum 3544151500', ['f1']],
  ['diversion +3544151777', ['f1']],
  ['diversion 3544151500', []],
  ['pai 3544151599', ['f1']],
  ['ppi 3544151511', ['f2']],
  ['rpid 3544151513', ['f2']],
  // headers and payload
  ['has Diversion', ['f1']],
  ['has x-trace', ['f1']],
  ['has WWW-Authenticate Diversion', ['f1', 'f3']],
  ['header User-Agent ~ ^acme', ['f1']],
  ['header Via ~ 2001:db8', ['f2']],
  ['header v ~ "198\\.51\\.100\\.7"', ['f3']],
  ['payload ~ "m=audio 4000"', ['f1']],
  ["payload ~ '^CSeq: 2 REGISTER'", ['f3']],
  ['(payload ~ realm="t"|X-Trace)', ['f1', 'f3']],
  // addresses and ports
  ['ip 10.0.0.0/8', ['f1', 'f4']],
  ['srcip 192.0.2.0/24', ['f1', 'f4']],
  ['dstip 10.0.0.6', ['f4']],
  ['ip 2001:db8::/32', ['f2']],
  ['ip [2001:db8::20]', ['f2']],
  ['ip 192.0.2.1', ['f3']],
  ['srcip 192.0.2.1', []],
  ['port 5070', ['f2']],
  ['port 5062-5063', ['f3']],
  // methods, codes, states, ids
  ['method REGISTER', ['f3']],
  ['method bye', ['f1']],
  ['method INVITE', ['f1', 'f2', 'f4']],
  ['status 486', ['f2']],
  ['status 4xx', ['f2', 'f3']],
  ['status 1xx', ['f1']],
  ['final 4xx', ['f2']],
  ['final 200', ['f1', 'f3']],
  ['state busy', ['f2']],
  ['state completed', ['f1']],
  ['state call-setup', ['f4']],
  ["state 'IN CALL'", []],
  ['callid f3@t', ['f3']],
  ['callid ~ ^f[12]@', ['f1', 'f2']],
  ['ua acme', ['f1']],
  ['ua ~ "phone \\d"', ['f1']],
  // times (UTC) and durations
  ['duration > 30s', ['f1', 'f4']],
  ['duration >= 40s', ['f1']],
  ['duration < 5', ['f2', 'f3']],
  ['duration<=1500ms', ['f2', 'f3']],
  ['duration > 0.5m', ['f1', 'f4']],
  ['after 13:00', ['f3', 'f4']],
  ['before 12:15', ['f1']],
  ['after 12:15 and before 14:00', ['f2', 'f3']],
  ['after 2025-11-23T14:00', ['f4']],
  ['before 2025-11-23', []],
  ['after 2025-11-23 and before 2025-11-24', ['f1', 'f2', 'f3', 'f4']],
  // findings
  ['finding no-response', ['f4']],
  ['finding busy no-response', ['f2', 'f4']],
  // combinations
  ['srcnum 4151500 or state busy', ['f1', 'f2']],
  ['not method INVITE', ['f3']],
  ['! method INVITE', ['f3']],
  ['method INVITE and not (state busy or state completed)', ['f4']],
  ['(srcnum 4151500 or srcnum 4151520) and method REGISTER', ['f3']],
  ['method INVITE && status 4xx || method REGISTER', ['f2', 'f3']],
  ['method REGISTER or method INVITE and status 4xx', ['f2', 'f3']],
  ['not not state busy', ['f2']],
  ['SRCNUM 4151500 AND METHOD invite', ['f1']],
  ['((telnum 3544151512))', ['f2']],
];

for (const [expr, want] of CASES) {
  test(`filter: ${expr}`, async (t) => {
    t.deepEqual(await matching(expr), want);
  });
}

const ERRORS: [string, string, number][] = [
  ['srcnum and', "expected a number after 'srcnum' at 'and' (position 7)", 7],
  ['', 'the filter is empty', 0],
  ['srcnum', "expected a number after 'srcnum' at the end (position 6)", 6],
  ['srcnum abc', "expected a number after 'srcnum' at 'abc' (position 7)", 7],
  ['srcnum 1 dstnum 2', "expected a number after 'srcnum' at 'dstnum' (position 9)", 9],
  ['foo 1', "expected a field (srcnum, dstnum, telnum, diversion, pai, ppi, rpid, ip, srcip, dstip, port, method, status, final, state, callid, ua, has, header, payload, duration, after, before, finding), 'not' or '(' at 'foo' (position 0)", 0],
  ['srcnum 1 and', "after 'and' at the end (position 12)", 12],
  ['(srcnum 1', "expected ')' or 'and'/'or' to go with '(' at position 0, at the end (position 9)", 9],
  ['srcnum 1)', "unmatched ')' at position 8", 8],
  ['srcnum 1 not dstnum 2', "expected 'and', 'or' or the end at 'not' (position 9)", 9],
  ['ip 300.1.1.1', "expected an address or CIDR prefix (192.0.2.1, 10.0.0.0/8, 2001:db8::/32) after 'ip' at '300.1.1.1' (position 3)", 3],
  ['ip 10.0.0.0/33', "after 'ip' at '10.0.0.0/33' (position 3)", 3],
  ['port 70000', "after 'port' at '70000' (position 5)", 5],
  ['status 7xx', "expected a status code (486) or class (4xx) after 'status' at '7xx' (position 7)", 7],
  ['state ringing', "after 'state' at 'ringing' (position 6)", 6],
  ['duration 30', "expected '>', '<', '>=', '<=' or '=' after 'duration' at '30' (position 9)", 9],
  ['duration > soon', "expected a duration (30s, 500ms, 2m, 1h or seconds) after 'duration >' at 'soon' (position 11)", 11],
  ['header From', "expected '~' and a regular expression after 'header From' at the end (position 11)", 11],
  ['header', "expected a header name after 'header' at the end (position 6)", 6],
  ['payload ~', "expected a regular expression after 'payload ~' at the end (position 9)", 9],
  ['payload ~ (', "'(' after 'payload ~' is not a valid regular expression (position 10)", 10],
  ['after 25:00', "after 'after' at '25:00' (position 6)", 6],
  ['before tomorrow', "after 'before' at 'tomorrow' (position 7)", 7],
  ['finding nonsense', "expected a finding label (no-response, ", 8],
  ["callid 'abc", 'unterminated string starting at position 7', 7],
  ['srcnum 1 & dstnum 2', "unexpected '&' (write 'and', 'or', '&&' or '||') at position 9", 9],
];

for (const [expr, message, position] of ERRORS) {
  test(`filter error: ${JSON.stringify(expr)}`, (t) => {
    const c = compileFilter(expr, { findingLabels: FINDING_LABELS });
    if (c.ok) {
      t.fail('compiled');
      return;
    }
    t.true(c.error.includes(message), c.error);
    t.is(c.position, position);
  });
}

test('finding labels are accepted without a known list; finding never matches without a findings source', async (t) => {
  const r = await run();
  const c = compileFilter('finding anything or finding no-response');
  t.true(c.ok);
  if (!c.ok) return;
  t.true(c.usesFindings);
  t.false(c.readsBytes);
  t.false([...r.engine.store.dialogList()].some((d) => c.test(d, { store: r.engine.store })));
});

test('header fields never match without a byte source, and say they read bytes', async (t) => {
  const r = await run();
  const c = compileFilter('has Diversion or payload ~ INVITE');
  t.true(c.ok && c.readsBytes);
  if (!c.ok) return;
  t.false([...r.engine.store.dialogList()].some((d) => c.test(d, { store: r.engine.store })));
});

test('bytes are read only for dialogs the dialog-level side left undecided', async (t) => {
  const r = await run();
  const store = r.engine.store;
  const reads: ByteLocation[] = [];
  const bytes = { read: (loc: ByteLocation) => (reads.push(loc), r.bytes.read(loc)) };
  const rowsOf = (id: string) => store.dialog(id)!.msgs.map((row) => store.msgBytes(row).offset);

  // `and`: the cheap side first; payload only read for the REGISTER dialog.
  const a = compileFilter('payload ~ WWW-Authenticate and method REGISTER');
  t.true(a.ok);
  if (!a.ok) return;
  t.deepEqual([...store.dialogList()].filter((d) => a.test(d, { store, bytes })).map((d) => d.callId), ['f3@t']);
  t.true(reads.length > 0);
  t.true(reads.every((loc) => rowsOf('f3@t').includes(loc.offset)), 'only f3 messages were read');

  // `or`: a dialog decided by the number is not read at all.
  reads.length = 0;
  const o = compileFilter('has Remote-Party-ID or srcnum 4151500');
  t.true(o.ok);
  if (!o.ok) return;
  t.deepEqual([...store.dialogList()].filter((d) => o.test(d, { store, bytes })).map((d) => d.callId), ['f1@t', 'f2@t']);
  t.false(reads.some((loc) => rowsOf('f1@t').includes(loc.offset)), 'f1 was decided without reading bytes');
});
