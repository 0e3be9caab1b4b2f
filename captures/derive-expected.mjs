#!/usr/bin/env node
// Derives captures/expected.json from the recorded captures with tshark.
//
//   node captures/derive-expected.mjs captures/demo-udp.pcap captures/demo-tcp.pcap > captures/expected.json
//
// Every number comes from tshark's dissection of the file:
//   tshark -r FILE -Y sip -T json --no-duplicate-keys -J "frame sip"
// Each SIP message is one "sip" layer (a TCP segment carrying two messages has two);
// messages are grouped into dialogs by Call-ID, in frame order.  Per dialog:
//   fromUser/toUser, fromName/toName   sip.from.user / sip.to.user / *.display.info of its first message
//   method                             the method of its first request (INVITE, REGISTER)
//   finalStatus                        the last final (>= 200) response to that method, null if none
//   messages                           SIP messages of the dialog (retransmissions included)
//   retransmissions                    of these, the ones tshark flags as resent (sip.resend == 1)
//   sequence                           the messages in order: methods and status codes
//   state                              sngrep 1.6.0's call state, replayed from that sequence with
//                                      sngrep's own rules (call_update_state in src/sip_call.c):
//                                      "" unless the first message is an INVITE; INVITE -> CALL SETUP;
//                                      in CALL SETUP: ACK with the INVITE's CSeq -> IN CALL,
//                                      CANCEL -> CANCELLED, 480/486/600 -> BUSY,
//                                      > 400 with the INVITE's CSeq -> REJECTED, > 300 -> DIVERTED;
//                                      in IN CALL: BYE -> COMPLETED.
// Totals: sipMessages (all SIP messages), dialogs (distinct Call-IDs), frames (frames with SIP).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: derive-expected.mjs FILE.pcap...');
  process.exit(2);
}

/** First value of `key` found depth-first in a tshark JSON layer. */
function find(obj, key) {
  if (obj === null || typeof obj !== 'object') return undefined;
  if (Object.prototype.hasOwnProperty.call(obj, key)) {
    const v = obj[key];
    return Array.isArray(v) ? v[0] : v;
  }
  for (const v of Object.values(obj)) {
    const r = find(v, key);
    if (r !== undefined) return r;
  }
  return undefined;
}

const unquote = (s) => (s === undefined ? undefined : s.replace(/^"(.*)"$/, '$1'));

function sngrepState(msgs) {
  if (msgs.length === 0 || msgs[0].method !== 'INVITE') return '';
  let state = '';
  let inviteCseq = -1;
  for (const m of msgs) {
    const rr = m.method ?? m.status; // sngrep's reqresp: a method or a status code
    if (state === '') {
      if (rr === 'INVITE') { inviteCseq = m.cseq; state = 'CALL SETUP'; }
    } else if (state === 'CALL SETUP') {
      if (rr === 'ACK' && m.cseq === inviteCseq) state = 'IN CALL';
      else if (rr === 'CANCEL') state = 'CANCELLED';
      else if (rr === 480 || rr === 486 || rr === 600) state = 'BUSY';
      else if (typeof rr === 'number' && rr > 400 && m.cseq === inviteCseq) state = 'REJECTED';
      else if (typeof rr === 'number' && rr > 300) state = 'DIVERTED';
    } else if (state === 'IN CALL') {
      if (rr === 'BYE') state = 'COMPLETED';
    } else if (rr === 'INVITE') {
      inviteCseq = m.cseq; state = 'CALL SETUP';
    }
  }
  return state;
}

function linkType(file) {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  if (magic === 0xa1b2c3d4) return { format: 'pcap', linkType: b.readUInt32LE(20) };
  if (magic === 0xd4c3b2a1) return { format: 'pcap', linkType: b.readUInt32BE(20) };
  return { format: 'other', linkType: null };
}

const out = { generatedBy: 'captures/derive-expected.mjs from tshark output', tshark: '', files: {} };
out.tshark = execFileSync('tshark', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];

for (const file of files) {
  const json = execFileSync('tshark', ['-r', file, '-Y', 'sip', '-T', 'json', '--no-duplicate-keys', '-J', 'frame sip'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const frames = JSON.parse(json);
  const messages = [];
  for (const f of frames) {
    const layers = f._source.layers;
    const frameNo = Number(find(layers.frame, 'frame.number'));
    const sips = Array.isArray(layers.sip) ? layers.sip : [layers.sip];
    for (const s of sips) {
      const method = find(s, 'sip.Method');
      const status = find(s, 'sip.Status-Code');
      messages.push({
        frame: frameNo,
        callId: find(s, 'sip.Call-ID'),
        method: method,
        status: status === undefined ? undefined : Number(status),
        cseq: Number(find(s, 'sip.CSeq.seq')),
        cseqMethod: find(s, 'sip.CSeq.method'),
        fromUser: find(s, 'sip.from.user'),
        toUser: find(s, 'sip.to.user'),
        fromName: unquote(find(s, 'sip.from.display.info')),
        toName: unquote(find(s, 'sip.to.display.info')),
        resend: find(s, 'sip.resend') === '1',
      });
    }
  }
  const byCallId = new Map();
  for (const m of messages) {
    if (!byCallId.has(m.callId)) byCallId.set(m.callId, []);
    byCallId.get(m.callId).push(m);
  }
  const dialogs = [];
  for (const [callId, msgs] of byCallId) {
    const first = msgs[0];
    const firstRequest = msgs.find((m) => m.method !== undefined);
    const method = firstRequest ? firstRequest.method : first.cseqMethod;
    const finals = msgs.filter((m) => m.status !== undefined && m.status >= 200 && m.cseqMethod === method);
    dialogs.push({
      callId,
      fromUser: first.fromUser,
      fromName: first.fromName ?? null,
      toUser: first.toUser,
      toName: first.toName ?? null,
      method,
      state: sngrepState(msgs),
      finalStatus: finals.length ? finals[finals.length - 1].status : null,
      messages: msgs.length,
      retransmissions: msgs.filter((m) => m.resend).length,
      firstFrame: first.frame,
      sequence: msgs.map((m) => (m.method !== undefined ? m.method : `${m.status} ${m.cseqMethod}`)),
    });
  }
  const lt = linkType(file);
  out.files[path.basename(file)] = {
    format: lt.format,
    linkType: lt.linkType,
    linkTypeName: lt.linkType === 1 ? 'EN10MB (Ethernet)' : lt.linkType === 0 ? 'NULL (BSD loopback)' : String(lt.linkType),
    totals: {
      sipMessages: messages.length,
      dialogs: byCallId.size,
      frames: frames.length,
      retransmissions: messages.filter((m) => m.resend).length,
    },
    dialogs,
  };
}

process.stdout.write(JSON.stringify(out, null, 2) + '\n');
