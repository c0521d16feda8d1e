#!/usr/bin/env python3
"""t221: the file key store.

- a reader process polls the key file the whole time 25 rotations run
  and never sees an empty, partial or otherwise malformed key;
- the key file, PATH.prev and PATH.meta are mode 0600; no temporary
  files are left;
- after each rotation PATH.prev holds the key that was current before;
- a key file placed by hand (no PATH.meta) is version 1 and is kept as
  the previous version;
- in replay with --act, PATH.prev stays while the grace period runs in
  packet time and is gone once it has passed (two captures, the wait
  kept in state_dir/keys.json).

usage: t221_file_store.py LABWARDEN
"""
import glob
import json
import os
import re
import stat
import subprocess
import sys
import tempfile

from lwtest import check, finish
import lwkeys
from lwkeys import rotate

ROTATIONS = 25
KEY_RE = re.compile(r"svc-[A-Za-z0-9_-]{43}\n")

READER = r"""
import json, os, re, sys
path, stop = sys.argv[1], sys.argv[2]
pattern = re.compile(r"svc-[A-Za-z0-9_-]{43}\n")
reads, bad, seen = 0, [], set()
while not os.path.exists(stop):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        bad.append("missing")
        continue
    reads += 1
    if pattern.fullmatch(text):
        seen.add(text)
    elif len(bad) < 10:
        bad.append(len(text))
print(json.dumps({"reads": reads, "bad": bad, "distinct": len(seen)}))
"""


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def read(path):
    with open(path) as f:
        return f.read()


def test_atomic(lw, d, cfg):
    key = os.path.join(d, "keys", "svc.key")
    res = rotate(lw, cfg, "svc")
    check(res.returncode == 0 and KEY_RE.fullmatch(read(key)),
          "the first rotation creates the key file, one well-formed line")
    stop = os.path.join(d, "stop-reader")
    reader = subprocess.Popen([sys.executable, "-c", READER, key, stop],
                              stdout=subprocess.PIPE, text=True)
    prev_ok = modes_ok = fails = 0
    for _ in range(ROTATIONS):
        before = read(key)
        res = rotate(lw, cfg, "svc")
        fails += res.returncode != 0
        prev_ok += read(key + ".prev") == before and read(key) != before
        modes_ok += all(mode(p) == 0o600 for p in
                        (key, key + ".prev", key + ".meta"))
    open(stop, "w").close()
    out, _ = reader.communicate(timeout=30)
    summary = json.loads(out)
    check(fails == 0, f"{ROTATIONS} rotations, all exit 0 ({fails} failed)")
    check(summary["bad"] == [], f"the reader never saw a partial, empty or "
          f"missing key in {summary['reads']} reads: {summary['bad']}")
    check(summary["reads"] > 200 and summary["distinct"] >= 5,
          f"the reader really read during the rotations ({summary})")
    check(prev_ok == ROTATIONS, f"after each rotation PATH.prev holds the "
          f"key from before ({prev_ok}/{ROTATIONS})")
    check(modes_ok == ROTATIONS, f"key, .prev and .meta are 0600 after "
          f"each rotation ({modes_ok}/{ROTATIONS})")
    with open(key + ".meta") as f:
        meta = json.load(f)
    check(meta == {"version": ROTATIONS + 1, "previous": ROTATIONS},
          f"PATH.meta numbers the versions: {meta}")
    left = glob.glob(os.path.join(d, "keys", "*tmp*"))
    check(left == [], f"no temporary files left: {left}")


def test_hand_placed(lw, d, cfg):
    key = os.path.join(d, "keys", "hand.key")
    lwkeys.write(key, "svc-placed-by-hand-before-labwarden-xxxxxxxxxxxx\n",
                 mode=0o640)
    res = rotate(lw, cfg, "hand")
    with open(key + ".meta") as f:
        meta = json.load(f)
    check(res.returncode == 0 and meta == {"version": 2, "previous": 1},
          f"a key file without PATH.meta counts as version 1: {meta}")
    check(read(key + ".prev").startswith("svc-placed-by-hand") and
          KEY_RE.fullmatch(read(key)) and mode(key) == 0o600,
          "the hand-placed key is kept as .prev; the new key is 0600")


def test_grace(lw, d, cfg):
    key = os.path.join(d, "keys", "grace.key")
    state = os.path.join(d, "state-replay")
    os.makedirs(state)
    rules, pcap = os.path.join(d, "rules.yaml"), os.path.join(d, "a.pcap")
    lwkeys.write_rules(rules, "grace")
    rotate(lw, cfg, "grace")            # version 1, nothing before it
    first = read(key)
    mac = bytes.fromhex("3c22fb000021")
    lwkeys.write_pcap(pcap, lwkeys.START, 30, mac)
    res = lwkeys.replay(lw, cfg, rules, pcap, state)
    evs = lwkeys.events(res.stdout)
    check(res.returncode == 0 and [(e["step"], e["status"], e["version"])
                                    for e in evs] == [("rotate", "done", 2)],
          f"first capture (30 s): version 2 rotated in: {evs}")
    check(os.path.exists(key + ".prev") and read(key + ".prev") == first
          and read(key) != first, "during the grace period PATH.prev holds "
          "version 1")
    check(("grace", 1) in lwkeys.waiting(state),
          "version 1 waits in keys.json")
    second = read(key)
    lwkeys.write_pcap(pcap, lwkeys.START + 40, 80, mac)
    res = lwkeys.replay(lw, cfg, rules, pcap, state)
    evs = lwkeys.events(res.stdout)
    check(res.returncode == 0 and [(e["step"], e["status"], e["version"])
                                    for e in evs] ==
          [("destroy", "done", 1)] and evs[0]["ts"] >= "2025-11-17T00:01:00",
          f"second capture: version 1 destroyed after the grace: {evs}")
    with open(key + ".meta") as f:
        meta = json.load(f)
    check(not os.path.exists(key + ".prev") and read(key) == second and
          meta == {"version": 2, "previous": 0},
          f"PATH.prev is gone, the current key untouched: {meta}")
    check(lwkeys.waiting(state) == [], "keys.json has nothing waiting")


def main():
    lw = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="lw-t221-") as d:
        lwkeys.workdir(d, "keys", "state")
        cfg = os.path.join(d, "labwarden.yaml")
        lwkeys.write(cfg, """state_dir: state
keys:
  svc: { store: file, path: keys/svc.key, prefix: svc-, grace: 1h }
  hand: { store: file, path: keys/hand.key, prefix: svc- }
  grace: { store: file, path: keys/grace.key, prefix: svc-, grace: 1m }
""")
        test_atomic(lw, d, cfg)
        test_hand_placed(lw, d, cfg)
        test_grace(lw, d, cfg)
    finish()


if __name__ == "__main__":
    main()
