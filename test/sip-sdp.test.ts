import test from 'ava';
import { multipartBoundary, parseSdp, sdpText } from '../src/sip/sdp';

// RFC 3264 §10.1 style offer: session-level c=, two media.
const OFFER = [
  'v=0',
  'o=carol 28908764872 28908764872 IN IP4 100.3.6.6',
  's=-',
  't=0 0',
  'c=IN IP4 192.0.2.4',
  'm=audio 0 RTP/AVP 0 1 3',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:1 1016/8000',
  'a=rtpmap:3 GSM/8000',
  'm=video 0 RTP/AVP 31 34',
  'a=rtpmap:31 H261/90000',
  'a=rtpmap:34 H263/90000',
  '',
].join('\r\n');

test('origin, session c= inherited by media, m= fields and rtpmap', (t) => {
  const sdp = parseSdp(OFFER);
  t.is(sdp.origin, 'carol 28908764872 28908764872 IN IP4 100.3.6.6');
  t.is(sdp.connection, '192.0.2.4');
  t.is(sdp.media.length, 2);
  const [audio, video] = sdp.media;
  t.is(audio?.media, 'audio');
  t.is(audio?.port, 0);
  t.is(audio?.proto, 'RTP/AVP');
  t.deepEqual(audio?.formats, ['0', '1', '3']);
  t.is(audio?.connection, '192.0.2.4');
  t.deepEqual([...(audio?.rtpmap ?? [])], [['0', 'PCMU/8000'], ['1', '1016/8000'], ['3', 'GSM/8000']]);
  t.is(audio?.direction, 'sendrecv');
  t.is(video?.media, 'video');
  t.deepEqual([...(video?.rtpmap ?? [])], [['31', 'H261/90000'], ['34', 'H263/90000']]);
});

test('media-level c= overrides the session one; TTL and address counts removed', (t) => {
  const sdp = parseSdp(
    [
      'v=0',
      'o=- 20518 0 IN IP4 203.0.113.1',
      's=-',
      'c=IN IP4 224.2.1.1/127/3',
      't=0 0',
      'm=audio 49170 RTP/AVP 0',
      'c=IN IP4 198.51.100.7',
      'm=audio 49172 RTP/AVP 8',
      'a=rtpmap:8 PCMA/8000',
    ].join('\n'),
  );
  t.is(sdp.connection, '224.2.1.1');
  t.is(sdp.media[0]?.connection, '198.51.100.7');
  t.is(sdp.media[1]?.connection, '224.2.1.1');
  t.is(sdp.media[1]?.port, 49172);
});

test('IPv6 connection addresses', (t) => {
  const sdp = parseSdp(
    [
      'v=0',
      'o=bob 2808844564 2808844564 IN IP6 2001:db8::2',
      's=',
      'c=IN IP6 2001:db8::2',
      't=0 0',
      'm=audio 49174 RTP/AVP 0 101',
      'a=rtpmap:101 telephone-event/8000',
      'm=video 49176 RTP/AVP 96',
      'c=IN IP6 FF15::101/3',
      'a=rtpmap:96 H264/90000',
    ].join('\r\n'),
  );
  t.is(sdp.connection, '2001:db8::2');
  t.is(sdp.media[0]?.connection, '2001:db8::2');
  t.is(sdp.media[0]?.rtpmap.get('101'), 'telephone-event/8000');
  t.is(sdp.media[1]?.connection, 'FF15::101');
});

test('direction: session level inherited, media level wins, default sendrecv', (t) => {
  const sdp = parseSdp(
    [
      'v=0',
      'o=alice 1 2 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'a=sendonly',
      'm=audio 49170 RTP/AVP 0',
      'm=audio 49172 RTP/AVP 0',
      'a=inactive',
      'm=video 51372 RTP/AVP 31',
      'a=recvonly',
    ].join('\r\n'),
  );
  t.deepEqual(sdp.media.map((m) => m.direction), ['sendonly', 'inactive', 'recvonly']);
  t.is(parseSdp('v=0\r\nm=audio 1 RTP/AVP 0\r\n').media[0]?.direction, 'sendrecv');
  t.is(parseSdp('v=0\r\nm=audio 1 RTP/AVP 0\r\na=sendrecv\r\n').media[0]?.direction, 'sendrecv');
});

test('rtpmap with channels; rtpmap for a format not listed is kept; session rtpmap ignored', (t) => {
  const sdp = parseSdp('v=0\r\na=rtpmap:0 PCMU/8000\r\nm=audio 5004 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:9 G722/8000\r\n');
  t.deepEqual([...(sdp.media[0]?.rtpmap ?? [])], [['111', 'opus/48000/2'], ['9', 'G722/8000']]);
});

test('tolerant of junk lines, empty bodies and garbage; never throws', (t) => {
  const sdp = parseSdp(
    ['v=0', 'garbage line', '', '=nothing', 'o=', 'c=IN', 'm=audio notaport RTP/AVP', 'a=rtpmap:', 'a=rtpmap:0', 'x', 'c=IN IP4 10.0.0.1'].join('\r\n'),
  );
  t.is(sdp.media.length, 1);
  t.is(sdp.media[0]?.port, 0);
  t.deepEqual(sdp.media[0]?.formats, []);
  t.is(sdp.media[0]?.connection, '10.0.0.1');
  t.deepEqual(parseSdp(''), { origin: '', connection: '', media: [] });
  for (const s of ['\0\0\0', 'm=', 'a=', 'c=IN IP4', 'm=audio', 'o=a b c', '\r\r\n\n', 'a=rtpmap:x']) {
    t.notThrows(() => parseSdp(s));
  }
});

test('sdpText: plain SDP body, multipart part, neither', (t) => {
  const body = Buffer.from(
    ['--boundary1', 'Content-Type: application/sdp', '', OFFER.trimEnd(), '--boundary1', 'Content-Type: application/isup', '', 'xx', '--boundary1--', ''].join('\r\n'),
  );
  t.is(multipartBoundary('multipart/mixed; boundary=boundary1'), 'boundary1');
  t.is(multipartBoundary('multipart/mixed;BOUNDARY="boundary1"'), 'boundary1');
  t.is(sdpText('multipart/mixed;boundary=boundary1', body), OFFER.trimEnd());
  t.is(sdpText('Application/SDP', Buffer.from(OFFER)), OFFER);
  t.is(sdpText('text/plain', Buffer.from(OFFER)), null);
  t.is(sdpText('multipart/mixed', body), null);
  t.is(parseSdp(sdpText('multipart/mixed;boundary=boundary1', body) ?? '').media.length, 2);
});
