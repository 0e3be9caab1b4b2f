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

die() { echo "record.sh: $*" >&2; exit 1; }

[[ ${EUID:-$(id -u)} -eq 0 ]] || die "needs root (tcpdump on lo): sudo $0"
for tool in sipp tcpdump ss timeout; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y sip-tester tcpdump)"
done
[[ -f $AUDIO ]] || die "$AUDIO not found (Debian's sip-tester package ships it)"
for n in "${NAMES[@]}"; do
  [[ -f "$SCEN/$n-uac.xml" && -f "$SCEN/$n-uas.xml" ]] || die "no scenario '$n' (known: ${ALL[*]})"
done

WORK="$(mktemp -d /tmp/sipscope-rtp.XXXXXX)"
BG_PIDS=()
cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

port_busy() { [[ -n "$(ss -Han exclude time-wait "( sport = :$1 )" 2>/dev/null)" ]]; }
for p in "$UAS_PORT" "$UAC_PORT" "$UAS_MEDIA_PORT" $((UAS_MEDIA_PORT + 2)) "$UAC_MEDIA_PORT" $((UAC_MEDIA_PORT + 2)); do
  port_busy "$p" && die "port $p is in use on this machine; free it first (ss -anp '( sport = :$p )')"
done

wait_listening() {
  local i
  for i in $(seq 1 50); do
    [[ -n "$(ss -Hlnu "( sport = :$UAS_PORT )" 2>/dev/null)" ]] && return 0
    sleep 0.1
  done
  die "SIPp UAS did not start listening on $IP:$UAS_PORT"
}

wait_port_free() {
  local i
  for i in $(seq 1 50); do
    [[ -z "$(ss -Hlnu "( sport = :$UAS_PORT or sport = :$UAC_PORT )" 2>/dev/null)" ]] && return 0
    sleep 0.1
  done
  die "ports $UAS_PORT/$UAC_PORT still bound after the previous scenario"
}

show_logs() {
  local f
  for f in "$1.log" "$1.err"; do [[ -s $f ]] && { echo "--- $f"; tail -n 40 "$f"; } >&2; done
  return 0
}

# record <name>: one call between a SIPp UAS and a SIPp UAC over UDP, into captures/rtp/<name>.pcap
record() {
  local name=$1 tmp="$WORK/$1.pcap" out="$HERE/$1.pcap" tpid uas_pid rc i size
  wait_port_free
  echo "recording $out"
  tcpdump -i lo -U -Z root -C 1 -w "$tmp" "host $IP and (port $UAS_PORT or port $UAC_PORT or portrange $UAS_MEDIA_PORT-$((UAC_MEDIA_PORT + 3)))" 2>"$WORK/tcpdump-$name.err" &
  tpid=$!
  BG_PIDS+=("$tpid")
  for i in $(seq 1 50); do
    grep -q 'listening on' "$WORK/tcpdump-$name.err" 2>/dev/null && break
    sleep 0.1
  done
  grep -q 'listening on' "$WORK/tcpdump-$name.err" || die "tcpdump did not start: $(cat "$WORK/tcpdump-$name.err")"
  sleep 0.3

  (cd "$WORK" && exec timeout 40 sipp -sf "$SCEN/$name-uas.xml" -i "$IP" -bind_local -p "$UAS_PORT" \
      -mp "$UAS_MEDIA_PORT" -t u1 -m 1 -nostdin -default_behaviors all,-bye \
      -trace_err -error_file "$WORK/$name-uas.err" >"$WORK/$name-uas.log" 2>&1) &
  uas_pid=$!
  BG_PIDS+=("$uas_pid")
  wait_listening

  rc=0
  (cd "$WORK" && exec timeout 40 sipp "$IP:$UAS_PORT" -sf "$SCEN/$name-uac.xml" -i "$IP" -bind_local -p "$UAC_PORT" \
      -mp "$UAC_MEDIA_PORT" -t u1 -m 1 -nostdin -default_behaviors all,-bye \
      -cid_str "sipscope-rtp-$name-%u-%p@$IP" \
      -trace_err -error_file "$WORK/$name-uac.err" >"$WORK/$name-uac.log" 2>&1) || rc=$?
  [[ $rc -eq 0 ]] || { show_logs "$WORK/$name-uac"; die "SIPp caller for '$name' exited with $rc"; }
  rc=0
  wait "$uas_pid" || rc=$?
  [[ $rc -eq 0 ]] || { show_logs "$WORK/$name-uas"; die "SIPp callee for '$name' exited with $rc"; }

  sleep 0.3
  kill -INT "$tpid"
  wait "$tpid" || true
  [[ -f "$tmp"1 ]] && die "tcpdump rotated the file: the recording is far too big"
  size=$(stat -c %s "$tmp")
  (( size < MAX_BYTES )) || die "$tmp is $size bytes (limit $MAX_BYTES)"
  mv -f "$tmp" "$out"
  chmod 644 "$out"
  echo "  -> $out ($size bytes)"
}

for n in "${NAMES[@]}"; do record "$n"; done
