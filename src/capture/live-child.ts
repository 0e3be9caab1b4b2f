/**
 * Live capture, child side: the process entry that holds libpcap through `cap`. Started by
 * live.ts with its options in SIPSCOPE_LIVE_OPTIONS; writes records to file descriptor 3
 * (layout in live.ts) and reads `pause`/`resume`/`stop` lines on standard input.
 *
 * `cap` hands every packet in one shared Buffer and gives no timestamp, so each packet is
 * stamped and copied into the current batch at once, in the 'packet' callback. Batches go
 * out every `batchMs` or `batchPackets`, whichever comes first.
 *
 * This is a process entry point, so like src/cli it reads `process`; nothing else imports it.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  PACKET_HEADER_LEN,
  RECORD,
  RECORD_HEADER_LEN,
  encodeJsonRecord,
  type LiveCaptureOptions,
  type LiveDevice,
  type LiveDeviceStats,
  type LiveStats,
} from './live';
import { KernelCounters, newPacketSockets, packetSocketAddon, socketFds, type PacketSocket } from './packet-socket';

// ---- thin typed adapter over `cap` (the only untyped code) ----

interface CapDeviceInfo {
  name: string;
  description?: string;
}

interface CapHandle {
  /** Returns the link type as a name ('ETHERNET', 'LINUX_SLL'...) or 'Unknown linktype N'. */
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
}

interface CapBinding {
  newCap(): CapHandle;
  deviceList(): CapDeviceInfo[];
}

/** Loads `cap` (and with it libpcap); throws when either is missing. */
function loadCap(moduleName: string): CapBinding {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mod = require(moduleName) as { Cap: { new (): CapHandle; deviceList(): CapDeviceInfo[] } };
  return {
    newCap: () => new mod.Cap(),
    deviceList: () => mod.Cap.deviceList(),
  };
}

/** Link type names cap returns → LINKTYPE_* numbers (tcpdump.org/linktypes.html). */
const CAP_LINKTYPES: Readonly<Record<string, number>> = {
  NULL: 0,
  ETHERNET: 1,
  IEEE802_11_RADIO: 127,
  LINKTYPE_LINUX_SLL: 113,
  // cap names DLT_RAW "RAW"; its LINKTYPE number in files is 101.
  RAW: 101,
};

/** cap copies at most this many bytes of a packet (it sets libpcap's snap length to 65535). */
const CAP_SNAPLEN = 65535;

/**
 * Smallest kernel buffer asked for, in MiB. cap fixes the snap length at 65535 and turns on
 * immediate mode, so libpcap uses a TPACKET_V2 ring whose every slot holds 64 KiB: the
 * 2 MiB sngrep default would hold about 31 packets and drop most of any burst. 32 MiB
 * holds about 500. A larger -B is used as given.
 */
const MIN_BUFFER_MB = 32;

/** Scheduling priority asked for the capture process (nice value; root only). */
const CAPTURE_NICE = -10;

// ---- batching ----

const BATCH_BYTES = 1 << 20;
/** Beyond this much unsent output (the parent is not reading), packets are discarded and counted. */
const BACKLOG_LIMIT = 256 << 20;
const STATS_MS = 1000;

interface DeviceState {
  name: string;
  linktype: number;
  cap: CapHandle;
  buffer: Buffer;
  received: number;
  discarded: number;
  ifDropsAtStart: number | null;
  sockets: PacketSocket[];
  kernel: KernelCounters;
}

class Batcher {
  private readonly buf = Buffer.allocUnsafe(BATCH_BYTES);
  private off = RECORD_HEADER_LEN + 4;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: net.Socket,
    private readonly maxPackets: number,
    private readonly maxMs: number,
  ) {}

  /** Whether the parent is so far behind that packets should be discarded. */
  get overloaded(): boolean {
    return this.out.writableLength > BACKLOG_LIMIT;
  }

  add(device: number, linktype: number, data: Buffer, caplen: number, origLen: number): void {
    if (this.off + PACKET_HEADER_LEN + caplen > this.buf.length) this.flush();
    // Time of arrival in this process: cap gives no kernel timestamp. timeOrigin + now() is
    // monotonic within the run and has sub-microsecond resolution.
    const t = performance.timeOrigin + performance.now();
    const sec = Math.floor(t / 1000);
    const nsec = Math.min(999_999_999, Math.round((t - sec * 1000) * 1e6));
    const b = this.buf;
    let o = this.off;
    b.writeUInt16LE(device, o);
    b.writeUInt16LE(linktype & 0xffff, o + 2);
    b.writeUInt32LE(sec >>> 0, o + 4);
    b.writeUInt32LE(nsec, o + 8);
    b.writeUInt32LE(caplen, o + 12);
    b.writeUInt32LE(origLen, o + 16);
    o += PACKET_HEADER_LEN;
    data.copy(b, o, 0, caplen);
    this.off = o + caplen;
    this.count++;
    if (this.count >= this.maxPackets) this.flush();
    else if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.maxMs);
  }

  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.count === 0) return;
    const b = this.buf;
    b[0] = RECORD.PACKETS;
    b[1] = 0;
    b.writeUInt16LE(0, 2);
    b.writeUInt32LE(this.off - RECORD_HEADER_LEN, 4);
    b.writeUInt32LE(this.count, RECORD_HEADER_LEN);
    // The socket keeps what it is given until written: give it a copy of the used part and
    // reuse the batch buffer (a fresh 1 MiB buffer per batch made the GC stall capture).
    this.out.write(Buffer.from(b.subarray(0, this.off)));
    this.off = RECORD_HEADER_LEN + 4;
    this.count = 0;
  }
}

