/*
 * Statistics of one RTP stream, updated per packet in constant memory (no per-packet
 * storage): sequence accounting after RFC 3550 Appendix A.1 and interarrival jitter after
 * §6.4.1 / Appendix A.8.
 *
 *   extended highest sequence = cycles (multiples of 65536) + highest sequence seen
 *   expected = extended highest - first sequence + 1;  lost = expected - received
 *   D(i-1,i) = (R_i - R_{i-1}) - (S_i - S_{i-1})   arrival R and RTP timestamp S in clock units
 *   J += (|D| - J) / 16
 */

/** A jump of at most this many sequence numbers ahead is a gap (packets lost), RFC 3550 A.1. */
const MAX_DROPOUT = 3000;
/** A packet at most this many sequence numbers behind is late (reordered or duplicated). */
const MAX_MISORDER = 100;

export class RtpStream {
  /** Packets received (RTP only; duplicates included, as RFC 3550 counts them). */
  packets = 0;
  /** Payload bytes (after the RTP header). */
  bytes = 0;
  /** Packets whose sequence number was not the next one expected: gaps, late, duplicate, jumps. */
  sequenceErrors = 0;
  /** Packets that arrived after a later one (reordered), duplicates included. */
  late = 0;
  /** Packets whose payload type differs from the stream's first one (DTMF events, comfort noise...). */
  otherPayload = 0;
  /** Capture time of the first and last packet (seconds, nanoseconds). */
  firstSec = 0;
  firstNsec = 0;
  lastSec = 0;
  lastNsec = 0;
  /** Highest jitter and the sum of jitter values (for the mean), in RTP clock units. */
  private maxJitterUnits = 0;
  private jitterSum = 0;
  private jitterCount = 0;
  private jitter = 0;

  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  /** Expected packets of earlier sequence runs (before a resynchronisation on a jump). */
  private expectedBefore = 0;
  /** Sequence number that confirms a jump when it follows it (RFC 3550 A.1 bad_seq). */
  private badSeq = -1;

  // Previous packet of the stream's payload type, for the jitter difference.
  private prevArrival = Number.NaN;
  private prevTimestamp = 0;

  constructor(
    readonly srcIp: string,
    readonly srcPort: number,
    readonly dstIp: string,
    readonly dstPort: number,
    readonly ssrc: number,
    /** Payload type of the first packet: the stream's codec. */
    readonly payloadType: number,
    /** Encoding name from the SDP rtpmap or the static table ('' when unknown). */
    readonly codec: string,
    /** RTP clock rate of that payload type; 0 when unknown (jitter is then not computed). */
    readonly clockRate: number,
  ) {}

  /** "ip:port" (IPv6 in brackets) of the sender and of the receiver. */
  get src(): string {
    return endpointText(this.srcIp, this.srcPort);
  }
  get dst(): string {
    return endpointText(this.dstIp, this.dstPort);
  }

  /**
   * Accounts one packet. `seq` is the 16-bit sequence number, `timestamp` the 32-bit RTP
   * timestamp, the time the capture time of its arrival.
   */
  add(seq: number, timestamp: number, payloadType: number, payloadBytes: number, sec: number, nsec: number): void {
    if (this.packets === 0) {
      this.firstSec = sec;
      this.firstNsec = nsec;
      this.baseSeq = seq;
      this.maxSeq = seq;
    } else {
      this.sequence(seq);
    }
    this.packets++;
    this.bytes += payloadBytes;
    this.lastSec = sec;
    this.lastNsec = nsec;
    if (payloadType !== this.payloadType) {
      this.otherPayload++;
      return;
    }
    if (this.clockRate > 0) this.arrival(timestamp, sec, nsec);
  }

  private sequence(seq: number): void {
    const delta = (seq - this.maxSeq) & 0xffff;
    if (delta === 1) {
      if (seq < this.maxSeq) this.cycles += 65536;
      this.maxSeq = seq;
      this.badSeq = -1;
      return;
    }
    this.sequenceErrors++;
    if (delta > 0 && delta < MAX_DROPOUT) {
      // A gap: the packets between were lost (or will arrive late).
      if (seq < this.maxSeq) this.cycles += 65536;
      this.maxSeq = seq;
      this.badSeq = -1;
    } else if (delta === 0 || delta > 65536 - MAX_MISORDER) {
      this.late++;
    } else if (seq === this.badSeq) {
      // Two packets in a row after a big jump: the sender restarted its sequence. Keep what
      // was expected so far and count from here.
      this.expectedBefore += this.cycles + this.maxSeq - this.baseSeq + 1;
      this.baseSeq = (seq - 1) & 0xffff;
      this.maxSeq = seq;
      this.cycles = seq === 0 ? 65536 : 0;
      this.badSeq = -1;
    } else {
      this.badSeq = (seq + 1) & 0xffff;
    }
  }

  private arrival(timestamp: number, sec: number, nsec: number): void {
    // Arrival in clock units, relative to the first packet (keeps full double precision).
    const arrival = (sec - this.firstSec + (nsec - this.firstNsec) / 1e9) * this.clockRate;
    if (!Number.isNaN(this.prevArrival)) {
      // Timestamps wrap at 2^32: their difference read as a signed 32-bit number.
      const ts = (timestamp - this.prevTimestamp) | 0;
      const d = arrival - this.prevArrival - ts;
      this.jitter += (Math.abs(d) - this.jitter) / 16;
      if (this.jitter > this.maxJitterUnits) this.maxJitterUnits = this.jitter;
      this.jitterSum += this.jitter;
      this.jitterCount++;
    }
    this.prevArrival = arrival;
    this.prevTimestamp = timestamp;
  }

  /** Packets expected from the sequence numbers (first to highest, wraps and restarts included). */
  get expected(): number {
    return this.packets === 0 ? 0 : this.expectedBefore + this.cycles + this.maxSeq - this.baseSeq + 1;
  }

  /** Packets lost: expected minus received, never below 0 (duplicates can outnumber losses). */
  get lost(): number {
    return Math.max(0, this.expected - this.packets);
  }

  /** Lost as a percentage of expected. */
  get lossPercent(): number {
    const e = this.expected;
    return e <= 0 ? 0 : (this.lost / e) * 100;
  }

  /** Jitter now (the last value), highest and mean, in milliseconds; 0 without a clock rate. */
  get jitterMs(): number {
    return this.clockRate > 0 ? (this.jitter / this.clockRate) * 1000 : 0;
  }
  get maxJitterMs(): number {
    return this.clockRate > 0 ? (this.maxJitterUnits / this.clockRate) * 1000 : 0;
  }
  get meanJitterMs(): number {
    return this.clockRate > 0 && this.jitterCount > 0 ? (this.jitterSum / this.jitterCount / this.clockRate) * 1000 : 0;
  }

  /** Seconds from the first to the last packet. */
  get duration(): number {
    return this.lastSec - this.firstSec + (this.lastNsec - this.firstNsec) / 1e9;
  }
}

/** "ip:port", IPv6 in brackets (as the store writes endpoints). */
export function endpointText(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
