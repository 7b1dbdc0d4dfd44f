#!/usr/bin/env bash
# pcap processing rate: argos grep / argos import against tshark -Y sip and sngrep -N -q on
# the same big capture, in the same run (issue #5's benchmark).
#
#   scripts/bench-pcap.sh [COPIES]       (default 400 copies of the lab capture: 1.18M frames)
#
# The capture is the lab capture (../shared/testdata/lab/lab-calls.pcap) concatenated COPIES
# times with mergecap -a. Prints wall time, user+sys CPU, max RSS and SIP messages per tool,
# and the ratios against tshark. Needs mergecap, tshark, sngrep and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-400}
lab=../shared/testdata/lab/lab-calls.pcap
[ -f "$lab" ] || { echo "needs $lab"; exit 2; }
bin=target/release/argos
cargo build --release -q -p argos
work=${BENCH_DIR:-/tmp/argos-bench-pcap}
mkdir -p "$work"
big=$work/lab-x$copies.pcap
if [ ! -f "$big" ]; then
  args=()
  for _ in $(seq "$copies"); do args+=("$lab"); done
  mergecap -a -F pcap -w "$big" "${args[@]}"
fi
frames=$(capinfos -c -M "$big" | awk '/Number of packets/ {print $NF}')
echo "capture: $big, $frames frames, $(du -m "$big" | cut -f1) MB; $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

# run NAME COMMAND...: prints "NAME wall cpu rss" and the command's message count.
run() {
  local name=$1; shift
  local t=$work/time.$name
  /usr/bin/time -f "%e %U %S %M" -o "$t" "$@" > "$work/out.$name" 2> "$work/err.$name" || true
  read -r wall user sys rss < <(tail -1 "$t")
  printf '%s %s %s %s\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$((rss / 1024))"
}

declare -A msgs
results=()
rm -rf "$work/imp"
results+=("$(run argos-grep "$bin" grep -q -e 'Call-ID' "$big")")
msgs[argos-grep]=$(tr -dc '0-9\n' < "$work/out.argos-grep" | tail -1)
results+=("$(run argos-import "$bin" import -q --data "$work/imp" "$big")")
msgs[argos-import]=$(grep -o '[0-9]* SIP messages stored' "$work/out.argos-import" | cut -d' ' -f1)
results+=("$(run tshark tshark -r "$big" -Y sip -T fields -e sip.Call-ID)")
msgs[tshark]=$(grep -c . "$work/out.tshark")
if command -v sngrep >/dev/null; then
  results+=("$(run sngrep sngrep -I "$big" -N -q -O "$work/sngrep-out.pcap")")
  msgs[sngrep]=$(tshark -r "$work/sngrep-out.pcap" -Y sip -T fields -e sip.Call-ID 2>/dev/null | grep -c . || echo "?")
fi

tshark_wall=$(printf '%s\n' "${results[@]}" | awk '$1=="tshark" {print $2}')
tshark_cpu=$(printf '%s\n' "${results[@]}" | awk '$1=="tshark" {print $3}')
echo
echo "| tool | SIP messages | wall s | CPU s | max RSS MiB | wall vs tshark | CPU vs tshark |"
echo "|---|---|---|---|---|---|---|"
for r in "${results[@]}"; do
  read -r name wall cpu rss <<<"$r"
  echo "| $name | ${msgs[$name]:-?} | $wall | $cpu | $rss | $(echo "scale=1; $tshark_wall / $wall" | bc)× | $(echo "scale=1; $tshark_cpu / $cpu" | bc)× |"
done
