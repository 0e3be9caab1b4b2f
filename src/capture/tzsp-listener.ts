/**
 * TZSP listener (--tzsp udp:HOST:PORT, default port 37008): a remote sniffer (MikroTik
 * "packet sniffer" streaming, access points) sends each frame it captures in a TZSP
 * datagram; each becomes a Frame with the matching link type (Ethernet for MikroTik), time
 * stamped on arrival (TZSP carries no usable capture time), fileOffset -1. Datagrams that
 * are not usable are counted and skipped; nothing a sender does stops the listener.
 */
import type * as dgram from 'node:dgram';
import {
  decodeTzsp,
  newTzspPacket,
  TZSP_BAD,
  TZSP_CONTROL,
  TZSP_OK,
  TZSP_TRUNCATED,
  TZSP_UNKNOWN_ENCAPSULATION,
} from '../net/tzsp';
import type { Frame } from '../pcap/types';
import { bindUdpSocket, newArrivalClock, type EndpointSpec } from './endpoint-spec';

export interface TzspListenerCounters {
  datagrams: number;
  bytes: number;
  /** Frames handed on. */
  frames: number;
  /** Keep-alives, port openers, configuration datagrams. */
  control: number;
  /** Shorter than the header, tags running past the end, no END tag, no frame. */
  truncated: number;
  /** Not TZSP version 1, or an unknown type. */
  bad: number;
  /** Frames of an encapsulation without a pcap link type (Token Ring... see src/net/tzsp.ts). */
  unknownEncapsulation: number;
}

export function newTzspListenerCounters(): TzspListenerCounters {
  return { datagrams: 0, bytes: 0, frames: 0, control: 0, truncated: 0, bad: 0, unknownEncapsulation: 0 };
}

export interface TzspListenerOptions {
  endpoint: EndpointSpec;
  onFrame(frame: Frame): void;
  /** Capture time of a frame: the receive time unless a test injects another. */
  now?: () => { sec: number; nsec: number };
}


export class TzspListener {
  readonly counters = newTzspListenerCounters();
  readonly endpoint: EndpointSpec;
  private socket: dgram.Socket | undefined;
  private readonly packet = newTzspPacket();
  private readonly now: () => { sec: number; nsec: number };

  private constructor(private readonly options: TzspListenerOptions) {
    this.endpoint = options.endpoint;
    this.now = options.now ?? newArrivalClock();
  }

  /** Binds the endpoint; rejects with "cannot listen on udp:...: address in use; ...". */
  static async open(options: TzspListenerOptions): Promise<TzspListener> {
    const l = new TzspListener(options);
    const socket = await bindUdpSocket(options.endpoint);
    socket.on('message', (msg) => l.datagram(msg));
    socket.on('error', () => undefined);
    l.socket = socket;
    return l;
  }

  get port(): number {
    return this.socket?.address().port ?? this.endpoint.port;
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** One datagram (exposed for tests that feed bytes without a socket). */
  datagram(msg: Buffer): void {
    const c = this.counters;
    c.datagrams++;
    c.bytes += msg.length;
    const p = this.packet;
    const status = decodeTzsp(msg, p);
    switch (status) {
      case TZSP_OK: {
        const t = this.now();
        // `msg` is this datagram's own buffer: the frame can be a view of it.
        const data = msg.subarray(p.frameAt);
        c.frames++;
        this.options.onFrame({ linktype: p.linktype, sec: t.sec, nsec: t.nsec, data, origLen: data.length, fileOffset: -1, ifIndex: 0 });
        return;
      }
      case TZSP_CONTROL:
        c.control++;
        return;
      case TZSP_TRUNCATED:
        c.truncated++;
        return;
      case TZSP_BAD:
        c.bad++;
        return;
      case TZSP_UNKNOWN_ENCAPSULATION:
        c.unknownEncapsulation++;
        return;
    }
  }
}
