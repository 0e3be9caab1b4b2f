import type { RtpStream } from './rtp-stream';

/** At most this many RTP streams are followed per dialog; packets of more are counted only. */
export const MAX_STREAMS_PER_DIALOG = 64;

/** The media of one dialog: RTP streams tied to it through its SDP, and RTCP seen. */
export class DialogMedia {
  /** Streams in order of their first packet. */
  readonly streams: RtpStream[] = [];
  /** RTCP packets (RFC 3550 §6) to or from the dialog's media endpoints. */
  rtcpPackets = 0;
  /** RTP packets of streams beyond MAX_STREAMS_PER_DIALOG, not analysed. */
  unfollowedPackets = 0;
}

/** What the tracker ties endpoints to (a dialog): its media are made at the first packet. */
export interface MediaOwner {
  media: DialogMedia | undefined;
}

/** Capture-wide RTP counters (the summary, and "does this capture carry RTP at all"). */
export interface RtpCounters {
  /** RTP packets tied to a dialog through its SDP. */
  rtpPackets: number;
  /** RTCP packets to or from SDP media endpoints (the RTP port with rtcp-mux, or port + 1). */
  rtcpPackets: number;
  /** RTP streams (source, destination, SSRC) followed. */
  streams: number;
}

export function newRtpCounters(): RtpCounters {
  return { rtpPackets: 0, rtcpPackets: 0, streams: 0 };
}
