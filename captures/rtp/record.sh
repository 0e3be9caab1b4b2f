#!/usr/bin/env bash
# Records the RTP captures with real SIPp on loopback, one call per file; RTP is played by
# SIPp from the G.711 A-law recording Debian's sip-tester ships
# (/usr/share/sip-tester/g711a.pcap, 30 ms packets), cut short by the BYE after 3 s:
#   captures/rtp/two-way.pcap    RTP both ways
#   captures/rtp/one-way.pcap    only the caller sends RTP: one-way audio
#   captures/rtp/dead-port.pcap  audio both ways; a video stream in offer and answer that
#                                nobody sends to
#
# Usage: sudo captures/rtp/record.sh [NAME...]    (default: all; re-runnable)
#
# Needs root (tcpdump on lo), sipp (Debian sip-tester, built with pcap play) and tcpdump.
# All traffic is on 127.0.0.1: SIP between 5282 (SIPp caller, UAC) and 5280 (SIPp callee,
# UAS), media on 16210(+2) and 16200(+2): other ports than the other record scripts.
# Scenarios: scenarios/NAME-uac.xml and scenarios/NAME-uas.xml.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCEN="$HERE/scenarios"
IP=127.0.0.1
UAS_PORT=5280
UAC_PORT=5282
UAS_MEDIA_PORT=16200   # SIPp's media socket (RTP is played from it) and +2
UAC_MEDIA_PORT=16210
MAX_BYTES=$((200 * 1024))
ALL=(two-way one-way dead-port)
AUDIO=/usr/share/sip-tester/g711a.pcap
if [[ $# -gt 0 ]]; then NAMES=("$@"); else NAMES=("${ALL[@]}"); fi
WORK_NAME=sipscope-rtp
CID_PREFIX=sipscope-rtp
CAPTURE_FILTER="host $IP and (port $UAS_PORT or port $UAC_PORT or portrange $UAS_MEDIA_PORT-$((UAC_MEDIA_PORT + 3)))"

# shellcheck source=../lib/one-call.sh
source "$HERE/../lib/one-call.sh"
[[ -f $AUDIO ]] || die "$AUDIO not found (Debian's sip-tester package ships it)"

for n in "${NAMES[@]}"; do record "$n"; done
