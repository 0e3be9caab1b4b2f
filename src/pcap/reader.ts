import type { Frame, ReadIssue } from './types';

/**
 * Streaming reader for classic pcap and pcapng captures.
 *
 * Push-based and total: bytes arrive in chunks of any size (down to one byte); frames and
 * issues come out through the sink as soon as a whole record is available. Malformed input
 * becomes a `ReadIssue`, never an exception; every parsing step consumes at least 12 bytes,
 * so no input makes it loop forever.
 *
 * Memory: between chunks only the unfinished record is kept (the tail of the last chunk, plus
 * the later chunks that do not complete it yet). A record that straddles two chunks is copied
 * once, alone; every other frame's `data` is a `subarray` view into the chunk that was pushed.
 * The reader never writes into a buffer it handed out, so a view stays valid as long as the
 * consumer holds it (it also keeps the whole chunk alive: copy what you keep for long).
 * The reader keeps references to pushed chunks rather than copies: do not modify a chunk
 * after pushing it.
 *
 * References: draft-ietf-opsawg-pcap (classic pcap) and draft-ietf-opsawg-pcapng (pcapng);
 * section numbers below are those of the pcapng draft.
 */

/** The consumer of a reader's output. */
export interface CaptureSink {
  onFrame(frame: Frame): void;
  onIssue(issue: ReadIssue): void;
}

// ---------------------------------------------------------------------------------------
// Classic pcap (draft-ietf-opsawg-pcap, sections 4 and 5)
//
// File header, 24 bytes, in the writer's byte order:
//    0  magic           0xA1B2C3D4 (µs timestamps) or 0xA1B23C4D (ns timestamps)
//    4  major version   u16 (2)
//    6  minor version   u16 (4)
//    8  reserved1       u32 (was thiszone)
//   12  reserved2       u32 (was sigfigs)
//   16  snaplen         u32
//   20  linktype        u32: link type in the low 16 bits, FCS length / flags above
// Record header, 16 bytes, followed by caplen bytes of packet data:
//    0  ts seconds      u32
//    4  ts fraction     u32 (µs or ns, by the magic)
//    8  caplen          u32 (bytes of data that follow)
//   12  origlen         u32 (length on the wire)
// ---------------------------------------------------------------------------------------
const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_FILE_HEADER_LEN = 24;
const PCAP_RECORD_HEADER_LEN = 16;
/** Only the low 16 bits of the header's link type field are the LINKTYPE (pcap draft §4). */
const PCAP_LINKTYPE_MASK = 0xffff;

// ---------------------------------------------------------------------------------------
// pcapng (draft-ietf-opsawg-pcapng)
//
// Every block (§3.1): type u32, total length u32, body, total length u32 again; the total
// length counts all of it, is a multiple of 4 and at least 12.
// ---------------------------------------------------------------------------------------

/**
 * Section Header Block (§4.1):
 *    0 type 0x0A0D0D0A (a palindrome: reads the same in both byte orders)
 *    4 total length    8 byte-order magic 0x1A2B3C4D (decides the section's byte order)
 *   12 major u16 (1)  14 minor u16   16 section length i64 (-1: unknown)   24 options
 */
const BLOCK_SHB = 0x0a0d0d0a;
const SHB_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const SHB_MIN_LEN = 28;
/**
 * Interface Description Block (§4.2):
 *    8 link type u16  10 reserved u16  12 snaplen u32  16 options
 * Options used: if_tsresol (code 9, 1 byte: bit 7 clear → 10^-n s, set → 2^-n s; default
 * 10^-6) and if_tsoffset (code 14, i64 seconds added to every timestamp).
 */
const BLOCK_IDB = 0x00000001;
const IDB_MIN_LEN = 20;
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/**
 * Packet Block, obsolete (Appendix A):
 *    8 interface id u16  10 drops count u16  12 ts high u32  16 ts low u32
 *   20 caplen u32  24 original length u32  28 data (padded to 4), options
 */
const BLOCK_OPB = 0x00000002;
/** Simple Packet Block (§4.4): 8 original length u32, 12 data (padded to 4); interface 0, no timestamp. */
const BLOCK_SPB = 0x00000003;
const SPB_MIN_LEN = 16;
/**
 * Enhanced Packet Block (§4.3):
 *    8 interface id u32  12 ts high u32  16 ts low u32  20 caplen u32  24 original length u32
 *   28 data (padded to 4), options
 */
