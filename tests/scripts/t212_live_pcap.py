#!/usr/bin/env python3
"""t212: `labwarden run` sensing live on a veth sees what a replay sees.

Two network namespaces joined by a veth pair; labwarden runs in one as
user nobody, capturing live on its end (promiscuous, immediate mode);
tcpreplay sends the demo capture from the other.  Checked: the DNS
questions are the same, in number and names, as a replay of the file;
every MAC of the replay is announced; drops are reported (none at this
rate) in --stats and in the periodic stats events (stats_interval: 1s),
which come while it runs; SIGTERM ends the run within 2 s with state
saved; a SIGHUP with broken rules keeps the running scenes; the scan's
scenes start triggered captures live, as in replay: each file holds only
its target's packets, mode 0600, with its capture_done at exit.

Then drops are made: a second run with a 1 MiB ring is stopped
(SIGSTOP) while tcpreplay sends the demo at full speed, and continued.
The kernel counts what it could not queue; checked: drops reported in
--stats and in the stats event, and the packets labwarden handled plus
the drops are exactly what the interface received (the packets sent).
Needs root, iproute2 and tcpreplay; exits 77 (skipped) without them.

usage: t212_live_pcap.py LABWARDEN PCAPS_DIR RULES_DIR
"""
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from lwtest import check, finish, json_lines, run
from lwnet import VethPair, skip_unless_netns

LAB, PEER = "lw-t212-lab", "lw-t212-peer"


def questions(lines):
    c = collections.Counter()
    macs = set()
    for line in lines:
        ev = json.loads(line)
        if ev["type"] == "dns_query":
            c[(ev["qname"], ev["qtype"])] += 1
        elif ev["type"] == "new_mac":
            macs.add(ev["mac"])
    return c, macs


def tcpreplay_sent(output):
    """Packets tcpreplay says it sent ("Successful packets: N")."""
    m = re.search(r"Successful packets:\s+(\d+)", output)
    return int(m.group(1)) if m else -1


def first_run(pair, lw, demo, rules, tmp):
    """The demo at 2000 packets/s; reload and stop checks."""
    state = os.path.join(tmp, "state")      # made by labwarden for nobody
    cfg = os.path.join(tmp, "run.yaml")
    with open(cfg, "w") as f:
        f.write(f"sources:\n  - pcap: lwt212a\nstate_dir: {state}\n"
                f"capture_dir: {tmp}/captures\n"
                f"user: nobody\nstats_interval: 1s\n")
    live_rules = os.path.join(tmp, "rules")
    shutil.copytree(rules, live_rules)
    out = os.path.join(tmp, "events.jsonl")
    errpath = os.path.join(tmp, "err")
    with open(errpath, "w") as err:
        proc = pair.popen_in(0, [lw, "run", "-c", cfg, "-r", live_rules,
                                 "-o", out, "--emit",
                                 "dns_query,new_mac,stats,scene,capture_done",
                                 "--stats"],
                             stderr=err)
        time.sleep(1.0)
        pair.run_in(1, "tcpreplay", "-q", "-i", "lwt212b", "--pps", "2000",
                    demo)
        time.sleep(1.5)                     # a periodic stats event or two
        # a reload with broken rules keeps the running scenes
        with open(os.path.join(live_rules, "zz-broken.yaml"), "w") as f:
            f.write("- name: broken\n  on: dns_qurey\n")
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
        took = time.monotonic() - t0
    with open(errpath) as f:
        stderr = f.read()
    check(rc == 0 and took < 2.0,
          f"SIGTERM ends the run in {took:.2f} s, exit {rc}")
    check("dns_qurey" in stderr and "scenes running stay" in stderr,
          "SIGHUP with broken rules: errors shown, old scenes kept")
    check(os.path.exists(os.path.join(state, "sensor.json")),
          "state saved in state_dir at exit")
    check("dropped by the kernel" in stderr and " 0 dropped" in stderr,
          "drops reported (none here)")
    with open(out) as f:
        events = json_lines(f.read(), "events")
    stats = [e for e in events if e["type"] == "stats"]
    periodic = stats[:-1]
    check(len(periodic) >= 2 and all(
          e["sources"][0]["kind"] == "pcap" and
          e["sources"][0]["dropped"] == 0 and e["dropped"] == 0
          for e in stats), f"{len(periodic)} periodic stats events while "
          f"running, each with the pcap source and its drops (0)")
    check(len(periodic) >= 2 and
          periodic[-1]["packets"] >= periodic[0]["packets"] and
          stats[-1]["packets"] >= 4918, "their counts grow to the "
          f"demo's 4918 packets ({stats[-1]['packets'] if stats else 0})")
    check_live_captures(events)
    return [json.dumps(e) for e in events if e["type"] != "stats"]


