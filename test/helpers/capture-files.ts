/**
 * Builds capture files in memory for tests: classic pcap and pcapng, either byte order.
 * Written independently of src/pcap/writer.ts so the reader is tested against a second
 * implementation of the formats (draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng).
 */

export interface PcapFilePacket {
  sec: number;
  /** Nanoseconds; a microsecond file keeps floor(nsec / 1000). */
  nsec: number;
  data: Buffer;
  /** Length on the wire; default data.length. */
  origLen?: number;
}

export interface PcapFileSpec {
  /** Written as is into the header's link type field (may carry FCS bits above bit 15). */
  linktype: number;
  packets: PcapFilePacket[];
  bigEndian?: boolean;
  /** Nanosecond magic 0xA1B23C4D. */
  nanos?: boolean;
  /** Default 65535. */
  snaplen?: number;
}

export interface PcapngInterfaceSpec {
  linktype: number;
  /** Default 0 (no limit). Packets longer than a non-zero snaplen are cut to it. */
  snaplen?: number;
  /** Raw if_tsresol byte (bit 7 set: 2^-n s, else 10^-n s); omitted: no option (10^-6). */
  tsresol?: number;
}

export interface PcapngPacketSpec {
  /** Interface index within the section. SPBs always belong to interface 0. */
  iface: number;
  sec: number;
  nsec: number;
  data: Buffer;
  /** Enhanced (default), Simple (no timestamp) or obsolete Packet Block. */
  block?: 'epb' | 'spb' | 'opb';
}

export interface PcapngSectionSpec {
  bigEndian?: boolean;
  interfaces: PcapngInterfaceSpec[];
  packets: PcapngPacketSpec[];
  /** Adds name resolution, statistics, decryption secrets, custom and unknown blocks and options a reader must skip. */
  extraBlocks?: boolean;
}

export interface PcapngFileSpec {
  sections: PcapngSectionSpec[];
}