const BLOCK_EPB = 0x00000006;
/** EPB and OPB share the same 28-byte head and 4-byte trailer. */
const PACKET_BLOCK_MIN_LEN = 32;
const PACKET_BLOCK_DATA = 28;
// Blocks that are skipped by their length: Name Resolution (4, §4.5), Interface Statistics
// (5, §4.6), Decryption Secrets (0x0A, §4.7), Custom (0x0BAD / 0x40000BAD, §4.8), and any
// other or future type.

const PCAPNG_BLOCK_HEADER_LEN = 8;
const PCAPNG_MIN_BLOCK_LEN = 12;

/** A record or block longer than this is taken as corruption rather than data. */
const MAX_RECORD_LEN = 64 * 1024 * 1024;
/** How far back the quirk handling looks for the real start of the second record. */
const MAX_SLACK = 64;
const SECONDS_PER_DAY = 86400;
/** Non-fatal issues reported per input before the rest are summarised in one last issue. */
const MAX_REPORTED_ISSUES = 100;

const TWO_POW_32 = 4294967296;
/** 10^9 / 2^9: lets µs..ns fractions of binary timestamps stay exact in a double. */
const FIVE_POW_9 = 1953125;

type Phase = 'magic' | 'pcap-header' | 'pcap-records' | 'pcapng' | 'failed';

/** One pcapng interface, as its IDB describes it. */
interface Interface {
  linktype: number;
  snaplen: number;
  /** Timestamp units: 10^-exp s (decimal) or 2^-exp s (binary). */
  binary: boolean;
  exp: number;
  /** if_tsoffset, seconds. */
  offset: number;
}

/**
 * Reads pcap or pcapng bytes into frames. See the file comment for the contract; the
 * property `failed` tells whether a fatal issue ended the input (later pushes are ignored).
 */
export class CaptureReader {
  private _format: 'pcap' | 'pcapng' | undefined;
  private _failed = false;
  private _bytesRead = 0;

  private phase: Phase = 'magic';
  /** Absolute input offset of the first byte not yet consumed (the start of `pending`). */
  private offset = 0;
  /** Bytes not consumed yet, in order; their total is `pendingLen`. */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Bytes needed, counted from `offset`, before parsing can go on. */
  private need = 4;

  // classic pcap state
  private headerLE = true;
  private recordLE = true;
  private nanos = false;
  private snaplen = 0;
  private linktype = 0;
  private firstRecordSeen = false;
  /**
   * Bytes by which this file's record lengths overstate the data (0 for sane files); learnt
   * from the first record of a file with the mixed byte-order quirk (see learnSlack).
   */
  private slack = 0;
  /** The first record of a quirky file waits for the next record header to learn `slack`. */
  private probeSlack = false;
  /** end() was called: a probe gives up waiting for more bytes. */
  private atEnd = false;

  // pcapng state: byte order of the current section and its interfaces
  private sectionLE = true;
  private interfaces: (Interface | undefined)[] = [];
  private sectionCount = 0;

  // timestamp conversion output (avoids allocating a pair per frame)
  private tsSec = 0;
  private tsNsec = 0;

  private issuesReported = 0;

  constructor(private readonly sink: CaptureSink) {}

  get format(): 'pcap' | 'pcapng' | undefined {
    return this._format;
  }

  get failed(): boolean {
    return this._failed;
  }

  /** Bytes pushed before the input ended or failed. */
  get bytesRead(): number {
    return this._bytesRead;
  }

  /** Feeds the next bytes of the input (any size). */
  push(chunk: Buffer): void {
    if (this._failed || this.phase === 'failed' || chunk.length === 0) return;
    this._bytesRead += chunk.length;
    try {
      this.feed(chunk);
    } catch (err) {
      this.internalError(err);
    }
  }

  /** Declares the end of the input; reports an unfinished record. */
  end(): void {
    if (this._failed) return;
    try {
      this.finish();
    } catch (err) {
      this.internalError(err);
    }
  }

  // -------------------------------------------------------------------------------------
  // chunk handling

