import type { Dialog } from '../store/dialog';
import type { DialogStore } from '../store/store';
import type { RtpStream } from '../rtp/rtp-stream';
import { endpointText } from '../rtp/rtp-stream';
import { normaliseAddress } from '../rtp/sdp-media';
import { endpointIp, type MessageInfo } from './dialog-messages';

/*
 * Findings about the media of a dialog, from its RTP streams (rtp/) and its SDP:
 *   one-way-audio  answered call, RTP seen in one direction only
 *   no-rtp         an SDP media endpoint with no RTP to or from it, while the capture
 *                  does carry RTP (a capture of signalling only says nothing)
 *   rtp-loss       a stream lost more than RTP_LOSS_PERCENT of its packets
 *   rtp-jitter     a stream's interarrival jitter (RFC 3550 §6.4.1) peaked above RTP_JITTER_MS
 */

/** Loss above this percentage of the expected packets is reported. */
export const RTP_LOSS_PERCENT = 5;
/** A jitter peak above this many milliseconds is reported (audio starts to break up around there). */
export const RTP_JITTER_MS = 30;
/** Streams shorter than this many packets are too short to judge loss or jitter. */
const MIN_PACKETS = 10;

export interface MediaFinding {
  label: string;
  text: string;
}

interface SdpEndpoint {
  /** "ip:port" as packets show it. */
  endpoint: string;
  media: string;
  /** The message that announced it: INVITE, 200 OK, ... */
  where: string;
  side: 'caller' | 'callee';
}

function messageName(m: MessageInfo): string {
  return m.isRequest ? m.method : `${m.status}${m.phrase !== '' ? ' ' + m.phrase : ''}`;
}

function ms(x: number): string {
  return `${x.toFixed(1)} ms`;
}

function describe(s: RtpStream): string {
  return `${s.src} -> ${s.dst} (${s.codec !== '' ? s.codec : `PT ${s.payloadType}`}, SSRC 0x${s.ssrc.toString(16).padStart(8, '0')})`;
}

/**
 * The media findings of a dialog. `msgs` are its messages as the analysis reads them (SDP
 * parsed when the bytes were readable).
 */
export function mediaFindings(store: DialogStore, dialog: Dialog, msgs: readonly MessageInfo[]): MediaFinding[] {
  const out: MediaFinding[] = [];
  const streams = dialog.media?.streams ?? [];
  for (const s of streams) {
    if (s.packets < MIN_PACKETS) continue;
    if (s.lossPercent > RTP_LOSS_PERCENT) {
      out.push({
        label: 'rtp-loss',
        text: `RTP ${describe(s)} lost ${s.lost} of ${s.expected} packets (${s.lossPercent.toFixed(1)}%) over ${s.duration.toFixed(1)} s: audio breaks up; look for congestion or a saturated link on the path`,
      });
    }
    if (s.maxJitterMs > RTP_JITTER_MS) {
      out.push({
        label: 'rtp-jitter',
        text: `RTP ${describe(s)} jitter peaked at ${ms(s.maxJitterMs)} (mean ${ms(s.meanJitterMs)}): packets arrive unevenly, a jitter buffer this deep adds delay or drops them`,
      });
    }
  }
  // Media endpoints matter only once the call was answered: an offer to a call that was
  // rejected or cancelled never carries media.
  if (dialog.connectMsg < 0) return out;
  // The caller's side: messages from where the dialog started or towards where it went
  // (ports may change); by address when the two sides have different ones.
  const callerIp = endpointIp(dialog.src);
  const calleeIp = endpointIp(dialog.dst);
  const sideOf = (m: MessageInfo): SdpEndpoint['side'] =>
    m.src === dialog.src || m.dst === dialog.dst || (callerIp !== calleeIp && m.srcIp === callerIp) ? 'caller' : 'callee';
  const endpoints: SdpEndpoint[] = [];
  let onHold = false;
  for (const m of msgs) {
    if (m.sdp === null) continue;
    for (const media of m.sdp.media) {
      if (media.port === 0 || media.connection === '' || media.connection === '0.0.0.0') continue;
      if (media.direction !== 'sendrecv') onHold = true;
      if (media.direction === 'inactive') continue;
      const endpoint = endpointText(normaliseAddress(media.connection), media.port);
      if (endpoints.some((e) => e.endpoint === endpoint)) continue;
      endpoints.push({ endpoint, media: media.media, where: messageName(m), side: sideOf(m) });
    }
  }
  if (endpoints.length === 0) return out;

  const sideAt = (ep: string): SdpEndpoint['side'] | undefined => endpoints.find((e) => e.endpoint === ep)?.side;
  let toCallee = 0;
  let toCaller = 0;
  let sample: Record<'caller' | 'callee', RtpStream | undefined> = { caller: undefined, callee: undefined };
  for (const s of streams) {
    const dst = sideAt(s.dst);
    const src = sideAt(s.src);
    const to = dst ?? (src === 'caller' ? 'callee' : src === 'callee' ? 'caller' : undefined);
    if (to === 'callee') {
      toCallee += s.packets;
      sample = { ...sample, caller: sample.caller ?? s };
    } else if (to === 'caller') {
      toCaller += s.packets;
      sample = { ...sample, callee: sample.callee ?? s };
    }
  }
  if (!onHold && (toCallee > 0) !== (toCaller > 0)) {
    const from = toCallee > 0 ? 'caller' : 'callee';
    const to = from === 'caller' ? 'callee' : 'caller';
    const s = sample[from]!;
    const back = endpoints.filter((e) => e.side === from && e.media === 'audio').map((e) => e.endpoint);
    out.push({
      label: 'one-way-audio',
      text:
        `one-way audio: RTP only from the ${from} (${s.src} -> ${s.dst}, ${toCallee + toCaller} packets over ${s.duration.toFixed(1)} s), ` +
        `nothing from the ${to}${back.length > 0 ? ` back to ${back.join(', ')}` : ''}: ` +
        `the ${to} is not heard: it does not send, or its RTP is blocked or goes to another address (firewall, NAT, wrong c= address)`,
    });
  }

  if (store.rtp.rtpPackets === 0) return out;
  const silent = endpoints.filter((e) => !streams.some((s) => s.src === e.endpoint || s.dst === e.endpoint));
  if (silent.length > 0) {
    const others = streams.reduce((n, s) => n + s.packets, 0);
    out.push({
      label: 'no-rtp',
      text:
        `no RTP to or from ${silent.map((e) => `${e.media} ${e.endpoint} (${e.where})`).join(', ')}` +
        (others > 0 ? ` while ${others} RTP packets flowed on the call's other streams` : ', although the capture carries RTP of other calls') +
        `: the media never started there, or goes to another address (firewall, NAT, wrong c= address or port)`,
    });
  }
  return out;
}