// ---- error messages: one line, naming the device and what to do ----

function permissionHelp(): string {
  return `run as root, or: setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))`;
}

function capMissingMessage(err: unknown): string {
  const why = ((err as Error).message ?? String(err)).split('\n')[0] ?? '';
  const root = path.resolve(__dirname, '..', '..', '..');
  return (
    `live capture needs libpcap and the cap module, which could not be loaded (${why}); ` +
    `install them with: apt-get install libpcap-dev && (cd ${root} && npm rebuild cap || npm install cap); ` +
    `reading capture files with -I works without them`
  );
}

function openErrorMessage(device: string, filter: string, raw: string, known: string[]): string {
  const m = raw.trim();
  if (/permission|not permitted|EPERM|EACCES/i.test(m)) {
    return `cannot capture on ${device}: permission denied (${m}); ${permissionHelp()}`;
  }
  if (/no such device|doesn't exist|does not exist|ENODEV|SIOCGIFHWADDR|not found/i.test(m)) {
    return `cannot capture on ${device}: no such device; devices: ${known.join(', ')}`;
  }
  if (filter !== '' && /syntax|filter|expression|parse|unknown (host|port|proto)|illegal/i.test(m)) {
    return `cannot capture on ${device}: the BPF filter '${filter}' is not valid: ${m}; see man pcap-filter`;
  }
  if (/buffer size/i.test(m)) {
    return `cannot capture on ${device}: ${m}; try a smaller -B`;
  }
  return `cannot capture on ${device}: ${m}`;
}

function linktypeOf(name: string): number | undefined {
  const known = CAP_LINKTYPES[name];
  if (known !== undefined) return known;
  const m = /Unknown linktype (\d+)/.exec(name);
  return m !== null ? Number(m[1]) : undefined;
}

// ---- interface drop counters (sysfs) ----

function readIfDrops(device: string): number | null {
  const names = device === 'any' ? listSysNet() : [device];
  if (names.length === 0) return null;
  let total = 0;
  for (const n of names) {
    try {
      total += Number(fs.readFileSync(`/sys/class/net/${n}/statistics/rx_dropped`, 'utf8').trim());
    } catch {
      if (device !== 'any') return null;
    }
  }
  return total;
}

function listSysNet(): string[] {
  try {
    return fs.readdirSync('/sys/class/net');
  } catch {
    return [];
  }
}

// ---- promiscuous mode ----

/**
 * Undoes the promiscuous membership libpcap added at open (cap always asks for it). Returns
 * a warning when it cannot be done, else undefined. The `any` device is never promiscuous.
 */
function dropPromiscuous(devices: readonly DeviceState[]): string | undefined {
  const lib = packetSocketAddon();
  const named = devices.filter((d) => d.name !== 'any');
  if (named.length === 0) return undefined;
  const names = named.map((d) => d.name).join(',');
  if (lib === null) {
    return `--no-promisc: the native helper (src/native) was not built, so ${names} stay in promiscuous mode (the cap binding always asks for it); run npm rebuild in the sipscope directory; capture goes on`;
  }
  for (const d of named) {
    for (const s of d.sockets) {
      if (s.ifindex <= 0) continue;
      try {
        lib.dropPromisc(s.fd, s.ifindex);
      } catch (err) {
        return `--no-promisc: could not turn promiscuous mode off on ${d.name} (${(err as Error).message}); capture goes on`;
      }
    }
  }
  return undefined;
}

// ---- the process ----

function sendRecord(out: net.Socket, rec: Buffer): void {
  out.write(rec);
}

