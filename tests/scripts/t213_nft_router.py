#!/usr/bin/env python3
"""t213: `labwarden run` on a router cuts a client off with nft, for real.

Four network namespaces: two clients on a bridge in the router
(10.213.1.10 and .11), the router (labwarden runs here, capturing on the
bridge, acting through the nft backend) and an outside host
(10.213.2.20, routed through 10.213.2.1).  Scenes made for the test:
a SYN to port 9 locks the sender down for 8 s, a SYN to port 7
quarantines the sender's MAC for an hour, a SYN to port 13 tries to lock
down the address it went to.  Checked with ping and TCP connects:
  - a locked-down client is cut off (ping and TCP) and back on time;
  - kill -9 during the lockdown and a restart: the block still ends on
    time (the kernel's timeout; the restart neither extends nor resets
    it) and the quarantine made before the restart is still in force,
    with the time it had left;
  - a quarantine the kernel lost (set flushed) while labwarden ran is put
    back within actions.verify_every, with the time it had left;
  - a quarantine the kernel lost (set flushed) while labwarden was down
    is put back at the next start with the time it had left;
  - the router's own address is refused, never actioned;
  - the expired lockdown is released by labwarden and forgotten;
  - `labwarden release` on the quarantined MAC while labwarden runs
    lets the client out, the running labwarden forgets it too and
    leaves the client alone for actions.soft_allow;
  - the audit log has every attempt, by origin.
Needs root, iproute2 and nftables; exits 77 (skipped) without them.

usage: t213_nft_router.py LABWARDEN
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from lwtest import check, finish, run
from lwnet import netns_add, netns_del, sh, skip_unless_netns, veth

# With the pid: the same test running in another checkout keeps its own.
CL1, CL2, RTR, OUT = (f"lw-t213-{n}-{os.getpid()}" for n in
                      ("cl1", "cl2", "rtr", "out"))
CL1_IP, CL2_IP, OUT_IP, RTR_IP = ("10.213.1.10", "10.213.1.11",
                                  "10.213.2.20", "10.213.1.1")
LOCK_S = 8
PORT = 8213

RULES = """\
- name: t213-lock
  on: conn_start
  when: { dest_port: 9 }
  actions:
    - lockdown: { target: "{src_ip}", for: 8s }
- name: t213-quarantine
  on: conn_start
  when: { dest_port: 7 }
  actions:
    - quarantine: { target: "{src_mac}", for: 1h }
- name: t213-own
  on: conn_start
  when: { dest_port: 13 }
  actions:
    - lockdown: { target: "{dest_ip}", for: 1h }
"""

LISTENER = """\
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", %d))
s.listen(16)
while True:
    c, _ = s.accept()
    c.close()
