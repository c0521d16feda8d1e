#!/usr/bin/env python3
"""The live benchmark: the highest packet rate `labwarden run` takes with
zero drops.

Two network namespaces joined by a veth pair.  labwarden runs in "lab"
as user nobody with the default rules; tcpreplay sends a slice of the
bench capture from "peer" at rising rates (--pps).  After each step
labwarden is stopped and its --stats read.  A step has zero drops when
the kernel dropped nothing (pcap: ring and interface; NFLOG: sequence
gaps and socket overruns) and every packet sent was received.  The
series ends at the first step with drops, or when tcpreplay cannot send
faster.  Three series:
  pcap        sources: - pcap: IFACE (immediate mode, the default)
  pcap-batch  the same with immediate: false (TPACKET_V3 blocks)
  nflog       an nft prerouting rule `log group 240` for every packet,
              labwarden reading group 240 (the capture's destination
              MACs rewritten to the lab end, so the packets reach it)
For each step: the rate tcpreplay reached, packets sent, received,
dropped, and labwarden's CPU (user+system over the step's wall time)
and peak RSS.  Needs root, iproute2, tcpreplay (tcprewrite), editcap and
nft; prints why and exits 0 without them (make bench goes on).

usage: live.py LABWARDEN BENCH_PCAP WORK_DIR [--series pcap,pcap-batch,nflog]
               [--rates 10000,20000,...] [--seconds 2] [--snaplen N]
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "scripts"))
from lwnet import (VethPair, netns_missing, proc_status, sh,  # noqa: E402
                   wait_for)

LAB, PEER = "lw-bench-lab", "lw-bench-peer"
DEV_A, DEV_B = "lwbencha", "lwbenchb"
GROUP = 240
SLICE = 300000
RATES = [10000, 20000, 50000, 100000, 150000, 200000, 300000, 400000,
         600000, 800000, 1200000]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def ready(argv0):
    why = netns_missing(LAB, ("ip", "tcpreplay", "tcprewrite", "editcap",
                              "nft"))
    if not why and not os.access(argv0, os.X_OK):
        why = f"{argv0}: not built"
    return why


def make_slices(pcap, work, lab_mac):
    """The first SLICE packets, as they are and aimed at the lab end."""
    plain = os.path.join(work, "live-slice.pcap")
    aimed = os.path.join(work, "live-slice-lab.pcap")
    if not os.path.exists(plain) or os.path.getmtime(plain) < \
            os.path.getmtime(pcap):
        sh("editcap", "-r", pcap, plain, f"1-{SLICE}")
    sh("tcprewrite", f"--enet-dmac={lab_mac}", "-i", plain, "-o", aimed)
    return plain, aimed


def config(work, series, snaplen):
    path = os.path.join(work, f"live-{series}.yaml")
    src = {"pcap": f"  - pcap: {DEV_A}\n",
           "pcap-batch": f"  - pcap: {DEV_A}\n    immediate: false\n",
           "nflog": f"  - nflog: {GROUP}\n"}[series]
    if snaplen and series != "nflog":
        src += f"    snaplen: {snaplen}\n"
    with open(path, "w") as f:
        f.write(f"sources:\n{src}user: nobody\nstats_interval: 0s\n")
    os.chmod(path, 0o644)
    return path


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def parse_counts(stderr, series):
    """(received, dropped) from labwarden's --stats source line."""
    if series == "nflog":
        m = re.search(r"source nflog:\d+: (\d+) received, (\d+) lost "
                      r"\(sequence gaps\), (\d+) socket overruns", stderr)
        if not m:
            return None
        rec, lost, over = (int(x) for x in m.groups())
        return rec, lost + over
    m = re.search(rf"source {DEV_A}: (\d+) received, (\d+) dropped "
                  r"\(ring\), (\d+) dropped \(interface\)", stderr)
    if not m:
        return None
    rec, drop, ifdrop = (int(x) for x in m.groups())
    return rec - drop, drop + ifdrop


def nft_logged(pair):
    """Packets the nft log rule counted (what NFLOG was given)."""
    out = pair.run_in(0, "nft", "list", "chain", "inet", "lwbench",
                      "pre").stdout
    m = re.search(r"counter packets (\d+)", out)
    return int(m.group(1)) if m else -1


