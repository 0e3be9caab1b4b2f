import test from 'ava';
import { DialogStore, MSG_RETRANS, type MessageMeta } from '../src/store/store';
import type { SipMessage } from '../src/sip/types';

let clock = 1_700_000_000;

function msg(callId: string, startLine: string, cseq: number, extra: Partial<SipMessage> = {}): SipMessage {
  const status = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  const method = status === null ? startLine.split(' ')[0]! : extra.cseqMethod ?? 'INVITE';
  return {
    isRequest: status === null,
    method,
    requestUri: status === null ? 'sip:bob@example.com' : '',
    status: status === null ? 0 : Number(status[1]),
    reasonPhrase: status === null ? '' : startLine.slice(12),
    callId,
    from: { display: 'Alice', uri: 'sip:alice@example.com', user: 'alice', tag: 'a1' },
    to: { display: '', uri: 'sip:bob@example.com', user: 'bob', tag: '' },
    cseq,
    cseqMethod: extra.cseqMethod ?? method,
    branch: extra.branch ?? `z9hG4bK${cseq}${method}`,
    contentType: '',
    reason: '',
    warning: '',
    xCallId: '',
    userAgent: '',
    offset: 0,
    length: extra.length ?? 300 + startLine.length,
    bodyLength: 0,
    hasSdp: false,
    problems: [],
    ...extra,
  };
}

// Endpoint ids as a fresh store hands them out: 10.0.0.1:5060 first, then 10.0.0.2:5060.
const CALLER = 0;
const CALLEE = 1;

function meta(fromCaller = true, dt = 0.01): MessageMeta {
  clock += dt;
  const sec = Math.floor(clock);
  return {
    src: fromCaller ? CALLER : CALLEE,
    dst: fromCaller ? CALLEE : CALLER,
    transport: 'UDP',
    sec,
    nsec: Math.round((clock - sec) * 1e9),
  };
}

const where = { source: 0, offset: 0, length: 0 };

function newStore(options: ConstructorParameters<typeof DialogStore>[0] = {}): DialogStore {
  const s = new DialogStore(options);
  s.endpoint('10.0.0.1', 5060, false);
  s.endpoint('10.0.0.2', 5060, false);
  return s;
}

function feed(store: DialogStore, callId: string, ladder: [string, number, boolean, Partial<SipMessage>?][]): void {
  for (const [line, cseq, caller, extra] of ladder) {
    store.addMessage(msg(callId, line, cseq, extra), meta(caller), where, [], true);
  }
}

test('call states follow sngrep: completed, busy, rejected, cancelled, diverted, in call, setup', (t) => {
  const s = newStore();
  feed(s, 'completed', [
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 180 Ringing', 1, false],
    ['SIP/2.0 200 OK', 1, false],
    ['ACK sip:bob SIP/2.0', 1, true],
    ['BYE sip:alice SIP/2.0', 2, false],
    ['SIP/2.0 200 OK', 2, true, { cseqMethod: 'BYE' }],
  ]);
  feed(s, 'busy', [
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 486 Busy Here', 1, false],
    ['ACK sip:bob SIP/2.0', 1, true],
  ]);
  feed(s, 'rejected', [
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 403 Forbidden', 1, false, { reason: 'Q.850;cause=21;text="Call rejected"' }],
    ['ACK sip:bob SIP/2.0', 1, true],
  ]);
  feed(s, 'bad-request', [
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 400 Bad Request', 1, false],
  ]);
  feed(s, 'cancelled', [
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 180 Ringing', 1, false],
    ['CANCEL sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 200 OK', 1, false, { cseqMethod: 'CANCEL' }],
    ['SIP/2.0 487 Request Terminated', 1, false],
    ['ACK sip:bob SIP/2.0', 1, true],
  ]);
  feed(s, 'diverted', [
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 302 Moved Temporarily', 1, false],
  ]);
  feed(s, 'incall', [
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 200 OK', 1, false],
    ['ACK sip:bob SIP/2.0', 1, true],
  ]);
  feed(s, 'setup', [
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 100 Trying', 1, false],
  ]);
  feed(s, 'challenged', [
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 407 Proxy Authentication Required', 1, false],
    ['ACK sip:bob SIP/2.0', 1, true],
    ['INVITE sip:bob SIP/2.0', 2, true],
    ['SIP/2.0 200 OK', 2, false],
    ['ACK sip:bob SIP/2.0', 2, true],
  ]);
  feed(s, 'options', [
    ['OPTIONS sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 200 OK', 1, false, { cseqMethod: 'OPTIONS' }],
  ]);
  const state = (id: string) => s.dialog(id)?.state;
  t.is(state('completed'), 'COMPLETED');
  t.is(state('busy'), 'BUSY');
  t.is(state('rejected'), 'REJECTED');
  t.is(state('bad-request'), 'REJECTED', '400 is a rejection (sngrep would say DIVERTED)');
  t.is(state('cancelled'), 'CANCELLED');
  t.is(state('diverted'), 'DIVERTED');
  t.is(state('incall'), 'IN CALL');
  t.is(state('setup'), 'CALL SETUP');
  t.is(state('challenged'), 'IN CALL', 'a new INVITE after 407 restarts setup, its ACK starts the call');
  t.is(state('options'), '');
  t.is(s.dialog('rejected')?.finalStatus, 403);
  t.is(s.dialog('rejected')?.reason, 'Q.850;cause=21;text="Call rejected"');
  t.is(s.dialog('cancelled')?.finalStatus, 487, 'the CANCEL 200 is not the INVITE final response');
  t.is(s.dialog('completed')?.finalStatus, 200);
  t.is(s.dialog('options')?.finalStatus, 200);
  t.is(s.dialog('completed')?.messageCount, 6);
  t.is(s.dialogCount, 10);
  t.is(s.counters.sipMessages, 35);
});

