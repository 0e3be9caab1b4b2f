# Shared by the record scripts that capture one SIPp call per file on loopback
# (captures/diagnosis/record.sh, captures/rtp/record.sh). Sourced, not run.
#
# The sourcing script sets: HERE (its directory), SCEN (scenarios/NAME-uac.xml and -uas.xml),
# IP, UAS_PORT, UAC_PORT, UAS_MEDIA_PORT, UAC_MEDIA_PORT, MAX_BYTES (size limit of a file),
# ALL (every name), NAMES (names to record), WORK_NAME (temporary directory prefix),
# CID_PREFIX (Call-IDs start with it) and CAPTURE_FILTER (tcpdump's filter). It may define
# call_args NAME, setting the arrays uas_extra and uac_extra for that scenario.
# Then it runs: for n in "${NAMES[@]}"; do record "$n"; done

die() { echo "record.sh: $*" >&2; exit 1; }

[[ ${EUID:-$(id -u)} -eq 0 ]] || die "needs root (tcpdump on lo): sudo $0"
for tool in sipp tcpdump ss timeout; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y sip-tester tcpdump)"
done
for n in "${NAMES[@]}"; do
  [[ -f "$SCEN/$n-uac.xml" && -f "$SCEN/$n-uas.xml" ]] || die "no scenario '$n' (known: ${ALL[*]})"
done

WORK="$(mktemp -d "/tmp/$WORK_NAME.XXXXXX")"
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

# record NAME: one call between a SIPp UAS and a SIPp UAC over UDP, into $HERE/NAME.pcap
record() {
  local name=$1 tmp="$WORK/$1.pcap" out="$HERE/$1.pcap" tpid uas_pid rc i size
  uas_extra=() uac_extra=()
  if declare -F call_args >/dev/null; then call_args "$name"; fi
  wait_port_free
  echo "recording $out"
  tcpdump -i lo -U -Z root -C 1 -w "$tmp" "$CAPTURE_FILTER" 2>"$WORK/tcpdump-$name.err" &
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
      -trace_err -error_file "$WORK/$name-uas.err" "${uas_extra[@]}" >"$WORK/$name-uas.log" 2>&1) &
  uas_pid=$!
  BG_PIDS+=("$uas_pid")
  wait_listening

  rc=0
  (cd "$WORK" && exec timeout 40 sipp "$IP:$UAS_PORT" -sf "$SCEN/$name-uac.xml" -i "$IP" -bind_local -p "$UAC_PORT" \
      -mp "$UAC_MEDIA_PORT" -t u1 -m 1 -nostdin -default_behaviors all,-bye \
      -cid_str "$CID_PREFIX-$name-%u-%p@$IP" \
      -trace_err -error_file "$WORK/$name-uac.err" "${uac_extra[@]}" >"$WORK/$name-uac.log" 2>&1) || rc=$?
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