  private feed(chunk: Buffer): void {
    let cpos = 0;
    // First complete the record left over from earlier chunks, copying only that record.
    while (this.pendingLen > 0) {
      const avail = chunk.length - cpos;
      if (this.pendingLen + avail < this.need) {
        this.pending.push(cpos === 0 ? chunk : chunk.subarray(cpos));
        this.pendingLen += avail;
        return;
      }
      const take = this.need - this.pendingLen;
      this.pending.push(chunk.subarray(cpos, cpos + take));
      cpos += take;
      const joined = Buffer.concat(this.pending, this.pendingLen + take);
      this.pending = [];
      this.pendingLen = 0;
      const used = this.parse(joined);
      if (this._failed) return;
      if (used < joined.length) {
        this.pending.push(joined.subarray(used));
        this.pendingLen = joined.length - used;
      }
    }
    if (cpos >= chunk.length) return;
    const rest = cpos === 0 ? chunk : chunk.subarray(cpos);
    const used = this.parse(rest);
    if (this._failed) return;
    if (used < rest.length) {
      this.pending.push(rest.subarray(used));
      this.pendingLen = rest.length - used;
    }
  }

  /**
   * Parses as much of `buf` (which starts at `this.offset`) as possible; returns the number
   * of bytes consumed and advances `offset`. When it stops early, `need` is the number of
   * bytes (from the new `offset`) required to go on; it is always more than what is left.
   */
  private parse(buf: Buffer): number {
    let pos = 0;
    for (;;) {
      let used: number;
      switch (this.phase) {
        case 'magic':
          used = this.parseMagic(buf, pos);
          break;
        case 'pcap-header':
          used = this.parsePcapHeader(buf, pos);
          break;
        case 'pcap-records':
          used = this.parsePcapRecords(buf, pos);
          break;
        case 'pcapng':
          used = this.parsePcapngBlocks(buf, pos);
          break;
        case 'failed':
          return buf.length;
      }
      if (used === 0) {
        if (this._failed) return buf.length;
        return pos;
      }
      pos += used;
      this.offset += used;
      if (pos >= buf.length) {
        if (!this._failed) this.need = this.minimumNeed();
        return pos;
      }
    }
  }

  /** Bytes any next step needs at least (used when a buffer ended exactly on a boundary). */
  private minimumNeed(): number {
    switch (this.phase) {
      case 'magic':
        return 4;
      case 'pcap-header':
        return PCAP_FILE_HEADER_LEN;
      case 'pcap-records':
        return PCAP_RECORD_HEADER_LEN;
      default:
        return PCAPNG_BLOCK_HEADER_LEN;
    }
  }

  private finish(): void {
    this.atEnd = true;
    if (this.probeSlack && this.pendingLen > 0) {
      // A quirky file's only record: stop waiting for a next header that will not come.
      const joined = Buffer.concat(this.pending, this.pendingLen);
      this.pending = [];
      this.pendingLen = 0;
      const used = this.parse(joined);
      if (this._failed) return;
      if (used < joined.length) {
        this.pending.push(joined.subarray(used));
        this.pendingLen = joined.length - used;
      }
    }
    if (this.pendingLen === 0) {
      if (this._bytesRead === 0) this.fatal(0, 'the input is empty: not a pcap or pcapng capture');
      return;
    }
    const have = this.pendingLen;
    const at = this.offset;
    this.pending = [];
    this.pendingLen = 0;
    switch (this.phase) {
      case 'magic':
        this.fatal(at, `the input is only ${have} byte${have === 1 ? '' : 's'} long: not a pcap or pcapng capture (truncated)`);
        return;
      case 'pcap-header':
        this.truncated(at, PCAP_FILE_HEADER_LEN, have, 'the file header');
        return;
      case 'pcap-records':
        this.truncated(at, this.need, have, this.need === PCAP_RECORD_HEADER_LEN ? 'the record header' : 'the record');
        return;
      default:
        this.truncated(at, this.need, have, this.need <= 12 ? 'the block header' : 'the block');
    }
  }

  private truncated(at: number, need: number, have: number, what: string): void {
    const missing = need - have;
    this.issue(at, `capture is truncated: ${what} at offset ${at} needs ${need} bytes but the input ends after ${have} (${missing} byte${missing === 1 ? '' : 's'} missing)`);
  }

  // -------------------------------------------------------------------------------------
  // format detection

