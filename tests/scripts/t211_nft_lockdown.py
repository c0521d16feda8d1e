#!/usr/bin/env python3
"""t211: --act puts lockdowns and quarantines into real nftables sets.

Two network namespaces joined by a veth pair: "lab" (192.168.1.10, where
labwarden runs) and "attacker" (192.168.1.66).  The demo is replayed in
"lab" with --act and the nft backend.  Checked with nft and ping:
  - table inet labwarden exists with lockdown4, lockdown6 and
    quarantine_mac, all with timeouts, and stays after labwarden exits;
  - the port scanner 192.168.1.66 is in lockdown4 with about an hour
    left, and the attacker can no longer ping the lab host;
  - the new phone's MAC is in quarantine_mac for about a day;
  - a scene that tries to lock down the protected gateway is refused;
  - actions.max_per_hour caps automatic blocks, refused with the reason;
  - `labwarden release` takes the scanner out and its ping works again;
  - with --state, a lockdown the kernel lost is put back on the next run
    with the time it had left, and one that expired is released.
Needs root (CAP_NET_ADMIN) and iproute2/nftables; exits 77 (skipped)
without them.

usage: t211_nft_lockdown.py LABWARDEN PCAPS_DIR RULES_DIR
"""
import json
import os
import shutil
import sys
import tempfile

from lwtest import check, finish, run
from lwnet import VethPair, sh, skip_unless_netns

# With the pid: the same test running in another checkout keeps its own.
LAB, ATTACKER = f"lw-t211-lab-{os.getpid()}", f"lw-t211-att-{os.getpid()}"


def ping_ok():
    return sh("ip", "netns", "exec", ATTACKER, "ping", "-c", "1", "-W",
              "1", "192.168.1.10", check_rc=False).returncode == 0


def nft_set(name):
    res = sh("ip", "netns", "exec", LAB, "nft", "-j", "list", "set",
             "inet", "labwarden", name, check_rc=False)
    if res.returncode != 0:
        return None
    for item in json.loads(res.stdout)["nftables"]:
        if "set" in item:
            return item["set"]
    return None


def elements(s):
    out = {}
    for e in (s or {}).get("elem", []):
        inner = e.get("elem", e) if isinstance(e, dict) else {"val": e}
        out[inner["val"]] = inner.get("expires", 0)
    return out


def replay(lw, demo, rules, cfg):
    res = run(["ip", "netns", "exec", LAB, lw, "replay", "--act", "-c",
               cfg, "-r", rules, "--emit", "scene", demo])
    events = [json.loads(l) for l in res.stdout.splitlines()]
    return res, [dict(a, scene=e["scene"]) for e in events
                 for a in e["actions"]]


def one_packet(path, when):
    """An ARP request from the laptop at time 'when' (epoch seconds)."""
    import struct
    frame = (b"\xff" * 6 + bytes.fromhex("3c22fb102030") + b"\x08\x06" +
             struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1,
                         bytes.fromhex("3c22fb102030"),
                         bytes([192, 168, 1, 20]), b"\0" * 6,
                         bytes([192, 168, 1, 1])) + b"\0" * 18)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        f.write(struct.pack("<IIII", when, 0, len(frame), len(frame)) + frame)


def test_state(lw, demo, rules_dir, cfg, tmp):
    state = os.path.join(tmp, "state")
    os.mkdir(state)
    res = run(["ip", "netns", "exec", LAB, lw, "replay", "--act", "-c", cfg,
               "-r", rules_dir, "--state", state, "--emit", "none", demo])
    with open(os.path.join(state, "actions.json")) as f:
        saved = json.load(f)
    scan = [a for a in saved["actions"] if a["target"] == "192.168.1.66"]
    check(res.returncode == 0 and scan and scan[0]["action"] == "lockdown",
          "--state keeps the scanner's lockdown in actions.json")
    sh("ip", "netns", "exec", LAB, "nft", "flush", "set", "inet",
       "labwarden", "lockdown4")
    later = os.path.join(tmp, "later.pcap")
    trigger = scan[0]["until_ns"] // 10**9 - 3600
    one_packet(later, trigger + 1800)              # half an hour on
    res = run(["ip", "netns", "exec", LAB, lw, "replay", "--act", "-c", cfg,
               "-r", rules_dir, "--state", state, "--emit", "none", later])
    left = elements(nft_set("lockdown4")).get("192.168.1.66", 0)
    check("put back" in res.stderr and 1790 <= left <= 1800,
          f"a lost lockdown is put back with its time left ({left} s)")
    much_later = os.path.join(tmp, "much-later.pcap")
    one_packet(much_later, trigger + 7200)         # two hours on
    res = run(["ip", "netns", "exec", LAB, lw, "replay", "--act", "-c", cfg,
               "-r", rules_dir, "--state", state, "--emit", "none",
               much_later])
    with open(os.path.join(state, "actions.json")) as f:
        saved = json.load(f)
    check("192.168.1.66" not in elements(nft_set("lockdown4")) and
          not [a for a in saved["actions"] if a["target"] == "192.168.1.66"]
          and "expired and released" in res.stderr,
          "an expired lockdown is released and forgotten")


