#!/usr/bin/env python3
"""t231: a router that stops answering never slows the replay down.

The demo is replayed with --act and a webhook backend on an HTTPS
receiver (a CA made by the test), twice: once with the receiver
answering, once with every request hanging for 3 s against the
backend's 300 ms timeout.  Checked:
  - the scenes' lockdowns and quarantines are `pending` in the scene
    event, and each ends in exactly one `action` event: `done` when the
    receiver answers, `failed` with a timeout and 2 attempts (retries: 1)
    when it hangs;
  - the receiver saw exactly one request per action, then two per action
    (the retry), all signed;
  - the packet loop ("... of traffic in X s" in --stats) takes about the
    same time either way - the scenes never wait on the network - and
    the whole run, drain included, ends within the bound the timeouts
    and backoff give.

usage: t231_backend_hang.py LABWARDEN PCAPS_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import time

from lwtest import check, finish, json_lines
from fakeapi.base import make_pki
from fakeapi.webhook import Webhook

PATH = "/hook/t231"
SECRET = "t231-shared-secret"


def write_config(d, pki, srv):
    with open(os.path.join(d, "secret"), "w") as f:
        f.write(SECRET + "\n")
    path = os.path.join(d, "hang.yaml")
    with open(path, "w") as f:
        f.write("networks:\n  protected: [192.168.1.1]\n"
                "actions:\n  default_backend: hook\n  max_per_hour: 100\n"
                "backends:\n  hook:\n    type: webhook\n"
                f"    url: {srv.url}{PATH}\n    ca_file: {pki['ca']}\n"
                "    secret_file: secret\n    timeout: 300ms\n"
                "    retries: 1\n")
    return path


def replay(lw, cfg, demo):
    started = time.monotonic()
    res = subprocess.run([lw, "replay", "--act", "--stats", "-c", cfg,
                          "--emit", "scene,action", demo],
                         capture_output=True, text=True, timeout=120)
    wall = time.monotonic() - started
    m = re.search(r"of traffic in ([0-9.]+) s", res.stderr)
    loop = float(m.group(1)) if m else None
    return res, json_lines(res.stdout, "replay"), loop, wall


def remote_actions(events):
    """The lockdowns and quarantines the scenes handed to the backend."""
    return [a for e in events if e["type"] == "scene"
            for a in e["actions"]
            if a["action"] in ("lockdown", "quarantine") and
            a["status"] == "pending"]


def outcomes(events, asked):
    """The action events that end the pending actions, by id; checks
    that every pending action has an id and exactly one such event."""
    ids = sorted(a.get("id", -1) for a in asked)
    ends = [e for e in events if e["type"] == "action" and
            e.get("id") in set(ids)]
    check(-1 not in ids and sorted(e["id"] for e in ends) == ids,
          f"each of the {len(ids)} pending actions has an id and exactly "
          f"one action event ({len(ends)})")
    return ends


def main():
    lw, pcaps = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    demo = os.path.join(pcaps, "demo.pcap")
    with tempfile.TemporaryDirectory() as d:
        pki = make_pki(os.path.join(d, "pki"))
        srv = Webhook(pki, PATH, SECRET).start()
        # hung requests end in a client that left: not worth a traceback
        srv._server.handle_error = lambda request, address: None
        try:
            cfg = write_config(d, pki, srv)
            res, events, loop_ok, _ = replay(lw, cfg, demo)
            asked = remote_actions(events)
            done = outcomes(events, asked)
            check(res.returncode == 0 and len(asked) >= 5,
                  f"answering receiver: {len(asked)} actions pending "
                  f"(exit {res.returncode})")
            check(len(done) == len(asked) and
                  all(e["status"] == "done" for e in done),
                  f"each ends in one done action event ({len(done)})")
            check(len(srv.seen("POST", PATH)) == len(asked) and
                  not srv.violations, f"one signed request per action "
                  f"({len(srv.seen('POST', PATH))}; {srv.violations[:2]})")

            srv.clear()
            srv.fault("POST", PATH, hang=3, times=1000)
            res, events, loop_hang, wall = replay(lw, cfg, demo)
            asked = remote_actions(events)
            failed = outcomes(events, asked)
            check(res.returncode == 0 and len(asked) >= 5,
                  f"hanging receiver: {len(asked)} actions pending")
            check(len(failed) == len(asked) and
                  all(e["status"] == "failed" and e.get("attempts") == 2
                      and "time" in e.get("detail", "").lower()
                      for e in failed),
                  f"each ends failed after 2 attempts, timed out "
                  f"({[(e['status'], e.get('attempts')) for e in failed][:3]})")
            check(len(srv.seen("POST", PATH)) == 2 * len(asked),
                  f"two requests per action, the retry included "
                  f"({len(srv.seen('POST', PATH))} for {len(asked)})")
            check(loop_ok is not None and loop_hang is not None and
                  loop_hang < 0.5 and loop_hang < 5 * loop_ok + 0.2,
                  f"the packet loop keeps its speed: {loop_hang} s "
                  f"hanging vs {loop_ok} s answering")
            # per action at most: 2 x 0.3 s timeouts + 1 s backoff, one
            # worker; plus start and the replay itself
            bound = len(asked) * 1.8 + 5
            check(wall < bound, f"the run ends within {bound:.0f} s "
                  f"({wall:.1f} s, drain included)")
        finally:
            srv.stop()
    finish()


if __name__ == "__main__":
    main()
