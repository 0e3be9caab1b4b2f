#!/usr/bin/env bash
# Records sipscope's demo captures with real SIPp on loopback:
#   captures/demo-udp.pcap   the call mix over UDP   (sipp -t u1)
#   captures/demo-tcp.pcap   the same mix over TCP   (sipp -t t1, one connection per scenario)
# then derives captures/expected.json from the recordings with tshark
# (captures/derive-expected.mjs).
#
# Usage: sudo captures/record.sh        (re-runnable; overwrites the three files)
#
# Needs root (tcpdump on lo), sipp (Debian sip-tester), tcpdump, tshark and node.
# All traffic is between 127.0.0.1:5062 (SIPp caller, UAC) and 127.0.0.1:5060
# (SIPp callee/registrar, UAS); nothing is sent to any other address.
# The scenarios are in captures/scenarios/<name>-uac.xml and <name>-uas.xml.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCEN="$HERE/scenarios"
IP=127.0.0.1
UAS_PORT=5060
UAC_PORT=5062
UAS_MEDIA_PORT=16000   # SIPp binds a media socket (and +2) even when no RTP flows
UAC_MEDIA_PORT=16010
MAX_BYTES=$((50 * 1024))
# scenario order inside each capture
SCENARIOS=(answered busy rejected cancelled unanswered register)

die() { echo "record.sh: $*" >&2; exit 1; }

[[ ${EUID:-$(id -u)} -eq 0 ]] || die "needs root (tcpdump on lo): sudo $0"
for tool in sipp tcpdump tshark node ss timeout; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y sip-tester tcpdump tshark)"
done

WORK="$(mktemp -d /tmp/sipscope-record.XXXXXX)"
BG_PIDS=()
cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

port_busy() { # $1 = port: is anything bound to it (UDP or TCP; TIME-WAIT leftovers do not count)?
  [[ -n "$(ss -Han exclude time-wait "( sport = :$1 )" 2>/dev/null)" ]]
}
for p in "$UAS_PORT" "$UAC_PORT" "$UAS_MEDIA_PORT" $((UAS_MEDIA_PORT + 2)) "$UAC_MEDIA_PORT" $((UAC_MEDIA_PORT + 2)); do
  port_busy "$p" && die "port $p is in use on this machine; free it first (ss -anp '( sport = :$p )')"
done

wait_listening() { # $1 = u|t: wait until the UAS socket is bound
  local proto=$1 i
  for i in $(seq 1 50); do
    if [[ -n "$(ss -Hln"$proto" "( sport = :$UAS_PORT )" 2>/dev/null)" ]]; then return 0; fi
    sleep 0.1
  done
  die "SIPp UAS did not start listening on $IP:$UAS_PORT"
}

wait_port_free() { # the previous scenario's SIPp processes must have let go of the SIP ports
  local i
  for i in $(seq 1 50); do
    [[ -z "$(ss -Hlnut "( sport = :$UAS_PORT or sport = :$UAC_PORT )" 2>/dev/null)" ]] && return 0
    sleep 0.1
  done
  die "ports $UAS_PORT/$UAC_PORT still bound after the previous scenario"
}

show_logs() { # $1 = log path prefix: the end of a failed SIPp's screen and its error log
  local f
  for f in "$1.log" "$1.err"; do
    [[ -s $f ]] && { echo "--- $f"; tail -n 40 "$f"; } >&2
  done
  return 0
}

