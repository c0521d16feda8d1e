#!/usr/bin/env python3
"""t212: `labwarden run` sensing live on a veth sees what a replay sees.

Two network namespaces joined by a veth pair; labwarden runs in one,
capturing live on its end (promiscuous, immediate mode); tcpreplay sends
the demo capture from the other.  Checked: the DNS questions are the
same, in number and names, as a replay of the file; every MAC of the
replay is announced; drops are reported (none at this rate); SIGTERM
ends the run within 2 s with state saved; a SIGHUP with broken rules
keeps the running scenes.  Needs root, iproute2 and tcpreplay; exits 77
(skipped) without them.

usage: t212_live_pcap.py LABWARDEN PCAPS_DIR RULES_DIR
"""
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from lwtest import check, finish, run

LAB, PEER = "lw-t212-lab", "lw-t212-peer"


def sh(*argv, check_rc=True):
    res = subprocess.run(list(argv), capture_output=True, text=True,
                         timeout=120)
    if check_rc and res.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {res.stderr.strip()}")
    return res


def netns_up():
    for ns in (LAB, PEER):
        sh("ip", "netns", "del", ns, check_rc=False)
        sh("ip", "netns", "add", ns)
    sh("ip", "link", "add", "lwt212a", "netns", LAB, "type", "veth", "peer",
       "name", "lwt212b", "netns", PEER)
    for ns, dev in ((LAB, "lwt212a"), (PEER, "lwt212b")):
        sh("ip", "-n", ns, "link", "set", dev, "up")
        # no IPv6 chatter of its own on the wire under test
        sh("ip", "netns", "exec", ns, "sysctl", "-qw",
           f"net.ipv6.conf.{dev}.disable_ipv6=1")


def netns_down():
    for ns in (LAB, PEER):
        sh("ip", "netns", "del", ns, check_rc=False)


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


def main():
    lw, pcaps, rules = (os.path.abspath(a) for a in sys.argv[1:4])
    demo = os.path.join(pcaps, "demo.pcap")
    if os.geteuid() != 0 or not shutil.which("tcpreplay"):
        print("skipped: needs root and tcpreplay")
        sys.exit(77)
    probe = sh("ip", "netns", "add", LAB, check_rc=False)
    sh("ip", "netns", "del", LAB, check_rc=False)
    if probe.returncode != 0:
        print(f"skipped: no network namespaces here ({probe.stderr.strip()})")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state")
        os.mkdir(state)
        cfg = os.path.join(tmp, "run.yaml")
        with open(cfg, "w") as f:
            f.write(f"sources:\n  - pcap: lwt212a\nstate_dir: {state}\n")
        live_rules = os.path.join(tmp, "rules")
        shutil.copytree(rules, live_rules)
        out = os.path.join(tmp, "events.jsonl")
        try:
            netns_up()
            with open(os.path.join(tmp, "err"), "w") as err:
                proc = subprocess.Popen(
                    ["ip", "netns", "exec", LAB, lw, "run", "-c", cfg, "-r",
                     live_rules, "-o", out, "--emit", "dns_query,new_mac",
                     "--stats"], stderr=err)
                time.sleep(1.0)
                sh("ip", "netns", "exec", PEER, "tcpreplay", "-q", "-i",
                   "lwt212b", "--pps", "2000", demo)
                time.sleep(0.5)
                # a reload with broken rules keeps the running scenes
                with open(os.path.join(live_rules, "zz-broken.yaml"),
                          "w") as f:
                    f.write("- name: broken\n  on: dns_qurey\n")
                proc.send_signal(signal.SIGHUP)
                time.sleep(0.5)
                t0 = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                rc = proc.wait(timeout=10)
                took = time.monotonic() - t0
            with open(os.path.join(tmp, "err")) as f:
                stderr = f.read()
        finally:
            netns_down()
        check(rc == 0 and took < 2.0,
              f"SIGTERM ends the run in {took:.2f} s, exit {rc}")
        check("dns_qurey" in stderr and "scenes running stay" in stderr,
              "SIGHUP with broken rules: errors shown, old scenes kept")
        check(os.path.exists(os.path.join(state, "sensor.json")),
              "state saved in state_dir at exit")
        check("dropped by the kernel" in stderr and
              " 0 dropped" in stderr, "drops reported (none here)")
        with open(out) as f:
            live_q, live_macs = questions(f.read().splitlines())
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
