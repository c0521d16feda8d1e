#!/usr/bin/env python3
"""Per-fact cost of scenes as scenes are added.

Writes rule files of N scenes on conn_start (N = 1, 10, 50, 200), each
waiting for its own destination port, so that at most one matches a
fact, and times `labwarden replay --emit none` with each over the bench
capture.  With the index by equality value, the cost per fact should
stay flat: the median time with 200 scenes should be close to the one
with 1.

usage: scene_scaling.py LABWARDEN PCAP OUT_DIR [--runs 3]
"""
import argparse
import os
import statistics
import subprocess
import time


def rules_file(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write(f"""- name: port-{i}
  on: conn_start
  when:
    dest_port: {10000 + i}
    outbound: true
  group_by: src_ip
  count: {{ within: 10s, at_least: 50 }}
  actions:
    - notify
""")


def timed(argv):
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labwarden")
    ap.add_argument("pcap")
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    base = None
    print("  scenes on conn_start   median wall   vs 1 scene")
    for n in (1, 10, 50, 200):
        path = os.path.join(a.out, f"scenes-{n}.yaml")
        rules_file(path, n)
        argv = [a.labwarden, "replay", "--emit", "none", "-r", path, a.pcap]
        wall = statistics.median(timed(argv) for _ in range(a.runs))
        base = base or wall
        print(f"  {n:>6}                 {wall:.3f} s       "
              f"{wall / base:.2f}x")


if __name__ == "__main__":
    main()