def main():
    lw, pcaps, rules = (os.path.abspath(a) for a in sys.argv[1:4])
    demo = os.path.join(pcaps, "demo.pcap")
    skip_unless_netns(LAB, tools=("nft",))
    with tempfile.TemporaryDirectory() as tmp:
        extra = os.path.join(tmp, "gateway.yaml")
        with open(extra, "w") as f:
            f.write("- name: lock-gateway\n  on: mac_ip_change\n"
                    "  actions:\n    - lockdown: { target: \"{ip}\" }\n")
        cfg = os.path.join(tmp, "act.yaml")
        with open(cfg, "w") as f:
            f.write("networks:\n  protected: [192.168.1.1]\n"
                    f"inventory:\n  known_devices: {pcaps}/demo-known.txt\n"
                    "backends:\n  local: { type: nft }\n")
        rules_dir = os.path.join(tmp, "rules")
        shutil.copytree(rules, rules_dir)
        shutil.copy(extra, rules_dir)
        with VethPair(LAB, ATTACKER, "lwt211a", "lwt211b",
                      [("192.168.1.10/24", "192.168.1.66/24")]):
            check(ping_ok(), "before: the attacker can ping the lab host")
            res, actions = replay(lw, demo, rules_dir, cfg)
            check(res.returncode == 0, "replay --act exits 0"
                  + (f" [{res.stderr.strip()[:200]}]" if res.returncode
                     else ""))
            sets = {n: nft_set(n) for n in ("lockdown4", "lockdown6",
                                             "quarantine_mac")}
            check(all(s and "timeout" in s.get("flags", [])
                      for s in sets.values()),
                  "table inet labwarden with three timeout sets, left "
                  "in place")
            locked = elements(sets["lockdown4"])
            check(3500 <= locked.get("192.168.1.66", 0) <= 3600,
                  f"the scanner is locked down for an hour "
                  f"({locked.get('192.168.1.66')} s left)")
            quarantined = elements(sets["quarantine_mac"])
            check(86000 <= quarantined.get("da:a1:19:5c:7e:01", 0) <= 86400,
                  "the new phone's MAC is quarantined for a day")
            check("192.168.1.1" not in locked,
                  "the protected gateway is not in a set")
            gw = [a for a in actions if a["scene"] == "lock-gateway"]
            check(gw and all(a["status"] == "refused" and "protected" in
                             a["detail"] for a in gw),
                  "locking down the gateway is refused as protected")
            done = [a for a in actions if a["status"] == "done"]
            check(any(a["target"] == "192.168.1.66" for a in done),
                  "the scene event says done for the scanner")
            check(not ping_ok(), "after: the attacker's ping is dropped")
            rel = run(["ip", "netns", "exec", LAB, lw, "release",
                       "192.168.1.66"])
            check(rel.returncode == 0 and "released" in rel.stdout and
                  "192.168.1.66" not in elements(nft_set("lockdown4")),
                  f"labwarden release takes it out: {rel.stdout.strip()}")
            check(ping_ok(), "and the attacker can ping again")
            rel = run(["ip", "netns", "exec", LAB, lw, "release",
                       "192.168.1.99"])
            check(rel.returncode == 0 and "not locked down" in rel.stdout,
                  "releasing something never blocked says so")
            rel = run([lw, "release", "not-an-address"])
            check(rel.returncode == 2 and "neither an IP nor a MAC" in
                  rel.stderr, "a target that is no address: exit 2")

            test_state(lw, demo, rules_dir, cfg, tmp)
            with open(cfg, "a") as f:
                f.write("actions:\n  max_per_hour: 2\n")
            res, actions = replay(lw, demo, rules_dir, cfg)
            blocks = [a for a in actions if a["action"] in ("lockdown",
                      "quarantine") and a["scene"] != "lock-gateway"]
            refused = [a for a in blocks if a["status"] == "refused"]
            capped = [a for a in refused if "max_per_hour" in a["detail"]]
            # the ARP spoofer was first seen at the protected gateway's
            # address: refused as protected, before the cap counts it
            check(sum(a["status"] == "done" for a in blocks) == 2 and
                  capped and all(a in capped or "protected" in a["detail"]
                                 for a in refused),
                  f"max_per_hour 2: two blocks done, {len(capped)} "
                  "refused with the reason")
    finish()


if __name__ == "__main__":
    main()