""" % (OUT_IP, PORT)


def netns_up():
    netns_add(CL1, CL2, RTR, OUT)
    sh("ip", "-n", RTR, "link", "add", "br213", "type", "bridge")
    for ns, a, b, addr in ((CL1, "l213c1", "l213r1", CL1_IP),
                           (CL2, "l213c2", "l213r2", CL2_IP)):
        veth(ns, a, RTR, b)
        sh("ip", "-n", RTR, "link", "set", b, "master", "br213", "up")
        sh("ip", "-n", ns, "addr", "add", addr + "/24", "dev", a)
        sh("ip", "-n", ns, "link", "set", a, "up")
        sh("ip", "-n", ns, "route", "add", "default", "via", RTR_IP)
    sh("ip", "-n", RTR, "addr", "add", RTR_IP + "/24", "dev", "br213")
    sh("ip", "-n", RTR, "link", "set", "br213", "up")
    veth(RTR, "l213ro", OUT, "l213o")
    sh("ip", "-n", RTR, "addr", "add", "10.213.2.1/24", "dev", "l213ro")
    sh("ip", "-n", RTR, "link", "set", "l213ro", "up")
    sh("ip", "-n", OUT, "addr", "add", OUT_IP + "/24", "dev", "l213o")
    sh("ip", "-n", OUT, "link", "set", "l213o", "up")
    sh("ip", "-n", OUT, "route", "add", "default", "via", "10.213.2.1")
    sh("ip", "netns", "exec", RTR, "sysctl", "-qw", "net.ipv4.ip_forward=1")


def ping(ns):
    return sh("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1",
              OUT_IP, check_rc=False).returncode == 0


def tcp(ns, port=PORT, wait=1.0):
    """True when a TCP connect to the outside host succeeds."""
    code = ("import socket,sys\ns=socket.socket()\ns.settimeout(%s)\n"
            "sys.exit(0 if s.connect_ex(('%s', %d)) == 0 else 1)\n"
            % (wait, OUT_IP, port))
    return sh("ip", "netns", "exec", ns, sys.executable, "-c", code,
              check_rc=False).returncode == 0


def syn(ns, dest, port):
    """One connection attempt: the SYN is what the scenes see."""
    code = ("import socket\ns=socket.socket()\ns.settimeout(0.3)\n"
            "s.connect_ex(('%s', %d))\n" % (dest, port))
    sh("ip", "netns", "exec", ns, sys.executable, "-c", code,
       check_rc=False)


def elements(name):
    res = sh("ip", "netns", "exec", RTR, "nft", "-j", "list", "set", "inet",
             "labwarden", name, check_rc=False)
    out = {}
    if res.returncode != 0:
        return out
    for item in json.loads(res.stdout)["nftables"]:
        for e in item.get("set", {}).get("elem", []):
            inner = e.get("elem", e) if isinstance(e, dict) else {"val": e}
            out[inner["val"]] = inner.get("expires", 0)
    return out


def wait_for(what, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = what()
        if value:
            return value
        time.sleep(0.05)
    return what()


def mac_of(ns, dev):
    res = sh("ip", "-n", ns, "-j", "link", "show", dev)
    return json.loads(res.stdout)[0]["address"]


class Labwarden:
    """labwarden run in the router namespace; stderr kept per start."""

    def __init__(self, lw, cfg, rules, events, tmp):
        # --user root: the test's files live in a 0700 temporary
        # directory; t228 covers running as an unprivileged user.
        self.argv = ["ip", "netns", "exec", RTR, lw, "run", "--user",
                     "root", "-c", cfg,
                     "-r", rules, "-o", events, "--emit", "scene,action"]
        self.tmp, self.proc, self.starts = tmp, None, 0
        self.err_path = None

    def start(self):
        self.starts += 1
        self.err_path = os.path.join(self.tmp, f"stderr.{self.starts}")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(self.argv, stderr=self.err)
        ok = wait_for(lambda: "listening on" in self.stderr(), 10)
        return ok

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.err.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=15)
        self.err.close()
        return rc


def events(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []


def actions_of(path):
    """Every action outcome: the scene events' and the action events'."""
    out = []
    for ev in events(path):
        if ev["type"] == "scene":
            out += [dict(a, scene=ev["scene"], via="scene")
                    for a in ev["actions"]]
        elif ev["type"] == "action":
            out.append(dict(ev, via="action"))
    return out


def scenario(lw, tmp):
    state = os.path.join(tmp, "state")
    os.mkdir(state)
    rules = os.path.join(tmp, "t213.yaml")
    with open(rules, "w") as f:
        f.write(RULES)
    cfg = os.path.join(tmp, "router.yaml")
    with open(cfg, "w") as f:
        f.write("networks:\n  home: [10.213.0.0/16]\n"
                "  protected: [10.213.2.1]\n"
                "sources:\n  - pcap: br213\n"
                f"state_dir: {state}\n"
                "actions:\n  verify_every: 2s\n"
                "backends:\n  local: { type: nft }\n")
    ev_path = os.path.join(tmp, "events.jsonl")
    listener = subprocess.Popen(["ip", "netns", "exec", OUT,
                                 sys.executable, "-c", LISTENER])
    lab = Labwarden(lw, cfg, rules, ev_path, tmp)
    try:
        time.sleep(0.3)
        check(ping(CL1) and tcp(CL1) and ping(CL2),
              "before: both clients reach the outside host (ping, TCP)")
        check(lab.start(), "labwarden run starts in the router namespace")
        cl2_mac = mac_of(CL2, "l213c2")

        # a quarantine that must survive the restart
        syn(CL2, OUT_IP, 7)
        q_at = time.monotonic()
        left = wait_for(lambda: elements("quarantine_mac").get(cl2_mac))
        check(left and 3590 <= left <= 3600,
              f"client 2's MAC is quarantined for an hour ({left} s)")
        check(not ping(CL2), "client 2 is cut off by its MAC")

        # the router's own address is refused
        syn(CL1, RTR_IP, 13)
        own = wait_for(lambda: [a for a in actions_of(ev_path)
                                if a.get("target") == RTR_IP])
        check(own and all(a["status"] == "refused" and
                          "own address" in a["detail"] for a in own) and
              RTR_IP not in elements("lockdown4"),
              "locking down the router's own address is refused")

        # the lockdown, then kill -9 in the middle of it
        syn(CL1, OUT_IP, 9)
        t_lock = time.monotonic()
        left = wait_for(lambda: elements("lockdown4").get(CL1_IP))
        check(left and LOCK_S - 2 <= left <= LOCK_S,
              f"client 1 is locked down for {LOCK_S} s ({left} s)")
        check(not ping(CL1) and not tcp(CL1, wait=0.5),
              "client 1 is cut off: ping and TCP connect fail")
        lab.kill9()
        check(lab.start(), "labwarden starts again after kill -9")
        stderr = lab.stderr()
        check("2 live" in stderr,
              f"the restart found both actions live: "
              f"{[l for l in stderr.splitlines() if 'last run' in l]}")
        q_left = elements("quarantine_mac").get(cl2_mac)
        q_age = time.monotonic() - q_at
        check(q_left and q_left <= 3600 - int(q_age) + 1,
              f"the quarantine is still in force with its time left "
              f"({q_left} s after {q_age:.1f} s), not a fresh hour")
        check(not ping(CL2), "client 2 is still cut off after the restart")
        l_left = elements("lockdown4").get(CL1_IP)
        check(l_left is not None and
              l_left <= LOCK_S - int(time.monotonic() - t_lock) + 1,
              f"the restart did not extend the lockdown ({l_left} s left)")
        wait_until = t_lock + LOCK_S - 2.5
        if time.monotonic() < wait_until:
            time.sleep(wait_until - time.monotonic())
        check(not tcp(CL1, wait=0.5),
              "client 1 is still cut off shortly before the end")
        back = t_lock + LOCK_S + 1.5
        if time.monotonic() < back:
            time.sleep(back - time.monotonic())
        check(ping(CL1) and tcp(CL1),
              "client 1 is back on time after the lockdown's 8 s")
        gone = wait_for(lambda: [a for a in actions_of(ev_path)
                                 if a["via"] == "action" and
                                 a["action"] == "release" and
                                 a.get("origin") == "expiry" and
                                 a["target"] == CL1_IP], 3)
        check(gone, "labwarden released the expired lockdown itself")

        # the kernel loses the quarantine while labwarden is down
        lab.kill9()
        sh("ip", "netns", "exec", RTR, "nft", "flush", "set", "inet",
           "labwarden", "quarantine_mac")
        check(ping(CL2), "with the set flushed client 2 gets out")
        check(lab.start(), "labwarden starts a third time")
        q_left = wait_for(lambda: elements("quarantine_mac").get(cl2_mac))
        q_age = time.monotonic() - q_at
        check(q_left and 3600 - int(q_age) - 5 <= q_left <=
              3600 - int(q_age) + 1 and "1 put back" in lab.stderr(),
              f"the lost quarantine is put back with its time left "
              f"({q_left} s after {q_age:.1f} s)")
        check(not ping(CL2), "client 2 is cut off again")

        # ... and while it runs: actions.verify_every puts it back
        sh("ip", "netns", "exec", RTR, "nft", "flush", "set", "inet",
           "labwarden", "quarantine_mac")
        lost_at = time.monotonic()
        q_left = wait_for(lambda: elements("quarantine_mac").get(cl2_mac),
                          6)
        took = time.monotonic() - lost_at
        check(q_left and q_left <= 3600 - int(time.monotonic() - q_at) + 1
              and took <= 4.5, f"a quarantine flushed while labwarden "
              f"runs is put back within verify_every ({took:.1f} s, "
              f"{q_left} s left)")

        # a person releases it while labwarden runs
        rel = run(["ip", "netns", "exec", RTR, lw, "release", cl2_mac,
                   "-c", cfg])
        check(rel.returncode == 0 and "released" in rel.stdout and
              ping(CL2), f"labwarden release lets client 2 out: "
              f"{rel.stdout.strip()} {rel.stderr.strip()}")
        seen = wait_for(lambda: [a for a in actions_of(ev_path)
                                 if a["via"] == "action" and
                                 a["action"] == "release" and
                                 a.get("origin") == "cli"], 5)
        check(seen, "the running labwarden sees the release")
        syn(CL2, OUT_IP, 7)
        again = wait_for(lambda: [a for a in actions_of(ev_path)
                                  if a["via"] == "scene" and
                                  a["action"] == "quarantine" and
                                  "released by hand" in a.get("detail", "")])
        check(again and ping(CL2),
              "and leaves the released client alone (soft allow)")
        rc = lab.stop()
        check(rc == 0, f"SIGTERM: exit {rc}")
    finally:
        if lab.proc and lab.proc.poll() is None:
            lab.proc.kill()
        listener.kill()
        listener.wait()
    with open(os.path.join(state, "actions.json")) as f:
        saved = json.load(f)
    check(saved["actions"] == [],
          f"nothing left in actions.json ({saved['actions']})")
    with open(os.path.join(state, "audit.jsonl")) as f:
        audit = [json.loads(l) for l in f]
    origins = {(a["origin"], a["action"], a["outcome"]) for a in audit}
    want = {("scene:t213-quarantine", "quarantine", "done"),
            ("scene:t213-lock", "lockdown", "done"),
            ("scene:t213-own", "lockdown", "refused"),
            ("restore", "quarantine", "done"),
            ("verify", "quarantine", "done"),
            ("expiry", "release", "done"),
            ("cli", "release", "done")}
    check(want <= origins, f"the audit log has every attempt by origin "
          f"(missing {want - origins})")
    check(all("request" in a and "latency_ms" in a for a in audit
              if a["outcome"] == "done"),
          "audit records carry the request and its latency")


def main():
    lw = os.path.abspath(sys.argv[1])
    skip_unless_netns(RTR, tools=("nft",))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            netns_up()
            scenario(lw, tmp)
        finally:
            netns_del(CL1, CL2, RTR, OUT)
    finish()


if __name__ == "__main__":
    main()