def check_live_captures(events):
    """Triggered captures work live as in replay: the scan's scenes
    start them, the files hold only their target's packets, 0600."""
    started = {a["file"]: a["target"] for e in events
               if e["type"] == "scene" for a in e["actions"]
               if a["action"] == "capture" and a["status"] == "done"}
    done = [e for e in events if e["type"] == "capture_done"]
    check(started and len(done) == len(started),
          f"live: {len(started)} captures started by scenes, each with "
          f"its capture_done at exit ({len(done)})")
    for ev in done:
        path, target = ev["file"], started.get(ev["file"])
        mode = os.stat(path).st_mode & 0o777
        got = tshark_count(path, "frame")
        others = tshark_count(path, f"!(ip.addr == {target})")
        check(mode == 0o600 and got == ev["packets"] > 0 and others == 0,
              f"live capture {os.path.basename(path)}: {got} packets "
              f"(capture_done says {ev['packets']}), none of other hosts "
              f"({others}), mode {oct(mode)}")


def tshark_count(path, display_filter):
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", display_filter,
                          "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, timeout=60).stdout
    return len(out.split())


def drop_run(pair, lw, demo, tmp):
    """A stopped reader with a small ring: the kernel drops, we say so."""
    cfg = os.path.join(tmp, "drop.yaml")
    with open(cfg, "w") as f:
        f.write("sources:\n  - pcap: lwt212a\n    buffer_mb: 1\n"
                "user: nobody\nstats_interval: 0s\n")
    out = os.path.join(tmp, "drop.jsonl")
    errpath = os.path.join(tmp, "drop.err")
    with open(errpath, "w") as err:
        proc = pair.popen_in(0, [lw, "run", "-c", cfg, "-o", out, "--emit",
                                 "stats", "--stats"], stderr=err)
        time.sleep(1.0)
        proc.send_signal(signal.SIGSTOP)
        res = pair.run_in(1, "tcpreplay", "-i", "lwt212b", "--topspeed",
                          demo)
        proc.send_signal(signal.SIGCONT)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
    sent = tcpreplay_sent(res.stdout)
    with open(errpath) as f:
        stderr = f.read()
    with open(out) as f:
        stats = [e for e in json_lines(f.read(), "drop events")
                 if e["type"] == "stats"]
    m = re.search(r"source lwt212a: (\d+) received, (\d+) dropped "
                  r"\(ring\), (\d+) dropped \(interface\)", stderr)
    check(rc == 0 and m is not None and len(stats) == 1,
          f"drop run: exit {rc}, --stats line and a stats event")
    if not m or not stats:
        return
    received, dropped, ifdropped = (int(x) for x in m.groups())
    handled = stats[0]["packets"]
    check(dropped > 0, f"the stopped reader's ring overflowed: {dropped} "
          f"dropped of {sent} sent")
    check(received == sent and handled + dropped == received,
          f"handled ({handled}) + dropped ({dropped}) == received "
          f"({received}) == sent ({sent})")
    check(stats[0]["dropped"] == dropped + ifdropped and
          stats[0]["sources"][0]["dropped"] == dropped,
          f"the stats event says the same ({stats[0]['dropped']})")


def main():
    lw, pcaps, rules = (os.path.abspath(a) for a in sys.argv[1:4])
    demo = os.path.join(pcaps, "demo.pcap")
    skip_unless_netns(LAB, tools=("tcpreplay",))
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)        # nobody reads rules and writes state
        with VethPair(LAB, PEER, "lwt212a", "lwt212b") as pair:
            lines = first_run(pair, lw, demo, rules, tmp)
            drop_run(pair, lw, demo, tmp)
        live_q, live_macs = questions(lines)
        res = run([lw, "replay", "--emit", "dns_query,new_mac", demo])
        file_q, file_macs = questions(res.stdout.splitlines())
        check(live_q == file_q and sum(live_q.values()) > 200,
              f"live: the same {sum(file_q.values())} DNS questions as "
              f"the replay ({sum(live_q.values())})")
        check(file_macs <= live_macs,
              f"every MAC of the replay announced live "
              f"({len(file_macs)} of {len(live_macs)})")
    finish()


if __name__ == "__main__":
    main()