# run_pair <scenario> <udp|tcp>: one call (or registration) between a SIPp UAS and a SIPp UAC
run_pair() {
  local name=$1 transport=$2 mode proto uas_xml uac_xml uas_pid rc
  local -a uas_extra=() uac_extra=()
  case $transport in
    udp) mode=u1; proto=u ;;
    # -reconnect_close false: when the peer has finished first and closed the
    # connection, let this side's call run to its end instead of failing it
    tcp) mode=t1; proto=t; uas_extra=(-reconnect_close false); uac_extra=(-reconnect_close false) ;;
  esac
  uac_xml="$SCEN/$name-uac.xml"
  uas_xml="$SCEN/$name-uas.xml"
  [[ -f "$SCEN/$name-uas-$transport.xml" ]] && uas_xml="$SCEN/$name-uas-$transport.xml"
  if [[ $name == unanswered ]]; then
    # the caller gives up after its call duration -d (8 s over UDP: the INVITE plus 4
    # Timer A retransmissions at +0.5/1.5/3.5/7.5 s; 3 s over TCP, which has none);
    # -max_invite_retrans 4 is a backstop.  The callee hangs on 1 s longer.
    if [[ $transport == udp ]]; then
      uac_extra+=(-d 8000 -max_invite_retrans 4); uas_extra+=(-d 9000)
    else
      uac_extra+=(-d 3000); uas_extra+=(-d 4000)
    fi
  fi

  wait_port_free
  echo "  $transport  $name"
  (cd "$WORK" && exec timeout 30 sipp -sf "$uas_xml" -i "$IP" -bind_local -p "$UAS_PORT" \
      -mp "$UAS_MEDIA_PORT" -t "$mode" -m 1 -nostdin -default_behaviors all,-bye -key crlf $'\r\n' \
      -trace_err -error_file "$WORK/$transport-$name-uas.err" "${uas_extra[@]}" \
      >"$WORK/$transport-$name-uas.log" 2>&1) &
  uas_pid=$!
  BG_PIDS+=("$uas_pid")
  wait_listening "$proto"

  rc=0
  (cd "$WORK" && exec timeout 30 sipp "$IP:$UAS_PORT" -sf "$uac_xml" -i "$IP" -bind_local -p "$UAC_PORT" \
      -mp "$UAC_MEDIA_PORT" -t "$mode" -m 1 -nostdin -default_behaviors all,-bye \
      -cid_str "sipscope-$name-$transport-%u-%p@$IP" \
      -trace_err -error_file "$WORK/$transport-$name-uac.err" "${uac_extra[@]}" \
      >"$WORK/$transport-$name-uac.log" 2>&1) || rc=$?
  if [[ $rc -ne 0 ]]; then
    show_logs "$WORK/$transport-$name-uac"
    die "SIPp caller for '$name' over $transport exited with $rc"
  fi
  rc=0
  wait "$uas_pid" || rc=$?
  if [[ $rc -ne 0 ]]; then
    show_logs "$WORK/$transport-$name-uas"
    die "SIPp callee for '$name' over $transport exited with $rc"
  fi
  sleep 0.3   # a visible gap between the scenarios
}

# record <udp|tcp>: capture the whole call mix over one transport into captures/demo-<t>.pcap
record() {
  local transport=$1 tmp="$WORK/demo-$1.pcap" out="$HERE/demo-$1.pcap" tpid i size
  echo "recording $out"
  # classic pcap (-w without --pcapng), packet-buffered (-U), writing as root (-Z root)
  # so it may write into $WORK; -C 1 caps a runaway recording at 1 MB.
  tcpdump -i lo -U -Z root -C 1 -w "$tmp" \
    "host $IP and (port $UAS_PORT or port $UAC_PORT)" 2>"$WORK/tcpdump-$transport.err" &
  tpid=$!
  BG_PIDS+=("$tpid")
  for i in $(seq 1 50); do
    grep -q 'listening on' "$WORK/tcpdump-$transport.err" 2>/dev/null && break
    sleep 0.1
  done
  grep -q 'listening on' "$WORK/tcpdump-$transport.err" || die "tcpdump did not start: $(cat "$WORK/tcpdump-$transport.err")"
  sleep 0.3

  for name in "${SCENARIOS[@]}"; do
    run_pair "$name" "$transport"
  done

  sleep 0.3
  kill -INT "$tpid"
  wait "$tpid" || true
  sed 's/^/    tcpdump: /' "$WORK/tcpdump-$transport.err"
  [[ -f "$tmp"1 ]] && die "tcpdump rotated the file: the recording is far too big"
  size=$(stat -c %s "$tmp")
  (( size < MAX_BYTES )) || die "$tmp is $size bytes (limit $MAX_BYTES)"
  mv -f "$tmp" "$out"
  chmod 644 "$out"
  echo "  -> $out ($size bytes)"
}

START=$SECONDS
for t in ${SIPSCOPE_TRANSPORTS:-udp tcp}; do   # SIPSCOPE_TRANSPORTS=tcp re-records one file only
  record "$t"
done
echo "recorded in $((SECONDS - START)) s"

node "$HERE/derive-expected.mjs" "$HERE/demo-udp.pcap" "$HERE/demo-tcp.pcap" >"$WORK/expected.json"
mv -f "$WORK/expected.json" "$HERE/expected.json"
chmod 644 "$HERE/expected.json"
echo "wrote $HERE/expected.json"
