/**
 * What `cap` does not expose about the AF_PACKET sockets libpcap opens for it: the kernel's
 * packet and drop counters (what pcap_stats reads on Linux) and a way to undo promiscuous
 * mode. Both go through the project's small native addon (src/native/packet_socket.c),
 * built by `npm install`; when it is missing (no compiler, not Linux) every call here says
 * so by returning null/false and capture goes on without the figures.
 *
 * libpcap's sockets are found by the socket inodes that appear in /proc/self/fd across an
 * open, matched against /proc/net/packet (which also gives each socket's interface index).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface PacketSocketAddon {
  stats(fd: number): [number, number];
  dropPromisc(fd: number, ifindex: number): void;
}

let addon: PacketSocketAddon | null | undefined;

/** The addon, or null when it was not built. */
export function packetSocketAddon(): PacketSocketAddon | null {
  if (addon !== undefined) return addon;
  const root = path.resolve(__dirname, '..', '..', '..');
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    addon = require(path.join(root, 'src', 'native', 'build', 'Release', 'packet_socket.node')) as PacketSocketAddon;
  } catch {
    addon = null;
  }
  return addon;
}

/** Socket inode → file descriptor, for every socket this process holds. */
export function socketFds(): Map<string, number> {
  const out = new Map<string, number>();
  let fds: string[];
  try {
    fds = fs.readdirSync('/proc/self/fd');
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (m !== null) out.set(m[1] as string, Number(fd));
    } catch {
      // closed meanwhile (the readdir handle itself): skip
    }
  }
  return out;
}

/** A packet socket of this process. */
export interface PacketSocket {
  fd: number;
  /** Interface index it is bound to (0: all interfaces, the `any` device). */
  ifindex: number;
}

/**
 * Packet sockets opened since `before` (a socketFds() result taken before the open). Reads
 * /proc/net/packet: `sk RefCnt Type Proto Iface R Rmem User Inode`.
 */
export function newPacketSockets(before: ReadonlyMap<string, number>): PacketSocket[] {
  const now = socketFds();
  let table: string;
  try {
    table = fs.readFileSync('/proc/net/packet', 'utf8');
  } catch {
    return [];
  }
  const out: PacketSocket[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9) continue;
    const inode = f[8] as string;
    const fd = now.get(inode);
    if (fd === undefined || before.has(inode)) continue;
    out.push({ fd, ifindex: Number(f[4]) });
  }
  return out;
}

/**
 * Running totals of one device's kernel counters. The kernel resets them on every read, so
 * each read is added here (libpcap's pcap_stats does the same).
 */
export class KernelCounters {
  packets = 0;
  drops = 0;
  private failed = false;

  constructor(
    private readonly sockets: readonly PacketSocket[],
    private readonly lib: PacketSocketAddon | null,
  ) {}

  /** Whether the figures are known (addon present, sockets found, reads working). */
  get available(): boolean {
    return this.lib !== null && this.sockets.length > 0 && !this.failed;
  }

  /** Adds what the kernel counted since the last read. */
  poll(): void {
    if (!this.available || this.lib === null) return;
    for (const s of this.sockets) {
      try {
        const [packets, drops] = this.lib.stats(s.fd);
        // tp_packets already includes the drops (the kernel adds them before copying out).
        this.packets += packets;
        this.drops += drops;
      } catch {
        this.failed = true;
      }
    }
  }
}