  private parseMagic(buf: Buffer, pos: number): number {
    if (buf.length - pos < 4) {
      this.need = 4;
      return 0;
    }
    const le = buf.readUInt32LE(pos);
    const be = buf.readUInt32BE(pos);
    if (be === BLOCK_SHB) {
      this._format = 'pcapng';
      this.phase = 'pcapng';
      return this.parsePcapngBlocks(buf, pos);
    }
    if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) {
      this.headerLE = true;
      this.nanos = le === PCAP_MAGIC_NS;
    } else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) {
      this.headerLE = false;
      this.nanos = be === PCAP_MAGIC_NS;
    } else {
      const first = Array.from(buf.subarray(pos, pos + 4), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
      this.fatal(this.offset, `not a pcap or pcapng capture (first bytes ${first})`);
      return 0;
    }
    this._format = 'pcap';
    this.recordLE = this.headerLE;
    this.phase = 'pcap-header';
    return this.parsePcapHeader(buf, pos);
  }

  // -------------------------------------------------------------------------------------
  // classic pcap

  private parsePcapHeader(buf: Buffer, pos: number): number {
    if (buf.length - pos < PCAP_FILE_HEADER_LEN) {
      this.need = PCAP_FILE_HEADER_LEN;
      return 0;
    }
    const le = this.headerLE;
    this.snaplen = le ? buf.readUInt32LE(pos + 16) : buf.readUInt32BE(pos + 16);
    const lt = le ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20);
    this.linktype = lt & PCAP_LINKTYPE_MASK;
    this.phase = 'pcap-records';
    return PCAP_FILE_HEADER_LEN;
  }

  /** The hot loop: consumes whole records from `pos`; returns the bytes consumed. */
  private parsePcapRecords(buf: Buffer, start: number): number {
    const len = buf.length;
    let pos = start;
    const sink = this.sink;
    const linktype = this.linktype;
    const fracScale = this.nanos ? 1 : 1000;
    const base = this.offset - start;
    for (;;) {
      if (len - pos < PCAP_RECORD_HEADER_LEN) {
        this.need = PCAP_RECORD_HEADER_LEN;
        break;
      }
      if (!this.firstRecordSeen) {
        this.firstRecordSeen = true;
        this.checkRecordByteOrder(buf, pos, base + pos);
      }
      const le = this.recordLE;
      const caplen = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
      if (caplen > MAX_RECORD_LEN) {
        this.fatal(base + pos, `corrupt capture at offset ${base + pos}: record length ${caplen} is absurd (limit ${MAX_RECORD_LEN}); the file is corrupt from there on`);
        return pos - start;
      }
      if (this.probeSlack) {
        if (len - pos < PCAP_RECORD_HEADER_LEN * 2 + caplen && !this.atEnd) {
          this.need = PCAP_RECORD_HEADER_LEN * 2 + caplen;
          break;
        }
        this.probeSlack = false;
        this.learnSlack(buf, pos, caplen, base + pos);
      }
      const slack = this.slack;
      const dataLen = caplen >= slack ? caplen - slack : caplen;
      const total = PCAP_RECORD_HEADER_LEN + dataLen;
      if (len - pos < total) {
        this.need = total;
        break;
      }
      let sec = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
      let nsec = (le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4)) * fracScale;
      if (nsec > 999_999_999) {
        // Out-of-range fraction (broken writer): carry it into the seconds.
        sec += Math.floor(nsec / 1e9);
        nsec %= 1e9;
      }
      let origLen = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
      if (slack !== 0) origLen = Math.max(origLen - slack, dataLen);
      const dataStart = pos + PCAP_RECORD_HEADER_LEN;
      sink.onFrame({
        linktype,
        sec,
        nsec,
        data: buf.subarray(dataStart, dataStart + dataLen),
        origLen,
        fileOffset: base + dataStart,
        ifIndex: 0,
      });
      pos += total;
      if (this._failed) break; // the sink may not stop us, but an internal fatal could
    }
    return pos - start;
  }

  /**
   * Some writers put a big-endian file header in front of little-endian record headers (or
   * the reverse), e.g. pkts' cool.pcap. When the first record's lengths are absurd in the
   * header's byte order but sane swapped, read the records swapped and say so.
   */
  private checkRecordByteOrder(buf: Buffer, pos: number, at: number): void {
    const le = this.recordLE;
    const cap = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    const orig = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    if (this.saneLengths(cap, orig)) return;
    const capS = le ? buf.readUInt32BE(pos + 8) : buf.readUInt32LE(pos + 8);
    const origS = le ? buf.readUInt32BE(pos + 12) : buf.readUInt32LE(pos + 12);
    if (!this.saneLengths(capS, origS)) return;
    this.recordLE = !le;
    this.probeSlack = true;
    const file = this.headerLE ? 'little' : 'big';
    const rec = this.recordLE ? 'little' : 'big';
    this.issue(at, `the file header is ${file}-endian but the record headers are ${rec}-endian (a known writer bug); reading the records as ${rec}-endian`);
  }

  /**
   * The writer with the byte-order bug (pkts' cool.pcap) also counts a 14-byte link-layer
   * header it never wrote in every record length. When the header that should follow the
   * first record is not sane, look up to MAX_SLACK bytes back for one that is; if found,
   * every record's length is read that many bytes shorter.
   */
  private learnSlack(buf: Buffer, pos: number, caplen: number, at: number): void {
    const sec = this.recordLE ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
    const next = pos + PCAP_RECORD_HEADER_LEN + caplen;
    if (next + PCAP_RECORD_HEADER_LEN > buf.length || this.saneHeaderAt(buf, next, sec)) return;
    for (let d = 1; d <= MAX_SLACK && d <= caplen; d++) {
      if (this.saneHeaderAt(buf, next - d, sec)) {
        this.slack = d;
        this.issue(at, `record lengths in this file overstate the captured bytes by ${d} (the next record starts ${d} bytes early); reading every record ${d} bytes shorter`);
        return;
      }
    }
  }

  /** A plausible record header at `p`: sane lengths, fraction in range, time within a day of `sec`. */
  private saneHeaderAt(buf: Buffer, p: number, sec: number): boolean {
    if (p < 0 || p + PCAP_RECORD_HEADER_LEN > buf.length) return false;
    const le = this.recordLE;
    const s = le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
    const frac = le ? buf.readUInt32LE(p + 4) : buf.readUInt32BE(p + 4);
    const cap = le ? buf.readUInt32LE(p + 8) : buf.readUInt32BE(p + 8);
    const orig = le ? buf.readUInt32LE(p + 12) : buf.readUInt32BE(p + 12);
    return Math.abs(s - sec) <= SECONDS_PER_DAY && frac < (this.nanos ? 1e9 : 1e6) && this.saneLengths(cap, orig);
  }

  private saneLengths(cap: number, orig: number): boolean {
    if (cap > MAX_RECORD_LEN || orig > MAX_RECORD_LEN || cap > orig) return false;
    return this.snaplen === 0 || cap <= this.snaplen;
  }

  // -------------------------------------------------------------------------------------
  // pcapng

  /** Consumes whole blocks from `pos`; returns the bytes consumed. */
  private parsePcapngBlocks(buf: Buffer, start: number): number {
    const len = buf.length;
    let pos = start;
    const base = this.offset - start;
    while (!this._failed) {
      if (len - pos < PCAPNG_BLOCK_HEADER_LEN) {
        this.need = PCAPNG_BLOCK_HEADER_LEN;
        break;
      }
      const at = base + pos;
      // The SHB type reads the same in both byte orders; its magic sets the order.
      let le = this.sectionLE;
      let type = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
      if (type === BLOCK_SHB) {
        if (len - pos < 12) {
          this.need = 12;
          break;
        }
        if (buf.readUInt32LE(pos + 8) === SHB_BYTE_ORDER_MAGIC) le = true;
        else if (buf.readUInt32BE(pos + 8) === SHB_BYTE_ORDER_MAGIC) le = false;
        else {
          this.fatal(at, `corrupt capture at offset ${at}: section header block without the byte-order magic 0x1a2b3c4d; the file is corrupt from there on`);
          break;
        }
        type = BLOCK_SHB;
      }
      const blockLen = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
      if (blockLen < PCAPNG_MIN_BLOCK_LEN || blockLen % 4 !== 0 || blockLen > MAX_RECORD_LEN || (type === BLOCK_SHB && blockLen < SHB_MIN_LEN)) {
        this.fatal(at, `corrupt capture at offset ${at}: block length ${blockLen} is impossible (must be a multiple of 4, at least ${type === BLOCK_SHB ? SHB_MIN_LEN : PCAPNG_MIN_BLOCK_LEN} and at most ${MAX_RECORD_LEN}); the file is corrupt from there on`);
        break;
      }
      if (len - pos < blockLen) {
        this.need = blockLen;
        break;
      }
      const trailer = le ? buf.readUInt32LE(pos + blockLen - 4) : buf.readUInt32BE(pos + blockLen - 4);
      if (trailer !== blockLen) {
        this.fatal(at, `corrupt capture at offset ${at}: block length ${blockLen} does not match the length ${trailer} at its end; the file is corrupt from there on`);
        break;
      }
      switch (type) {
        case BLOCK_SHB:
          this.readSectionHeader(buf, pos, le, at);
          break;
        case BLOCK_IDB:
          this.readInterface(buf, pos, blockLen, at);
          break;
        case BLOCK_EPB:
        case BLOCK_OPB:
          this.readPacketBlock(buf, pos, blockLen, type, base);
          break;
        case BLOCK_SPB:
          this.readSimplePacket(buf, pos, blockLen, base);
          break;
        default:
          break; // NRB, ISB, DSB, custom and unknown blocks: skipped by their length
      }
      pos += blockLen;
    }
    return pos - start;
  }

  private readSectionHeader(buf: Buffer, pos: number, le: boolean, at: number): void {
    this.sectionLE = le;
    this.interfaces = [];
    this.sectionCount++;
    const major = le ? buf.readUInt16LE(pos + 12) : buf.readUInt16BE(pos + 12);
    if (major !== 1) this.issue(at, `section header at offset ${at} has version ${major}, not 1; reading it as version 1`);
  }

  private readInterface(buf: Buffer, pos: number, blockLen: number, at: number): void {
    if (blockLen < IDB_MIN_LEN) {
      this.interfaces.push(undefined);
      this.issue(at, `interface description block at offset ${at} is too short (${blockLen} bytes); packets of interface ${this.interfaces.length - 1} are skipped`);
      return;
    }
    const le = this.sectionLE;
    const iface: Interface = {
      linktype: le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8),
      snaplen: le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12),
      binary: false,
      exp: 6,
      offset: 0,
    };
    // Options (§3.5): code u16, length u16, value padded to 4 bytes; until opt_endofopt.
    const end = pos + blockLen - 4;
    let p = pos + 16;
    while (p + 4 <= end) {
      const code = le ? buf.readUInt16LE(p) : buf.readUInt16BE(p);
      const olen = le ? buf.readUInt16LE(p + 2) : buf.readUInt16BE(p + 2);
      if (code === OPT_ENDOFOPT) break;
      const value = p + 4;
      if (value + olen > end) {
        this.issue(at, `interface description block at offset ${at} has an option running past its end; the rest of its options are ignored`);
        break;
      }
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = buf[value] ?? 6;
        iface.binary = (r & 0x80) !== 0;
        iface.exp = r & 0x7f;
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        const hi = le ? buf.readInt32LE(value + 4) : buf.readInt32BE(value);
        const lo = le ? buf.readUInt32LE(value) : buf.readUInt32BE(value + 4);
        iface.offset = hi * TWO_POW_32 + lo;
      }
      p = value + ((olen + 3) & ~3);
    }
    this.interfaces.push(iface);
  }

  private readPacketBlock(buf: Buffer, pos: number, blockLen: number, type: number, base: number): void {
    const at = base + pos;
    const name = type === BLOCK_EPB ? 'enhanced packet block' : 'packet block';
    if (blockLen < PACKET_BLOCK_MIN_LEN) {
      this.issue(at, `${name} at offset ${at} is too short (${blockLen} bytes); skipped`);
      return;
    }
    const le = this.sectionLE;
    const ifIndex =
      type === BLOCK_EPB ? (le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8)) : le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8);
    const iface = this.interfaces[ifIndex];
    if (iface === undefined) {
      this.issue(at, `${name} at offset ${at} names interface ${ifIndex}, which section ${this.sectionCount} does not describe; skipped`);
      return;
    }
    const hi = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    const lo = le ? buf.readUInt32LE(pos + 16) : buf.readUInt32BE(pos + 16);
    let caplen = le ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20);
    const origLen = le ? buf.readUInt32LE(pos + 24) : buf.readUInt32BE(pos + 24);
    const room = blockLen - PACKET_BLOCK_MIN_LEN;
    if (caplen > room) {
      this.issue(at, `${name} at offset ${at} claims ${caplen} captured bytes but holds at most ${room}; keeping ${room}`);
      caplen = room;
    }
    this.convertTimestamp(iface, hi, lo);
    const dataStart = pos + PACKET_BLOCK_DATA;
    this.sink.onFrame({
      linktype: iface.linktype,
      sec: this.tsSec,
      nsec: this.tsNsec,
      data: buf.subarray(dataStart, dataStart + caplen),
      origLen,
      fileOffset: base + dataStart,
      ifIndex,
    });
  }

  /**
   * Simple Packet Block: interface 0, caplen = min(original length, snaplen when non-zero,
   * room in the block). It carries no timestamp: the frame gets 0 (as libpcap does).
   */
  private readSimplePacket(buf: Buffer, pos: number, blockLen: number, base: number): void {
    const at = base + pos;
    const iface = this.interfaces[0];
    if (iface === undefined) {
      this.issue(at, `simple packet block at offset ${at} but section ${this.sectionCount} describes no interface 0; skipped`);
      return;
    }
    const origLen = this.sectionLE ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    let caplen = Math.min(origLen, blockLen - SPB_MIN_LEN);
    if (iface.snaplen !== 0 && iface.snaplen < caplen) caplen = iface.snaplen;
    const dataStart = pos + 12;
    this.sink.onFrame({
      linktype: iface.linktype,
      sec: 0,
      nsec: 0,
      data: buf.subarray(dataStart, dataStart + caplen),
      origLen,
      fileOffset: base + dataStart,
      ifIndex: 0,
    });
  }

  /** Sets tsSec/tsNsec from a 64-bit timestamp (hi:lo) in the interface's units. */
  private convertTimestamp(iface: Interface, hi: number, lo: number): void {
    const exp = iface.exp;
    if (!iface.binary && exp <= 9) {
      // Exact long division of hi:lo by 10^exp (< 2^32) in 16-bit steps.
      const unit = 10 ** exp;
      const qh = Math.floor(hi / unit);
      let r = hi - qh * unit;
      let x = r * 65536 + (lo >>> 16);
      const q1 = Math.floor(x / unit);
      r = x - q1 * unit;
      x = r * 65536 + (lo & 0xffff);
      const q0 = Math.floor(x / unit);
      r = x - q0 * unit;
      this.tsSec = qh * TWO_POW_32 + q1 * 65536 + q0 + iface.offset;
      this.tsNsec = r * 10 ** (9 - exp);
      return;
    }
    if (iface.binary && exp <= 32) {
      let frac: number;
      if (exp === 32) {
        this.tsSec = hi;
        frac = lo;
      } else {
        const unit = 2 ** exp;
        this.tsSec = hi * 2 ** (32 - exp) + Math.floor(lo / unit);
        frac = lo % unit;
      }
      // frac * 10^9 / 2^exp, exact: frac * 5^9 < 2^53.
      this.tsNsec = exp >= 9 ? Math.floor((frac * FIVE_POW_9) / 2 ** (exp - 9)) : frac * FIVE_POW_9 * 2 ** (9 - exp);
      this.tsSec += iface.offset;
      return;
    }
    // Rare resolutions (finer than 1 ns, or coarser binary units than 2^-32 s): BigInt.
    const ts = (BigInt(hi) << 32n) | BigInt(lo);
    const big = BigInt(exp);
    let sec: bigint;
    let nsec: bigint;
    if (iface.binary) {
      sec = ts >> big;
      nsec = ((ts & ((1n << big) - 1n)) * 1_000_000_000n) >> big;
    } else {
      const unit = 10n ** big;
      sec = ts / unit;
      nsec = ((ts % unit) * 1_000_000_000n) / unit;
    }
    this.tsSec = Number(sec) + iface.offset;
    this.tsNsec = Number(nsec);
  }

  // -------------------------------------------------------------------------------------
  // issues

  private issue(offset: number, message: string): void {
    this.issuesReported++;
    if (this.issuesReported > MAX_REPORTED_ISSUES + 1) return;
    const text =
      this.issuesReported === MAX_REPORTED_ISSUES + 1
        ? `more than ${MAX_REPORTED_ISSUES} problems in this capture; the rest are not reported (next at offset ${offset}: ${message})`
        : message;
    this.sink.onIssue({ fatal: false, offset, message: text });
  }

  private fatal(offset: number, message: string): void {
    if (this._failed) return;
    this._failed = true;
    this.phase = 'failed';
    this.pending = [];
    this.pendingLen = 0;
    this.sink.onIssue({ fatal: true, offset, message });
  }

  private internalError(err: unknown): void {
    const text = err instanceof Error ? err.message : String(err);
    const at = this.offset;
    try {
      this.fatal(at, `internal error while reading the capture near offset ${at} (${text}); frames before this point are kept`);
    } catch {
      // the sink failed while being told: nothing more can be said
      this._failed = true;
      this.phase = 'failed';
    }
  }
}
