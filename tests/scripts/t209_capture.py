#!/usr/bin/env python3
"""t209: triggered captures hold exactly the target's packets.

Replays the demo with --act and a capture_dir: every capture file the
scenes start must hold exactly the packets of its target (IP, both
directions) from the trigger minus capture.ring_seconds to the end of
its `for:`, as tshark reads them out of the original capture; nothing of
other hosts; mode 0600; capture_done counts that match the file.  Then
the caps: max_packets, the quota (old files deleted first), a capture
directory that cannot be written and a disk that fills (RLIMIT_FSIZE):
the capture fails with a reason and the replay goes on to the end.

usage: t209_capture.py LABWARDEN PCAPS_DIR
"""
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import tempfile

from lwtest import check, finish, json_lines, run

RING_SECONDS = 30


def rfc3339_to_ns(ts):
    import datetime
    base, frac = ts[:-1].split(".")
    dt = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    return int(dt.timestamp()) * 10**9 + int(frac.ljust(9, "0"))


def tshark_times(path, display_filter):
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", display_filter,
                          "-T", "fields", "-e", "frame.time_epoch",
                          "-o", "ip.defragment:FALSE"],
                         capture_output=True, text=True, timeout=120).stdout
    return [round(float(t) * 1e6) for t in out.split()]


def config(tmp, extra=""):
    path = os.path.join(tmp, "capture.yaml")
    with open(path, "w") as f:
        f.write(f"capture_dir: {tmp}/captures\n"
                f"capture:\n  ring_seconds: {RING_SECONDS}\n{extra}")
    os.makedirs(os.path.join(tmp, "captures"), exist_ok=True)
    return path


def replay(lw, demo, cfg, preexec=None):
    res = subprocess.run([lw, "replay", "--act", "-c", cfg, "--emit",
                          "scene,capture_done", demo], capture_output=True,
                         text=True, timeout=300, preexec_fn=preexec)
    return res, json_lines(res.stdout, "replay")


def started(events):
    """(target, trigger ns, until ns, file) of every capture started."""
    out = []
    for ev in events:
        if ev["type"] != "scene":
            continue
        for a in ev["actions"]:
            if a["action"] == "capture" and a["status"] == "done":
                out.append((a["target"], rfc3339_to_ns(ev["ts"]),
                            rfc3339_to_ns(a["until"]), a["file"]))
    return out


def test_exact_contents(lw, demo):
    with tempfile.TemporaryDirectory() as tmp:
        res, events = replay(lw, demo, config(tmp))
        check(res.returncode == 0, "replay --act with captures exits 0")
        caps = started(events)
        check(len(caps) == 4, f"four captures started ({len(caps)})")
        done = {e["file"]: e for e in events if e["type"] == "capture_done"}
        for target, trigger, until, path in caps:
            name = os.path.basename(path)
            mode = stat.S_IMODE(os.stat(path).st_mode)
            check(mode == 0o600, f"{name}: mode 0600 ({oct(mode)})")
            got = tshark_times(path, "frame")
            lo = (trigger - RING_SECONDS * 10**9) / 1000
            want = tshark_times(demo, f"ip.addr == {target}")
            want = [t for t in want if lo <= t <= until / 1000]
            check(got == want and len(got) > 0,
                  f"{name}: {len(got)} packets = the target's "
                  f"{len(want)} from trigger-{RING_SECONDS}s to until")
            others = tshark_times(path, f"!(ip.addr == {target})")
            check(not others, f"{name}: nothing of other hosts")
            ev = done.get(path, {})
            check(ev.get("packets") == len(got) and ev.get("bytes") ==
                  os.path.getsize(path), f"{name}: capture_done counts "
                  f"{ev.get('packets')} packets, {ev.get('bytes')} bytes")


