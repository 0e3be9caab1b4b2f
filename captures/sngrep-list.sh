#!/usr/bin/env bash
# Prints sngrep's call list for a capture file, as its screen shows it.
# sngrep 1.6.0 has no text output (-N prints nothing, -O only re-writes packets), so this
# runs it in a detached tmux session 220x60 and captures the screen.
#   captures/sngrep-list.sh captures/demo-tcp.pcap
# Needs tmux and sngrep.  The columns are sngrep's defaults (a ~/.sngreprc may change them).
set -euo pipefail
[[ $# -eq 1 && -r $1 ]] || { echo "usage: $0 FILE.pcap" >&2; exit 2; }
command -v tmux >/dev/null && command -v sngrep >/dev/null || { echo "$0: needs tmux and sngrep" >&2; exit 2; }
file="$(realpath "$1")"
session="sipscope-sngrep-$$"
tmux new-session -d -s "$session" -x 220 -y 60 "TERM=xterm sngrep -I '$file'"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
sleep 2
tmux capture-pane -p -t "$session" | sed -n '/Idx Method/,/^ *$/p' | sed -e 's/^  \[ \] /  /' -e 's/ *$//' | sed '/^$/d'
