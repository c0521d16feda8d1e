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
  kept in state_dir/keys.json);
- a second rotation within the grace period overwrites the older
  PATH.prev's bytes (a hard link taken before sees zeros) before it goes,
  and says so: a `destroy` audit record, keys.json no longer waiting;
- when PATH.meta cannot be written after PATH was replaced, PATH holds
  the old key again, the numbers are unchanged and the rotation fails.

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


def rotate_with_meta_blocked(lw, cfg, key, path):
    """`labwarden rotate KEY` with a directory where PATH.meta's temporary
    file (PATH.meta.tmp.PID) goes: only the metadata write fails."""
    blocker = []

    def block():
        blocker.append(f"{path}.meta.tmp.{os.getpid()}")
        os.mkdir(blocker[-1])

    res = subprocess.run([lw, "rotate", key, "-c", cfg], text=True,
                         capture_output=True, timeout=60, preexec_fn=block)
    for d in glob.glob(f"{path}.meta.tmp.*"):
        os.rmdir(d)
    return res


def test_meta_fails(lw, d, cfg):
    key = os.path.join(d, "keys", "meta.key")
    rotate(lw, cfg, "meta")
    rotate(lw, cfg, "meta")
    old, meta_before = read(key), read(key + ".meta")
    res = rotate_with_meta_blocked(lw, cfg, "meta", key)
    check(res.returncode == 1 and "meta" in res.stderr and
          "old key stays" in res.stderr,
          f"the metadata write fails: exit 1, said [{res.stderr.strip()}]")
    check(read(key) == old, "PATH holds the old key again")
    check(read(key + ".meta") == meta_before,
          f"PATH.meta still numbers the old key: {read(key + '.meta')}")
    left = glob.glob(os.path.join(d, "keys", "meta.key*tmp*"))
    check(left == [], f"no temporary files left: {left}")
    res = rotate(lw, cfg, "meta")
    check(res.returncode == 0 and read(key) != old and
          json.loads(read(key + ".meta"))["version"] == 3,
          "the next rotation works from the old numbers (version 3)")


def test_second_in_grace(lw, d, cfg):
    key = os.path.join(d, "keys", "early.key")
    state = os.path.join(d, "state")
    rotate(lw, cfg, "early")            # version 1
    rotate(lw, cfg, "early")            # version 2; 1 waits an hour
    v1 = read(key + ".prev")
    check(("early", 1) in lwkeys.waiting(state), "version 1 waits")
    spy = os.path.join(d, "spy")
    os.link(key + ".prev", spy)         # the inode, whatever its name
    res = rotate(lw, cfg, "early")      # version 3, within the grace
    with open(spy, "rb") as f:
        left = f.read()
    os.unlink(spy)
    check(res.returncode == 0 and len(left) == len(v1) and
          left == b"\0" * len(v1),
          f"version 1's bytes are overwritten before its file goes "
          f"({left[:12]!r})")
    with open(key + ".meta") as f:
        meta = json.load(f)
    check(meta == {"version": 3, "previous": 2} and
          read(key + ".prev") != v1, f"PATH.prev is version 2: {meta}")
    recs = [r for r in lwkeys.audit_records(state)
            if r.get("key") == "early" and r.get("step") == "destroy"]
    check(len(recs) == 1 and recs[0]["status"] == "done" and
          recs[0]["version"] == 1 and "early" in recs[0]["detail"],
          f"a destroy record says version 1 went early: {recs}")
    check(("early", 1) not in lwkeys.waiting(state) and
          ("early", 2) in lwkeys.waiting(state),
          f"keys.json waits for version 2 only: {lwkeys.waiting(state)}")
    check("early: destroy: version 1 destroyed early" in res.stdout,
          f"rotate says version 1 was destroyed [{res.stdout.strip()}]")


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
  meta: { store: file, path: keys/meta.key, prefix: svc-, grace: 1h }
  early: { store: file, path: keys/early.key, prefix: svc-, grace: 1h }
""")
        test_atomic(lw, d, cfg)
        test_hand_placed(lw, d, cfg)
        test_grace(lw, d, cfg)
        test_meta_fails(lw, d, cfg)
        test_second_in_grace(lw, d, cfg)
    finish()


if __name__ == "__main__":
    main()
