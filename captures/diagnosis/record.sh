#!/usr/bin/env bash
# Records the diagnosis captures with real SIPp on loopback, one file per problem:
#   captures/diagnosis/forbidden.pcap     403: the trunk refuses the caller ID
#   captures/diagnosis/busy.pcap          486 Busy Here after ringing
#   captures/diagnosis/codec-488.pcap     PCMU offered, 488 Not Acceptable Here (PCMA only)
#   captures/diagnosis/codec-answer.pcap  PCMU offered, 200 OK answers PCMA: no common codec
#   captures/diagnosis/unanswered.pcap    INVITE retransmitted, no response at all
#   captures/diagnosis/nat.pcap           Via/Contact/SDP c= 192.168.1.50, packets from 127.0.0.1
#
# Usage: sudo captures/diagnosis/record.sh [NAME...]    (default: all; re-runnable)
#
# Needs root (tcpdump on lo), sipp (Debian sip-tester) and tcpdump. All traffic is between
# 127.0.0.1:5182 (SIPp caller, UAC) and 127.0.0.1:5180 (SIPp callee, UAS): other ports than
# captures/record.sh, so both can run on one machine. Scenarios: scenarios/NAME-uac.xml and
# scenarios/NAME-uas.xml.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCEN="$HERE/scenarios"
IP=127.0.0.1
UAS_PORT=5180
UAC_PORT=5182
UAS_MEDIA_PORT=16100   # SIPp binds a media socket (and +2) even when no RTP flows
UAC_MEDIA_PORT=16110
MAX_BYTES=$((50 * 1024))
ALL=(forbidden busy codec-488 codec-answer unanswered nat)
if [[ $# -gt 0 ]]; then NAMES=("$@"); else NAMES=("${ALL[@]}"); fi
WORK_NAME=sipscope-diagnosis
CID_PREFIX=sipscope-diagnosis
CAPTURE_FILTER="host $IP and (port $UAS_PORT or port $UAC_PORT)"

call_args() {
  if [[ $1 == unanswered ]]; then
    # The caller gives up after 16 s (-d): the INVITE and 5 Timer A retransmissions
    # (+0.5, 1.5, 3.5, 7.5, 15.5 s, RFC 3261 17.1.1.2). The callee hangs on 1 s longer.
    uac_extra=(-d 16000)
    uas_extra=(-d 17000)
  fi
}

# shellcheck source=../lib/one-call.sh
source "$HERE/../lib/one-call.sh"

for n in "${NAMES[@]}"; do record "$n"; done
