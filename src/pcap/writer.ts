/**
 * Classic pcap writing (draft-ietf-opsawg-pcap): pure byte builders, no I/O. Files are
 * written little-endian, version 2.4; the layouts are described in reader.ts.
 */

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_VERSION_MAJOR = 2;
const PCAP_VERSION_MINOR = 4;
const PCAP_FILE_HEADER_LEN = 24;
const PCAP_RECORD_HEADER_LEN = 16;
const LINKTYPE_ETHERNET = 1;
/** tcpdump's default snap length. */
export const DEFAULT_SNAPLEN = 262144;

export interface PcapHeaderOptions {
  /** Nanosecond timestamps (magic 0xA1B23C4D) instead of microseconds. */
  nanos?: boolean;
  /** Snap length written in the header (default 262144). */
  snaplen?: number;
}

/** The 24-byte pcap file header for one link type. */
export function pcapFileHeader(linktype: number, opts: PcapHeaderOptions = {}): Buffer {
  const b = Buffer.alloc(PCAP_FILE_HEADER_LEN);
  b.writeUInt32LE(opts.nanos === true ? PCAP_MAGIC_NS : PCAP_MAGIC_US, 0);
  b.writeUInt16LE(PCAP_VERSION_MAJOR, 4);
  b.writeUInt16LE(PCAP_VERSION_MINOR, 6);
  // 8: reserved1 (thiszone), 12: reserved2 (sigfigs): zero
  b.writeUInt32LE((opts.snaplen ?? DEFAULT_SNAPLEN) >>> 0, 16);
  b.writeUInt32LE(linktype >>> 0, 20);
  return b;
}

/**
 * One record: 16-byte header and the data. `nsec` is nanoseconds within the second; a
 * microsecond file (`nanos` false, the default) truncates it to microseconds. `origLen`
 * defaults to the data's length.
 */
export function pcapRecord(sec: number, nsec: number, data: Buffer, origLen?: number, nanos?: boolean): Buffer {
  const b = Buffer.allocUnsafe(PCAP_RECORD_HEADER_LEN + data.length);
  writeRecordHeader(b, sec, nsec, data.length, origLen ?? data.length, nanos === true);
  data.copy(b, PCAP_RECORD_HEADER_LEN);
  return b;
}

function writeRecordHeader(b: Buffer, sec: number, nsec: number, caplen: number, origLen: number, nanos: boolean): void {
  const frac = nanos ? nsec : Math.floor(nsec / 1000);
  b.writeUInt32LE(sec >>> 0, 0);
  b.writeUInt32LE(frac >>> 0, 4);
  b.writeUInt32LE(caplen, 8);
  b.writeUInt32LE(Math.max(origLen, caplen) >>> 0, 12);
}

/** What the stream writer needs of a frame (a `Frame` fits). */
export interface PcapPacket {
  /** Link type of the frame; must match the file's. Omitted: taken as the file's. */
  linktype?: number;
  sec: number;
  nsec: number;
  data: Buffer;
  origLen?: number;
}

export interface PcapStreamOptions extends PcapHeaderOptions {
  /** The file's link type; when omitted, the first packet's (or `start()`'s) decides. */
  linktype?: number;
}

/**
 * Writes a pcap stream through a `write` function: the file header once (before the first
 * packet, or at `start()` for a file that may stay empty), then one record per packet.
 * A classic pcap file holds one link type: a packet of another link type is not written
 * and is counted in `skipped`.
 */
export class PcapStreamWriter {
  private linktype: number | undefined;
  private headerWritten = false;
  private readonly nanos: boolean;
  private readonly snaplen: number;
  private _packets = 0;
  private _bytes = 0;
  private _skipped = 0;

  constructor(
    private readonly write: (buf: Buffer) => void,
    opts: PcapStreamOptions = {},
  ) {
    this.linktype = opts.linktype;
    this.nanos = opts.nanos === true;
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  }

  /** Packets written. */
  get packets(): number {
    return this._packets;
  }

  /** Bytes written, header included. */
  get bytes(): number {
    return this._bytes;
  }

  /** Packets not written because their link type differs from the file's. */
  get skipped(): number {
    return this._skipped;
  }

  /** The file's link type, once known. */
  get fileLinktype(): number | undefined {
    return this.linktype;
  }

  /**
   * Writes the header now (if not yet written). The link type is the one set in the options,
   * else `linktype`, else Ethernet (1).
   */
  start(linktype?: number): void {
    if (this.headerWritten) return;
    const lt = this.linktype ?? linktype ?? LINKTYPE_ETHERNET;
    this.linktype = lt;
    this.emit(pcapFileHeader(lt, { nanos: this.nanos, snaplen: this.snaplen }));
    this.headerWritten = true;
  }

  /** Writes one packet; false when it was skipped for its link type. */
  writePacket(p: PcapPacket): boolean {
    if (!this.headerWritten) this.start(p.linktype);
    if (p.linktype !== undefined && p.linktype !== this.linktype) {
      this._skipped++;
      return false;
    }
    const data = this.snaplen > 0 && p.data.length > this.snaplen ? p.data.subarray(0, this.snaplen) : p.data;
    this.emit(pcapRecord(p.sec, p.nsec, data, p.origLen ?? p.data.length, this.nanos));
    this._packets++;
    return true;
  }

  private emit(buf: Buffer): void {
    this.write(buf);
    this._bytes += buf.length;
  }
}