def test_actions_run_unwritten(lw, demo):
    """Captures start even when scene events are not written, and a
    second replay into the same directory never overwrites a file."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config(tmp)
        for _ in range(2):
            res = run([lw, "replay", "--act", "-c", cfg, "--emit",
                       "capture_done", demo])
        files = sorted(os.listdir(os.path.join(tmp, "captures")))
        check(res.returncode == 0 and len(files) == 8 and
              sum(f.endswith("-2.pcap") for f in files) == 4,
              f"--emit capture_done alone: 4 files, twice ({len(files)})")


def test_caps_and_quota(lw, demo):
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config(tmp, "  max_packets: 50\n")
        res, events = replay(lw, demo, cfg)
        done = [e for e in events if e["type"] == "capture_done"]
        check(done and all(e["packets"] <= 50 for e in done) and
              any(e["reason"] == "max_packets" for e in done),
              "capture.max_packets caps every file")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config(tmp, "  quota_mb: 1\n")
        old = []
        for i in range(3):	# 1.2 MB of older captures
            path = os.path.join(tmp, "captures", f"old-{i}.pcap")
            with open(path, "wb") as f:
                f.write(b"\0" * 400000)
            os.utime(path, (1000 + i, 1000 + i))
            old.append(path)
        res, events = replay(lw, demo, cfg)
        left = [p for p in old if os.path.exists(p)]
        check(not os.path.exists(old[0]) and len(left) < 3,
              f"the quota deletes the oldest first ({len(left)} of 3 "
              "old files left)")
        total = sum(os.path.getsize(os.path.join(tmp, "captures", n))
                    for n in os.listdir(os.path.join(tmp, "captures")))
        check(total <= 1024 * 1024 + 400000,
              f"the directory stays near its quota ({total} bytes)")


def test_failures_do_not_stop_sensing(lw, demo):
    with tempfile.TemporaryDirectory() as tmp:
        blocker = os.path.join(tmp, "not-a-dir")
        open(blocker, "w").close()
        cfg = os.path.join(tmp, "bad.yaml")
        with open(cfg, "w") as f:
            f.write(f"capture_dir: {blocker}/captures\n")
        res, events = replay(lw, demo, cfg)
        failed = [a for e in events if e["type"] == "scene"
                  for a in e["actions"] if a["action"] == "capture"]
        check(res.returncode == 0 and failed and
              all(a["status"] == "failed" and "Not a directory" in
                  a.get("detail", "") for a in failed),
              "an unwritable capture_dir: captures fail with the reason")
        scenes = {e["scene"] for e in events if e["type"] == "scene"}
        check("connection-burst" in scenes,
              "and sensing goes on to the end of the capture")

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))

    with tempfile.TemporaryDirectory() as tmp:
        res, events = replay(lw, demo, config(tmp), preexec=small_disk)
        done = [e for e in events if e["type"] == "capture_done"]
        check(res.returncode == 0 and any(e["reason"] == "write failed"
                                          for e in done),
              "a full disk ends the capture with 'write failed'")
        scenes = [e for e in events if e["type"] == "scene"]
        check(len(scenes) >= 10, f"sensing went on ({len(scenes)} scenes)")


SCAN_RULE = """- name: port-scan
  on: conn_start
  when: {{ proto: TCP }}
  group_by: [src_ip, dest_ip]
  count: {{ distinct: dest_port, within: 30s, at_least: 30 }}
  cooldown: 30m
  actions:
    - capture: {{ target: "{{src_ip}}", for: 2m, filter: "{filt}"{extra} }}
"""


def scan_replay(lw, capture, tmp, filt, extra=""):
    rules = os.path.join(tmp, "scan.yaml")
    with open(rules, "w") as f:
        f.write(SCAN_RULE.format(filt=filt, extra=extra))
    res = subprocess.run([lw, "replay", "--act", "-c", config(tmp), "-r",
                          rules, "--emit", "scene,capture_done", capture],
                         capture_output=True, text=True, timeout=300)
    return res, json_lines(res.stdout, "replay")


def test_filter_and_max_bytes(lw, pcaps):
    """nDPI's SYN scan: an extra BPF filter narrows the capture to what
    it names, and max_bytes ends a file at its size."""
    scan = os.path.join(pcaps, "public", "ndpi", "synscan.pcap")
    with tempfile.TemporaryDirectory() as tmp:
        res, events = scan_replay(lw, scan, tmp, "tcp[tcpflags] & tcp-syn "
                                  "!= 0")
        caps = started(events)
        check(res.returncode == 0 and len(caps) == 1,
              f"synscan.pcap: the scanner's capture starts ({len(caps)})")
        for target, trigger, until, path in caps:
            got = tshark_times(path, "frame")
            lo = (trigger - RING_SECONDS * 10**9) / 1000
            want = [t for t in tshark_times(
                scan, f"ip.addr == {target} && tcp.flags.syn == 1")
                if lo <= t <= until / 1000]
            check(got == want and len(got) > 0,
                  f"filter: {len(got)} packets = the target's {len(want)} "
                  "SYNs and SYN-ACKs, nothing else")
    with tempfile.TemporaryDirectory() as tmp:
        res, events = scan_replay(lw, scan, tmp, "tcp", ", max_bytes: 4000")
        done = [e for e in events if e["type"] == "capture_done"]
        check(len(done) == 1 and done[0]["reason"] == "max_bytes" and
              done[0]["bytes"] <= 4000 and
              os.path.getsize(done[0]["file"]) == done[0]["bytes"],
              f"max_bytes: the file ends at its size "
              f"({done[0]['bytes'] if done else None} bytes)")
    with tempfile.TemporaryDirectory() as tmp:
        res, events = scan_replay(lw, scan, tmp, "tcp and (")
        acts = [a for e in events if e["type"] == "scene"
                for a in e["actions"]]
        check(res.returncode == 0 and acts and
              acts[0]["status"] == "failed" and
              "filter" in acts[0].get("detail", ""),
              "a filter that does not compile fails the capture, "
              "with the reason")


def main():
    lw, pcaps = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    demo = os.path.join(pcaps, "demo.pcap")
    test_filter_and_max_bytes(lw, pcaps)
    test_exact_contents(lw, demo)
    test_actions_run_unwritten(lw, demo)
    test_caps_and_quota(lw, demo)
    test_failures_do_not_stop_sensing(lw, demo)
    finish()


if __name__ == "__main__":
    main()
