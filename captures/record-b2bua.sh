#!/usr/bin/env bash
# Records captures/b2bua-udp.pcap with real SIPp on loopback: calls crossing a B2BUA, seen
# as two dialogs each (the caller's leg and the B2BUA's outgoing leg), for the extended
# flow (x / F4) and the multi-dialog ladder. SIPp cannot bridge two dialogs in one
# process, so each leg is its own UAC/UAS pair and the "B2BUA" is the pair of addresses in
# the middle (127.0.0.1:5070 in, 127.0.0.1:5074 out); the legs overlap in time as a B2BUA's
# would (leg 2 starts 0.1 s after leg 1, is answered first, and ends just after it).
#
#   pair 1 (call 1):  leg1 5072 -> 5070  3544151600 -> 3544151602
#                     leg2 5074 -> 5076  +3544151600 -> 003544151602, X-Call-ID: leg1's Call-ID
#   pair 2 (call 2):  leg3 5072 -> 5070  3544151610 -> 3544151612
#                     leg4 5074 -> 5076  +3544151610 -> 3544151612 (no X-Call-ID: related only
#                     by the numbers, started 0.1 s apart)
#   call 3:           leg5 5072 -> 5070  3544151610 -> 3544151612 again, 7 s after leg 3
#                     (same numbers, outside the 5 s window: not related)
#
# Call-IDs are fixed: sipscope-b2bua-leg<N>-1@127.0.0.1.
# Usage: sudo captures/record-b2bua.sh   (needs root for tcpdump on lo, sipp, tcpdump)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCEN="$HERE/scenarios"
IP=127.0.0.1
OUT="$HERE/b2bua-udp.pcap"
[[ ${EUID:-$(id -u)} -eq 0 ]] || { echo "needs root (tcpdump on lo)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/sipscope-b2bua.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# uas <port> <media port> <answer after ms> <name>
uas() {
  (cd "$WORK" && exec timeout 30 sipp -sf "$SCEN/leg-uas.xml" -i "$IP" -bind_local -p "$1" -mp "$2" \
    -t u1 -m 1 -nostdin -d "$3" -trace_err -error_file "$WORK/$4.err" >"$WORK/$4.log" 2>&1) &
  PIDS+=("$!")
}
# uac <local port> <remote port> <media port> <leg> <from> <to> <extra header> <talk ms>
uac() {
  (cd "$WORK" && exec timeout 30 sipp "$IP:$2" -sf "$SCEN/leg-uac.xml" -i "$IP" -bind_local -p "$1" -mp "$3" \
    -t u1 -m 1 -nostdin -d "$8" -cid_str "sipscope-b2bua-$4-%u@$IP" \
    -key from_user "$5" -key to_user "$6" -key extra "$7" \
    -trace_err -error_file "$WORK/$4.err" >"$WORK/$4.log" 2>&1) &
  PIDS+=("$!")
}
wait_all() {
  local p rc=0
  for p in "${PIDS[@]}"; do wait "$p" || rc=$?; done
  PIDS=()
  if [[ $rc -ne 0 ]]; then tail -n 20 "$WORK"/*.log "$WORK"/*.err >&2 || true; echo "a SIPp run failed ($rc)" >&2; exit 1; fi
}

tcpdump -i lo -U -Z root -w "$WORK/out.pcap" "host $IP and udp and portrange 5070-5076" 2>"$WORK/tcpdump.err" &
TPID=$!
for _ in $(seq 1 50); do grep -q 'listening on' "$WORK/tcpdump.err" && break; sleep 0.1; done
sleep 0.3

# call 1
uas 5070 16100 1200 uas1; uas 5076 16130 800 uas2; sleep 0.3
uac 5072 5070 16110 leg1 3544151600 3544151602 'Subject: sipscope b2bua call 1' 1500; sleep 0.1
uac 5074 5076 16120 leg2 +3544151600 003544151602 'X-Call-ID: sipscope-b2bua-leg1-1@127.0.0.1' 1900
wait_all; sleep 0.5
T3=$SECONDS
# call 2
uas 5070 16100 1200 uas3; uas 5076 16130 800 uas4; sleep 0.3
uac 5072 5070 16110 leg3 3544151610 3544151612 'Subject: sipscope b2bua call 2' 1500; sleep 0.1
uac 5074 5076 16120 leg4 +3544151610 3544151612 'Subject: sipscope b2bua call 2 out' 1900
wait_all
# call 3: 7 s after call 2 started
sleep $(( 7 - (SECONDS - T3) > 0 ? 7 - (SECONDS - T3) : 0 ))
uas 5070 16100 500 uas5; sleep 0.3
uac 5072 5070 16110 leg5 3544151610 3544151612 'Subject: sipscope b2bua call 3' 500
wait_all

sleep 0.3
kill -INT "$TPID"; wait "$TPID" || true
mv -f "$WORK/out.pcap" "$OUT"; chmod 644 "$OUT"
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)"
