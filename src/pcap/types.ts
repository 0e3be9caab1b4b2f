/**
 * One captured frame as a capture source hands it to the engine.
 *
 * Contract: `data` may be a view into a reader's chunk that is reused after the callback
 * returns; a consumer that keeps bytes past the callback must copy them.
 */
export interface Frame {
  /** LINKTYPE_* number (https://www.tcpdump.org/linktypes.html) of this frame's interface. */
  linktype: number;
  /** Capture time: whole seconds since the Unix epoch. */
  sec: number;
  /** Capture time: nanoseconds within the second (0..999_999_999), whatever the file's resolution. */
  nsec: number;
  /** Captured bytes (caplen = data.length). */
  data: Buffer;
  /** Length of the packet on the wire (may exceed data.length when the snap length cut it). */
  origLen: number;
  /**
   * Where `data` starts in the source file, or -1 when the source cannot be read again
   * (standard input, gzip, live capture). Lets a dialog be saved or shown again without
   * keeping payloads in memory.
   */
  fileOffset: number;
  /** pcapng interface id (0 for classic pcap). */
  ifIndex: number;
}

/** A problem found while reading a capture; `fatal` ones end that input. */
export interface ReadIssue {
  fatal: boolean;
  /** Byte offset in the input where the problem was found. */
  offset: number;
  message: string;
}

/** Link types we name in messages and tests. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
  /** Historic raw-IP numbers some writers used (OpenBSD/BSD DLT values). */
  RAW_DLT12: 12,
  RAW_DLT14: 14,
} as const;
