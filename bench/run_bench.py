#!/usr/bin/env python3
"""Time labwarden replay against the bare libpcap floor.

Runs the floor and labwarden alternately RUNS times each over the same
capture (the page cache is warm after the first read), measuring wall
time and peak RSS of each child (os.wait4), and prints packets/s, MiB/s,
peak RSS and the median ratio labwarden/floor of the per-pair times.

usage: run_bench.py --labwarden BIN --floor BIN --pcap FILE [--runs 5]
                    [--args "replay --emit none"] [--target 1.5]
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time


def timed(argv):
    """Wall seconds and peak RSS (KiB) of one run; stdout discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(argv)}: exit {code}: {err.strip()}")
    return wall, usage.ru_maxrss


def packet_count(floor, pcap):
    out = subprocess.run([floor, pcap], capture_output=True, text=True,
                         check=True).stdout
    return int(out.split()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labwarden", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--args", default="replay --emit none")
    ap.add_argument("--label", default="decode only")
    ap.add_argument("--target", type=float, default=1.5)
    a = ap.parse_args()

    packets = packet_count(a.floor, a.pcap)
    size = os.path.getsize(a.pcap)
    lw_argv = [a.labwarden] + shlex.split(a.args) + [a.pcap]
    floors, ours, ratios, rss = [], [], [], []
    for i in range(a.runs):
        f_wall, _ = timed([a.floor, a.pcap])
        l_wall, l_rss = timed(lw_argv)
        floors.append(f_wall)
        ours.append(l_wall)
        ratios.append(l_wall / f_wall)
        rss.append(l_rss)
        print(f"  run {i + 1}: floor {f_wall:.3f} s, labwarden "
              f"{l_wall:.3f} s, ratio {l_wall / f_wall:.2f}")
    ours_med = statistics.median(ours)
    ratio = statistics.median(ratios)
    met = "met" if ratio <= a.target else "NOT met"
    print(f"{a.label}: labwarden {' '.join(shlex.split(a.args))}")
    print(f"  capture      {packets} packets, {size / 2**20:.1f} MiB")
    print(f"  labwarden    {ours_med:.3f} s median, "
          f"{packets / ours_med:,.0f} packets/s, "
          f"{size / 2**20 / ours_med:.0f} MiB/s, "
          f"peak RSS {max(rss) / 1024:.1f} MiB")
    print(f"  floor        {statistics.median(floors):.3f} s median "
          f"(bare libpcap read loop)")
    print(f"  ratio        {ratio:.2f}x the floor (median of {a.runs} "
          f"alternating runs); target <= {a.target}x: {met}")


if __name__ == "__main__":
    main()
