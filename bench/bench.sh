#!/usr/bin/env bash
# make bench: generate the capture (once), build the floor, and time
# labwarden against it.  usage: bench/bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
out="$build/bench"
pcap="$out/home-lab-1m.pcap"
mkdir -p "$out"

if [ ! -s "$pcap" ] || [ "$here/gen_bench.py" -nt "$pcap" ]; then
	python3 "$here/gen_bench.py" -o "$pcap" --packets 1000000
fi
cc -O2 -o "$out/pcap_floor" "$here/pcap_floor.c" \
    $(pkg-config --cflags --libs libpcap)
cat "$pcap" >/dev/null		# warm the page cache

echo "== decode only (issue 2 target: within 1.5x of the floor)"
python3 "$here/run_bench.py" --labwarden "$build/labwarden" \
    --floor "$out/pcap_floor" --pcap "$pcap" --runs 5 \
    --args "replay --emit none --decode-only" --label "decode only" \
    --target 1.5
echo "== all detectors and the default rules on, output off (target: within 2x)"
python3 "$here/run_bench.py" --labwarden "$build/labwarden" \
    --floor "$out/pcap_floor" --pcap "$pcap" --runs 5 \
    --args "replay --emit none" --label "detectors on" --target 2.0
echo "== scenes: per-fact cost as scenes are added (issue 4: stays flat)"
python3 "$here/scene_scaling.py" "$build/labwarden" "$pcap" "$out"
echo "== live: tcpreplay at rising rates into a veth; the highest rate with zero drops"
python3 "$here/live.py" "$build/labwarden" "$pcap" "$out"
