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
    (drops.length > 0 ? `; not shown: ${drops.join(', ')}` : '')
  );
}