test('retransmissions are marked and do not advance the state', (t) => {
  const s = newStore();
  feed(s, 'r', [
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['INVITE sip:bob SIP/2.0', 1, true],
    ['SIP/2.0 200 OK', 1, false],
    ['SIP/2.0 200 OK', 1, false],
    ['ACK sip:bob SIP/2.0', 1, true],
  ]);
  const d = s.dialog('r')!;
  const flags = d.msgs.map((r) => (s.msgFlags(r) & MSG_RETRANS) !== 0);
  t.deepEqual(flags, [false, true, true, false, true, false]);
  t.is(d.retransmissions, 3);
  t.is(s.counters.retransmissions, 3);
  t.is(d.state, 'IN CALL');
  // Same CSeq, different branch: a new transaction (e.g. a forked or re-sent request), not a retransmission.
  s.addMessage(msg('r', 'INVITE sip:bob SIP/2.0', 1, { branch: 'z9hG4bKother' }), meta(true), where, [], true);
  t.is(d.retransmissions, 3);
});

test('the dialog limit drops only new dialogs; messages of kept dialogs still arrive', (t) => {
  const s = newStore({ limit: 2 });
  feed(s, 'a', [['INVITE sip:bob SIP/2.0', 1, true]]);
  feed(s, 'b', [['INVITE sip:bob SIP/2.0', 1, true]]);
  feed(s, 'c', [['INVITE sip:bob SIP/2.0', 1, true], ['SIP/2.0 200 OK', 1, false]]);
  feed(s, 'a', [['SIP/2.0 200 OK', 1, false]]);
  t.is(s.dialogCount, 2);
  t.is(s.dialog('c'), undefined);
  t.is(s.counters.droppedDialogLimit, 2);
  t.is(s.dialog('a')?.messageCount, 2);
});

test('-R evicts the oldest dialog whole', (t) => {
  const s = newStore({ limit: 2, rotate: true });
  feed(s, 'a', [['INVITE sip:bob SIP/2.0', 1, true]]);
  feed(s, 'b', [['INVITE sip:bob SIP/2.0', 1, true]]);
  feed(s, 'c', [['INVITE sip:bob SIP/2.0', 1, true]]);
  t.deepEqual([...s.dialogList()].map((d) => d.callId), ['b', 'c']);
  t.is(s.counters.rotatedDialogs, 1);
  t.is(s.dialog('c')?.index, 3);
});

test('-c keeps only dialogs started by an INVITE', (t) => {
  const s = newStore({ onlyInvite: true });
  feed(s, 'reg', [['REGISTER sip:example.com SIP/2.0', 1, true], ['SIP/2.0 200 OK', 1, false, { cseqMethod: 'REGISTER' }]]);
  feed(s, 'inv', [['INVITE sip:bob SIP/2.0', 1, true], ['SIP/2.0 200 OK', 1, false]]);
  t.is(s.dialogCount, 1);
  t.is(s.counters.skippedNotInvite, 2);
});

test('messages are kept in capture order even when they arrive out of order', (t) => {
  const s = newStore();
  const late = meta(true, 1);
  const early = { ...late, sec: late.sec - 1 };
  s.addMessage(msg('o', 'SIP/2.0 200 OK', 1), { ...late, src: CALLEE, dst: CALLER }, where, [], true);
  s.addMessage(msg('o', 'INVITE sip:bob SIP/2.0', 1), early, where, [], true);
  const d = s.dialog('o')!;
  t.deepEqual(d.msgs.map((r) => s.msgMethod(r) + (s.msgStatus(r) || '')), ['INVITE', 'INVITE200']);
});

test('-R compaction reclaims the rows of evicted dialogs and keeps every kept message intact', (t) => {
  const s = newStore({ limit: 2, rotate: true, compactMinRows: 4 });
  const seen: number[] = [];
  s.onCompact(({ messages }) => seen.push(messages.length));
  for (let i = 0; i < 6; i++) {
    feed(s, `c${i}`, [
      ['INVITE sip:bob SIP/2.0', 1, true],
      ['SIP/2.0 200 OK', 1, false],
      ['ACK sip:bob SIP/2.0', 1, true],
    ]);
  }
  t.true(seen.length > 0, 'compaction ran');
  t.true(s.messageRows <= 12, `rows reclaimed (${s.messageRows} left for 2 dialogs of 3)`);
  t.deepEqual([...s.dialogList()].map((d) => d.callId), ['c4', 'c5']);
  for (const d of s.dialogList()) {
    t.deepEqual(d.msgs.map((r) => s.msgMethod(r) + (s.msgStatus(r) || '')), ['INVITE', 'INVITE200', 'ACK']);
    t.is(d.state, 'IN CALL');
    t.is(s.msgMethod(d.connectMsg), 'ACK');
    const times = d.msgs.map((r) => s.msgTime(r));
    t.deepEqual(times, [...times].sort((a, b) => a - b));
  }
});
