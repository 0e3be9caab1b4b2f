import type { NameAddr } from '../sip/types';
import type { Transport } from '../net/types';
import type { DialogMedia } from '../rtp/dialog-media';

/** Call states of INVITE dialogs, named as sngrep shows them ('' for other dialogs). */
export type CallState =
  | ''
  | 'CALL SETUP'
  | 'IN CALL'
  | 'CANCELLED'
  | 'REJECTED'
  | 'BUSY'
  | 'DIVERTED'
  | 'COMPLETED';

export const CALL_STATES: readonly CallState[] = [
  'CALL SETUP',
  'IN CALL',
  'CANCELLED',
  'REJECTED',
  'BUSY',
  'DIVERTED',
  'COMPLETED',
];

/**
 * One dialog: every message sharing a Call-ID, in capture order. Per-message data lives in
 * the store's message table; a dialog holds row ids and the few values the list shows.
 */
export class Dialog {
  /** Rows of the store's message table, in capture order. */
  readonly msgs: number[] = [];
  state: CallState = '';
  /** CSeq number of the INVITE that (re)started call setup. */
  inviteCseq = -1;
  /** Latest final response (>= 200) to the dialog's initial method; 0 while none. */
  finalStatus = 0;
  /** Reason phrase of that final response. */
  finalPhrase = '';
  /** Last Reason header seen in the dialog ('' when none). */
  reason = '';
  /** Last Warning header seen in the dialog ('' when none). */
  warning = '';
  xCallId = '';
  userAgent = '';
  /** Message rows marking call start (the ACK that confirmed it) and end (the BYE); -1 when none. */
  connectMsg = -1;
  endMsg = -1;
  /** Number of messages marked as retransmissions. */
  retransmissions = 0;
  /** Whether any message matched the match expression (true when there is none). */
  matched: boolean;
  /** RTP tied to the dialog through its SDP; undefined until a message carries SDP. */
  media: DialogMedia | undefined = undefined;

  constructor(
    /** 1-based position in creation order (the list's index column). */
    readonly index: number,
    readonly callId: string,
    /** Method of the first request seen (or of the CSeq of a first response). */
    readonly method: string,
    readonly from: NameAddr,
    readonly to: NameAddr,
    /** Source and destination "ip:port" of the first message. */
    readonly src: string,
    readonly dst: string,
    readonly transport: Transport,
    matched: boolean,
  ) {
    this.matched = matched;
  }

  get isInvite(): boolean {
    return this.method === 'INVITE';
  }

  get messageCount(): number {
    return this.msgs.length;
  }

  /**
   * Advances the INVITE call state for a message, with sngrep's transitions (sip_call.c,
   * call_update_state): ACK of the INVITE's CSeq → IN CALL; CANCEL → CANCELLED;
   * 480/486/600 → BUSY; a 4xx-6xx to the INVITE → REJECTED; another 3xx-6xx → DIVERTED;
   * BYE while in call → COMPLETED; a new INVITE outside a call restarts CALL SETUP
   * (after a 401/407 challenge). One deliberate difference: sngrep tests `> 400`, which
   * leaves a plain 400 Bad Request as DIVERTED; here 400 is REJECTED like the rest of 4xx.
   * Returns true when the state changed.
   */
  advanceState(row: number, isRequest: boolean, method: string, status: number, cseq: number): boolean {
    const before = this.state;
    const code = isRequest ? 0 : status;
    if (this.state === '') {
      if (isRequest && method === 'INVITE') {
        this.inviteCseq = cseq;
        this.state = 'CALL SETUP';
      }
    } else if (this.state === 'CALL SETUP') {
      if (isRequest && method === 'ACK' && cseq === this.inviteCseq) {
        // The ACK of a 2xx starts the call; an ACK of a failure final response arrives
        // after the state already left CALL SETUP.
        this.state = 'IN CALL';
        this.connectMsg = row;
      } else if (isRequest && method === 'CANCEL') {
        this.state = 'CANCELLED';
      } else if (code === 480 || code === 486 || code === 600) {
        this.state = 'BUSY';
      } else if (code >= 400 && cseq === this.inviteCseq) {
        this.state = 'REJECTED';
      } else if (code > 300) {
        this.state = 'DIVERTED';
      }
    } else if (this.state === 'IN CALL') {
      if (isRequest && method === 'BYE') {
        this.state = 'COMPLETED';
        this.endMsg = row;
      }
    } else if (isRequest && method === 'INVITE') {
      this.inviteCseq = cseq;
      this.state = 'CALL SETUP';
    }
    return this.state !== before;
  }
}