/** A growable byte sink with a fixed byte order. */
class Bytes {
  private readonly parts: Buffer[] = [];
  constructor(private readonly be: boolean) {}

  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }

  u16(v: number): this {
    const b = Buffer.alloc(2);
    if (this.be) b.writeUInt16BE(v & 0xffff);
    else b.writeUInt16LE(v & 0xffff);
    this.parts.push(b);
    return this;
  }

  u32(v: number): this {
    const b = Buffer.alloc(4);
    if (this.be) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    this.parts.push(b);
    return this;
  }

  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    if (this.be) b.writeBigUInt64BE(BigInt.asUintN(64, v));
    else b.writeBigUInt64LE(BigInt.asUintN(64, v));
    this.parts.push(b);
    return this;
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  /** The bytes, then zeros up to a multiple of 4. */
  padded(b: Buffer): this {
    this.parts.push(b);
    const pad = (4 - (b.length % 4)) % 4;
    if (pad > 0) this.parts.push(Buffer.alloc(pad));
    return this;
  }

  /** An option (code, length, value padded to 4). */
  option(code: number, value: Buffer): this {
    return this.u16(code).u16(value.length).padded(value);
  }

  endOfOptions(): this {
    return this.u16(0).u16(0);
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A classic pcap file. */
export function pcapFile(spec: PcapFileSpec): Buffer {
  const be = spec.bigEndian === true;
  const nanos = spec.nanos === true;
  const w = new Bytes(be);
  w.u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(spec.snaplen ?? 65535).u32(spec.linktype);
  for (const p of spec.packets) {
    w.u32(p.sec).u32(nanos ? p.nsec : Math.floor(p.nsec / 1000)).u32(p.data.length).u32(p.origLen ?? p.data.length).raw(p.data);
  }
  return w.build();
}

/** A pcapng file of one or more sections. */
export function pcapngFile(spec: PcapngFileSpec): Buffer {
  const out: Buffer[] = [];
  for (const section of spec.sections) {
    const be = section.bigEndian === true;
    const extra = section.extraBlocks === true;
    const block = (type: number, body: Buffer): Buffer => {
      const len = 12 + body.length;
      return new Bytes(be).u32(type).u32(len).raw(body).u32(len).build();
    };

    // Section Header Block (§4.1)
    const shb = new Bytes(be).u32(0x1a2b3c4d).u16(1).u16(0).u64(-1n);
    if (extra) shb.option(4, Buffer.from('sipscope tests')).endOfOptions(); // shb_userappl
    out.push(block(0x0a0d0d0a, shb.build()));

    // Interface Description Blocks (§4.2)
    for (const iface of section.interfaces) {
      const idb = new Bytes(be).u16(iface.linktype).u16(0).u32(iface.snaplen ?? 0);
      const hasOptions = extra || iface.tsresol !== undefined;
      if (extra) idb.option(2, Buffer.from('eth0')); // if_name
      if (iface.tsresol !== undefined) idb.option(9, Buffer.from([iface.tsresol])); // if_tsresol
      if (hasOptions) idb.endOfOptions();
      out.push(block(0x00000001, idb.build()));
    }

    if (extra) {
      // Name Resolution Block (§4.5): one IPv4 record, then nrb_record_end
      const name = Buffer.concat([Buffer.from([192, 0, 2, 1]), Buffer.from('host.example\0')]);
      out.push(block(0x00000004, new Bytes(be).u16(1).u16(name.length).padded(name).u16(0).u16(0).build()));
      // Decryption Secrets Block (§4.7): TLS key log
      const secrets = Buffer.from('CLIENT_RANDOM 00 11\n');
      out.push(block(0x0000000a, new Bytes(be).u32(0x544c534b).u32(secrets.length).padded(secrets).build()));
    }

    section.packets.forEach((p, i) => {
      const iface = section.interfaces[p.block === 'spb' ? 0 : p.iface];
      const snaplen = iface?.snaplen ?? 0;
      const data = snaplen > 0 && p.data.length > snaplen ? p.data.subarray(0, snaplen) : p.data;
      const kind = p.block ?? 'epb';
      if (kind === 'spb') {
        // Simple Packet Block (§4.4)
        out.push(block(0x00000003, new Bytes(be).u32(p.data.length).padded(data).build()));
      } else {
        const ts = toUnits(p.sec, p.nsec, iface?.tsresol);
        const hi = Number(ts >> 32n);
        const lo = Number(ts & 0xffffffffn);
        const body = new Bytes(be);
        if (kind === 'epb') body.u32(p.iface); // Enhanced Packet Block (§4.3)
        else body.u16(p.iface).u16(0); // Packet Block (Appendix A): interface id, drops count
        body.u32(hi).u32(lo).u32(data.length).u32(p.data.length).padded(data);
        if (extra) body.option(1, Buffer.from(`packet ${i}`)).endOfOptions(); // opt_comment
        out.push(block(kind === 'epb' ? 0x00000006 : 0x00000002, body.build()));
      }
      if (extra && i === 0) {
        // Interface Statistics Block (§4.6) and a custom block (§4.8) between packets
        out.push(block(0x00000005, new Bytes(be).u32(0).u32(0).u32(0).option(4, Buffer.alloc(8)).endOfOptions().build()));
        out.push(block(0x00000bad, new Bytes(be).u32(32473).padded(Buffer.from('custom')).build()));
      }
    });

    if (extra) {
      out.push(block(0x40000bad, new Bytes(be).u32(32473).build()));
      out.push(block(0x00000abc, Buffer.alloc(20, 0xee))); // unknown type
    }
  }
  return Buffer.concat(out);
}

/** A time in the units of an if_tsresol byte (default 10^-6 s). */
function toUnits(sec: number, nsec: number, tsresol: number | undefined): bigint {
  const r = tsresol ?? 6;
  const exp = BigInt(r & 0x7f);
  if ((r & 0x80) !== 0) return (BigInt(sec) << exp) + ((BigInt(nsec) << exp) / 1_000_000_000n);
  const unit = 10n ** exp;
  return BigInt(sec) * unit + (BigInt(nsec) * unit) / 1_000_000_000n;
}
