/*
 * RTP payload types assigned statically (RFC 3551 §6, Tables 4 and 5): encoding name and
 * RTP clock rate. G722 (9) samples at 16 kHz but its RTP clock is 8000 (RFC 3551 §4.5.2).
 * Dynamic types (96-127) are only known from an SDP a=rtpmap.
 */

export interface PayloadFormat {
  /** Encoding name as SDP writes it (PCMU, telephone-event, opus, ...). */
  name: string;
  /** RTP timestamp units per second; 0 when unknown. */
  clockRate: number;
}

export const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, PayloadFormat> = new Map([
  [0, { name: 'PCMU', clockRate: 8000 }],
  [3, { name: 'GSM', clockRate: 8000 }],
  [4, { name: 'G723', clockRate: 8000 }],
  [5, { name: 'DVI4', clockRate: 8000 }],
  [6, { name: 'DVI4', clockRate: 16000 }],
  [7, { name: 'LPC', clockRate: 8000 }],
  [8, { name: 'PCMA', clockRate: 8000 }],
  [9, { name: 'G722', clockRate: 8000 }],
  [10, { name: 'L16', clockRate: 44100 }],
  [11, { name: 'L16', clockRate: 44100 }],
  [12, { name: 'QCELP', clockRate: 8000 }],
  [13, { name: 'CN', clockRate: 8000 }],
  [14, { name: 'MPA', clockRate: 90000 }],
  [15, { name: 'G728', clockRate: 8000 }],
  [16, { name: 'DVI4', clockRate: 11025 }],
  [17, { name: 'DVI4', clockRate: 22050 }],
  [18, { name: 'G729', clockRate: 8000 }],
  [25, { name: 'CelB', clockRate: 90000 }],
  [26, { name: 'JPEG', clockRate: 90000 }],
  [28, { name: 'nv', clockRate: 90000 }],
  [31, { name: 'H261', clockRate: 90000 }],
  [32, { name: 'MPV', clockRate: 90000 }],
  [33, { name: 'MP2T', clockRate: 90000 }],
  [34, { name: 'H263', clockRate: 90000 }],
]);

/** Name of a static payload type given as SDP writes it ("0", "18"), or undefined. */
export function staticPayloadName(pt: string): string | undefined {
  if (!/^\d{1,3}$/.test(pt)) return undefined;
  return STATIC_PAYLOAD_TYPES.get(Number(pt))?.name;
}