function run(): void {
  const out = new net.Socket({ fd: 3, readable: false, writable: true });
  out.on('error', () => process.exit(0)); // the parent is gone
  let opts: LiveCaptureOptions;
  try {
    opts = JSON.parse(process.env.SIPSCOPE_LIVE_OPTIONS ?? '') as LiveCaptureOptions;
  } catch {
    process.stderr.write('live-child: SIPSCOPE_LIVE_OPTIONS is missing or not JSON\n');
    process.exit(2);
  }
  const devicesWanted = opts.devices.length > 0 ? opts.devices : ['any'];
  const fatal = (device: string, message: string): void => {
    out.end(encodeJsonRecord(RECORD.ERROR, { device, message, fatal: true }), () => process.exit(2));
  };

  let capLib: CapBinding;
  try {
    capLib = loadCap('cap');
  } catch (err) {
    fatal(devicesWanted.join(','), capMissingMessage(err));
    return;
  }

  let known: string[] = [];
  try {
    known = capLib.deviceList().map((d) => d.name);
  } catch {
    // listing needs no privilege on Linux; if it fails the open below says why
  }

  // The ring holds few packets (see MIN_BUFFER_MB): on a busy machine, being scheduled
  // late is what loses them. Ask for a higher priority; without the privilege, go on as is.
  try {
    os.setPriority(CAPTURE_NICE);
  } catch {
    // not permitted: normal priority
  }

  const devices: DeviceState[] = [];
  const closeAll = (): void => {
    for (const d of devices) {
      try {
        d.cap.close();
      } catch {
        // closing twice or a device gone: nothing to do
      }
    }
  };
  const batcher = new Batcher(out, Math.max(1, opts.batchPackets ?? 256), Math.max(1, opts.batchMs ?? 20));
  let paused = false;
  const snaplen = Math.max(1, Math.min(opts.snaplen, CAP_SNAPLEN));

  for (const name of devicesWanted) {
    if (known.length > 0 && !known.includes(name)) {
      closeAll();
      fatal(name, `cannot capture on ${name}: no such device; devices: ${known.join(', ')}`);
      return;
    }
    const cap = capLib.newCap();
    const buffer = Buffer.alloc(CAP_SNAPLEN);
    let lt: string;
    const socketsBefore = socketFds();
    try {
      lt = cap.open(name, opts.filter, Math.max(MIN_BUFFER_MB, opts.bufferMb) * 1024 * 1024, buffer);
    } catch (err) {
      closeAll();
      fatal(name, openErrorMessage(name, opts.filter, (err as Error).message ?? String(err), known));
      return;
    }
    const linktype = linktypeOf(lt);
    if (linktype === undefined) {
      try {
        cap.close();
      } catch {
        // ignore
      }
      closeAll();
      fatal(name, `cannot capture on ${name}: unknown link type '${lt}'`);
      return;
    }
    const state: DeviceState = {
      name,
      linktype,
      cap,
      buffer,
      received: 0,
      discarded: 0,
      ifDropsAtStart: readIfDrops(name),
      sockets: [],
      kernel: new KernelCounters([], null),
    };
    state.sockets = newPacketSockets(socketsBefore);
    state.kernel = new KernelCounters(state.sockets, packetSocketAddon());
    const index = devices.length;
    devices.push(state);
    cap.on('packet', (nbytes: number) => {
      state.received++;
      if (paused || batcher.overloaded) {
        state.discarded++;
        return;
      }
      const caplen = Math.min(nbytes, snaplen);
      batcher.add(index, linktype, buffer, caplen, nbytes);
    });
  }

  if (!opts.promisc) {
    const problem = dropPromiscuous(devices);
    if (problem !== undefined) {
      sendRecord(out, encodeJsonRecord(RECORD.ERROR, { device: devicesWanted.join(','), message: problem, fatal: false }));
    }
  }
  const ready: LiveDevice[] = devices.map((d) => ({ name: d.name, linktype: d.linktype }));
  sendRecord(out, encodeJsonRecord(RECORD.READY, { devices: ready }));

  const stats = (): LiveStats => ({
    devices: devices.map((d): LiveDeviceStats => {
      d.kernel.poll();
      const nowDrops = d.ifDropsAtStart === null ? null : readIfDrops(d.name);
      return {
        name: d.name,
        received: d.received,
        kernelDrops: d.kernel.available ? d.kernel.drops : null,
        interfaceDrops: nowDrops === null || d.ifDropsAtStart === null ? null : Math.max(0, nowDrops - d.ifDropsAtStart),
        discarded: d.discarded,
      };
    }),
  });
  const statsTimer = setInterval(() => sendRecord(out, encodeJsonRecord(RECORD.STATS, stats())), STATS_MS);

  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(statsTimer);
    // Read the kernel's counters while the sockets are still open.
    const last = encodeJsonRecord(RECORD.STATS, stats());
    closeAll();
    batcher.flush();
    out.end(last, () => process.exit(0));
  };

  // Ctrl-C reaches the whole process group: the parent decides when to stop, so the last
  // packets are still delivered. SIGTERM sent to this process alone stops it cleanly.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', () => undefined);

  let line = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    line += chunk;
    let nl: number;
    while ((nl = line.indexOf('\n')) >= 0) {
      const cmd = line.slice(0, nl).trim();
      line = line.slice(nl + 1);
      if (cmd === 'pause') paused = true;
      else if (cmd === 'resume') paused = false;
      else if (cmd === 'stop') stop();
    }
  });
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
}

if (require.main === module) run();
