import type { Engine } from '../engine/engine';
import type { InputReport } from '../capture/inputs';

/** The `{"summary": ...}` object of `-N --json`: what was read, what was kept, what was dropped and why. */
export interface Summary {
  frames: number;
  bytes: number;
  sipMessages: number;
  dialogs: number;
  dialogsDisplayed: number;
  retransmissions: number;
  malformed: number;
  dropped: {
    notSip: number;
    malformed: number;
    encrypted: number;
    incompleteFragments: number;
    tcpGaps: number;
    unknownLinkType: number;
    truncated: number;
    badIp: number;
    notIp: number;
    otherTransport: number;
    dialogLimit: number;
    notInvite: number;
  };
  fragments: { received: number; reassembled: number };
  rotatedDialogs: number;
  /** RTP and RTCP tied to dialogs through their SDP (UDP to or from an SDP media address). */
  rtp: { rtpPackets: number; rtcpPackets: number; streams: number };
  /** Every network decoder counter as is (tunnels opened, SCTP/HEP packets, ...). */
  decoders: Record<string, number>;
  inputs: {
    file: string;
    format: string | null;
    compressed: boolean;
    frames: number;
    bytes: number;
    error: string | null;
    issues: string[];
  }[];
  /** Live capture (-d): what libpcap delivered and what was lost before sipscope saw it. */
  live?: LiveSummary;
  /** -O: where the packets were saved. */
  outputFile?: OutputSummary;
}

export interface OutputSummary {
  file: string;
  packets: number;
  /** Packets not saved (write error, other link type). */
  notWritten: number;
  /** Files written (more than one after SIGUSR1 rotations). */
  files: number;
  error: string | null;
}

/** Live capture statistics for the summary (totals over the devices). */
export interface LiveSummary {
  devices: string[];
  /** Packets received from libpcap (after the BPF filter). */
  packetsReceived: number;
  /** Packets the kernel dropped (capture buffer full); null when the capture binding cannot tell. */
  kernelDrops: number | null;
  /** Packets the interfaces dropped while capturing; null when unknown. */
  interfaceDrops: number | null;
  /** Packets received but discarded (paused, or sipscope too far behind). */
  discarded: number;
}

export function buildSummary(engine: Engine, reports: InputReport[], displayed: number): Summary {
  const c = engine.counters;
  const s = engine.store.counters;
  return {
    frames: c.frames,
    bytes: c.bytes,
    sipMessages: s.sipMessages,
    dialogs: engine.store.dialogCount,
    dialogsDisplayed: displayed,
    retransmissions: s.retransmissions,
    malformed: s.malformed,
    dropped: {
      notSip: c.notSip,
      malformed: s.malformed,
      encrypted: c.encrypted + c.net.espEncrypted,
      incompleteFragments: c.net.incompleteFragments,
      tcpGaps: c.tcpGaps,
      unknownLinkType: c.net.unknownLinkType,
      truncated: c.net.truncated,
      badIp: c.net.badIp,
      notIp: c.net.notIp,
      otherTransport: c.net.otherTransport,
      dialogLimit: s.droppedDialogLimit,
      notInvite: s.skippedNotInvite,
    },
    fragments: { received: c.net.fragments, reassembled: c.net.reassembled },
    rotatedDialogs: s.rotatedDialogs,
    rtp: { ...engine.store.rtp },
    decoders: { ...c.net },
    inputs: reports.map((r) => ({
      file: r.name,
      format: r.format ?? null,
      compressed: r.compressed,
      frames: r.frames,
      bytes: r.bytesRead,
      error: r.error ?? null,
      issues: r.issues.map((i) => `offset ${i.offset}: ${i.message}`),
    })),
  };
}

/** One readable line under the headless table. */
export function formatSummaryLine(s: Summary): string {
  const drops = Object.entries(s.dropped)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return (
    `${s.dialogs} dialogs (${s.dialogsDisplayed} displayed), ${s.sipMessages} SIP messages ` +
    `(${s.retransmissions} retransmissions) in ${s.frames} frames` +
    (s.rtp.streams > 0 ? `, ${s.rtp.rtpPackets} RTP packets in ${s.rtp.streams} streams` : '') +
    (drops.length > 0 ? `; not shown: ${drops.join(', ')}` : '') +
    (s.live !== undefined ? `; ${formatLiveStats(s.live)}` : '') +
    (s.outputFile !== undefined ? `; ${formatOutputStats(s.outputFile)}` : '')
  );
}

/** `live on lo: 1200 packets received, 0 dropped by the kernel, 0 dropped by the interface` */
export function formatLiveStats(l: LiveSummary): string {
  const kernel = l.kernelDrops === null ? 'kernel drops not reported by the capture binding' : `${l.kernelDrops} dropped by the kernel`;
  const iface = l.interfaceDrops === null ? '' : `, ${l.interfaceDrops} dropped by the interface`;
  const discarded = l.discarded > 0 ? `, ${l.discarded} discarded` : '';
  return `live on ${l.devices.join(',')}: ${l.packetsReceived} packets received, ${kernel}${iface}${discarded}`;
}

/** `1200 packets saved to x.pcap (2 files), 3 not saved` */
export function formatOutputStats(o: OutputSummary): string {
  return (
    `${o.packets} packets saved to ${o.file}` +
    (o.files > 1 ? ` (${o.files} files)` : '') +
    (o.notWritten > 0 ? `, ${o.notWritten} not saved${o.error !== null ? ` (${o.error})` : ''}` : '')
  );
}