def step(pair, lw, cfg, pcap, rate, seconds, series, work):
    errpath = os.path.join(work, "live-step.err")
    limit = min(SLICE, max(20000, int(rate * seconds)))
    logged0 = nft_logged(pair) if series == "nflog" else 0
    with open(errpath, "w") as err:
        proc = pair.popen_in(0, [lw, "run", "-c", cfg, "-o", "/dev/null",
                                 "--emit", "none", "--stats"], stderr=err)
        if not wait_for(errpath, "listening on", 15):
            proc.kill()
            proc.wait()
            with open(errpath) as f:
                sys.exit(f"labwarden did not start: {f.read().strip()}")
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        res = pair.run_in(1, "tcpreplay", "-i", DEV_B, "--preload-pcap",
                          f"--pps={rate}", f"--limit={limit}", pcap,
                          timeout=600)
        time.sleep(0.5)
        cpu = cpu_seconds(proc.pid) - cpu0
        wall = time.monotonic() - t0
        peak_kib = int(proc_status(proc.pid)["VmHWM"].split()[0])
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    with open(errpath) as f:
        stderr = f.read()
    sent = int(re.search(r"Successful packets:\s+(\d+)", res.stdout)
               .group(1))
    m = re.search(r"Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps",
                  res.stdout)
    reached = float(m.group(1)) if m else 0.0
    counts = parse_counts(stderr, series)
    if counts is None:
        sys.exit(f"no source line in labwarden's --stats:\n{stderr}")
    received, dropped = counts
    offered = nft_logged(pair) - logged0 if series == "nflog" else sent
    return {"rate": rate, "reached": reached, "sent": sent,
            "offered": offered, "received": received, "dropped": dropped,
            "cpu": 100.0 * cpu / wall if wall else 0.0,
            "rss_mib": peak_kib / 1024.0,
            "clean": dropped == 0 and received == offered}


def series_run(pair, lw, series, pcap, rates, seconds, work, snaplen):
    cfg = config(work, series, snaplen)
    best = None
    print(f"== {series}")
    print(f"  {'asked pps':>10} {'reached':>10} {'sent':>8} "
          f"{'offered':>8} {'received':>8} {'dropped':>8} {'cpu %':>6} "
          f"{'rss MiB':>7}")
    for rate in rates:
        r = step(pair, lw, cfg, pcap, rate, seconds, series, work)
        print(f"  {r['rate']:>10} {r['reached']:>10.0f} {r['sent']:>8} "
              f"{r['offered']:>8} {r['received']:>8} {r['dropped']:>8} "
              f"{r['cpu']:>6.1f} {r['rss_mib']:>7.1f}"
              f"{'' if r['clean'] else '   <- drops'}", flush=True)
        if not r["clean"]:
            break
        best = r
        if r["reached"] < 0.9 * rate:
            print("  (tcpreplay cannot send faster here)")
            break
    if best:
        print(f"{series}: highest rate with zero drops: "
              f"{best['reached']:,.0f} packets/s (asked {best['rate']:,}; "
              f"labwarden {best['cpu']:.0f}% of a core, peak RSS "
              f"{best['rss_mib']:.1f} MiB)")
    else:
        print(f"{series}: drops already at {rates[0]:,} packets/s")
    return best


NFT_RULES = f"""
table inet lwbench {{
  chain pre {{
    type filter hook prerouting priority -300; policy accept;
    counter log group {GROUP}
  }}
}}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("labwarden")
    ap.add_argument("pcap")
    ap.add_argument("work")
    ap.add_argument("--series", default="pcap,pcap-batch,nflog")
    ap.add_argument("--rates", default=",".join(map(str, RATES)))
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--snaplen", type=int, default=0,
                    help="pcap sources' snaplen (default: labwarden's)")
    a = ap.parse_args()
    why = ready(a.labwarden)
    if why:
        print(f"live benchmark skipped: {why}")
        return
    rates = [int(x) for x in a.rates.split(",")]
    os.makedirs(a.work, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        with VethPair(LAB, PEER, DEV_A, DEV_B) as pair:
            plain, aimed = make_slices(a.pcap, a.work, pair.mac(0))
            for series in a.series.split(","):
                nflog = series == "nflog"
                if nflog:           # the log rule only while it is read
                    subprocess.run(["ip", "netns", "exec", LAB, "nft",
                                    "-f", "-"], input=NFT_RULES, text=True,
                                   check=True)
                series_run(pair, os.path.abspath(a.labwarden), series,
                           aimed if nflog else plain, rates, a.seconds,
                           tmp, a.snaplen)
                if nflog:
                    pair.run_in(0, "nft", "delete", "table", "inet",
                                "lwbench")


if __name__ == "__main__":
    main()
