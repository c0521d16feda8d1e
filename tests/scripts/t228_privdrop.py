#!/usr/bin/env python3
"""t228: `labwarden run` parses packets as the configured user, keeps
its scenes through broken reloads, and stops in time with state saved.

Two network namespaces joined by a veth pair; labwarden runs in "lab"
with two sources at once (pcap on the veth, NFLOG group 228) and
`user: nobody`.  Checked:
  - as root without user: it refuses to start (exit 2), and a user that
    does not exist is named (exit 2);
  - after start, /proc/PID/status: uid and gid are nobody's (real,
    effective, saved, filesystem), CapEff and CapPrm are CAP_NET_ADMIN
    alone, CapInh and CapAmb empty, NoNewPrivs 1;
  - the missing state_dir was made for nobody (owner, mode 0750);
  - SIGHUP with a broken configuration, then with broken rules: the
    errors are shown with file:line:col and the running scenes stay (a
    new MAC sent after the reloads still fires new-device); a good
    reload, read as nobody, works;
  - SIGTERM ends the run within 2 s, exit 0, with sensor.json written
    by nobody holding the MAC;
  - started as a service would be under systemd (uid nobody, CAP_NET_RAW
    and CAP_NET_ADMIN ambient, via setpriv), it opens the capture, then
    keeps CAP_NET_ADMIN only, with nothing ambient.
Needs root, iproute2, nft and tcpreplay; exits 77 (skipped) without.

usage: t228_privdrop.py LABWARDEN RULES_DIR
"""
import json
import os
import pwd
import shutil
import signal
import stat
import struct
import sys
import tempfile
import time

from lwtest import check, finish, run
from lwnet import VethPair, proc_status, skip_unless_netns, wait_for

LAB, PEER = "lw-t228-lab", "lw-t228-peer"
NEW_MAC = bytes.fromhex("001b21a8c228")       # Intel OUI: not random
CAP_NET_ADMIN = 1 << 12


def frame_pcap(path, count):
    """A pcap of 'count' UDP frames from NEW_MAC (192.168.228.50)."""
    udp = struct.pack("!HHHH", 40000, 9, 8 + 4, 0) + b"t228"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64,
                     17, 0, bytes([192, 168, 228, 50]),
                     bytes([192, 168, 228, 1]))
    eth = b"\xff" * 6 + NEW_MAC + b"\x08\x00"
    pkt = eth + ip + udp
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(pkt),
                                len(pkt)))
            f.write(pkt)


def refusals(lw, tmp):
    cfg = os.path.join(tmp, "nouser.yaml")
    with open(cfg, "w") as f:
        f.write("sources:\n  - pcap: lo\n")
    res = run([lw, "run", "-c", cfg], timeout=20)
    check(res.returncode == 2 and "refusing to run as root" in res.stderr,
          f"as root without user: refused, exit {res.returncode}")
    res = run([lw, "run", "-c", cfg, "--user", "lw-t228-nosuchuser"],
              timeout=20)
    check(res.returncode == 2 and "'lw-t228-nosuchuser' does not exist"
          in res.stderr, f"a missing user is named, exit {res.returncode}")


def check_identity(pid, caps_want, what):
    st = proc_status(pid)
    nobody = pwd.getpwnam("nobody")
    uids = st["Uid"].split()
    gids = st["Gid"].split()
    check(uids == [str(nobody.pw_uid)] * 4 and
          gids == [str(nobody.pw_gid)] * 4,
          f"{what}: runs as nobody (Uid {st['Uid']}, Gid {st['Gid']})")
    check(int(st["CapEff"], 16) == caps_want and
          int(st["CapPrm"], 16) == caps_want and
          int(st["CapInh"], 16) == 0 and int(st["CapAmb"], 16) == 0,
          f"{what}: CapEff {st['CapEff']} CapPrm {st['CapPrm']} CapInh "
          f"{st['CapInh']} CapAmb {st['CapAmb']} (want {caps_want:#x})")
    check(st.get("NoNewPrivs") == "1", f"{what}: NoNewPrivs 1")


def reloads(proc, cfg, rules, errpath, good_cfg):
    """A broken config, broken rules, then a good reload."""
    with open(cfg, "w") as f:
        f.write(good_cfg + "stats_interval: soon\n")
    proc.send_signal(signal.SIGHUP)
    ok1 = wait_for(errpath, "configuration not reloaded", 5)
    with open(cfg, "w") as f:
        f.write(good_cfg)
    broken = os.path.join(rules, "zz-broken.yaml")
    with open(broken, "w") as f:
        f.write("- name: broken\n  on: dns_qurey\n")
    proc.send_signal(signal.SIGHUP)
    ok2 = wait_for(errpath, "scenes running stay", 5)
    with open(errpath) as f:
        err = f.read()
    check(ok1 and "run.yaml:" in err and "stats_interval" in err,
          "SIGHUP with a broken configuration: error at file:line:col, "
          "the running one stays")
    check(ok2 and "zz-broken.yaml:2:" in err and "dns_qurey" in err,
          "SIGHUP with broken rules: error at file:line:col, scenes stay")
    os.unlink(broken)
    proc.send_signal(signal.SIGHUP)
    check(wait_for(errpath, "rules reloaded:", 5),
          "a good reload, read as nobody, loads the rules")


def systemd_like(pair, lw, tmp):
    """Started as nobody with ambient CAP_NET_RAW + CAP_NET_ADMIN."""
    if not shutil.which("setpriv"):
        check(False, "setpriv (util-linux) is there")
        return
    cfg = os.path.join(tmp, "svc.yaml")
    with open(cfg, "w") as f:
        f.write("sources:\n  - pcap: l228a\nuser: nobody\n")
    errpath = os.path.join(tmp, "svc.err")
    with open(errpath, "w") as err:
        proc = pair.popen_in(0, [
            "setpriv", "--reuid=nobody", "--regid=nogroup",
            "--clear-groups", "--inh-caps=+net_raw,+net_admin",
            "--ambient-caps=+net_raw,+net_admin", lw, "run", "-c", cfg,
            "-o", "/dev/null"], stderr=err)
        started = wait_for(errpath, "listening on", 10)
        check(started, "as a service user with ambient capabilities, the "
              "capture opens")
        if started:
            check_identity(proc.pid, CAP_NET_ADMIN, "service start")
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
    check(rc == 0, f"service start: exit {rc}")


def main():
    lw, rules_src = (os.path.abspath(a) for a in sys.argv[1:3])
    skip_unless_netns(LAB, tools=("tcpreplay", "nft"))
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)        # nobody reads config and rules later
        refusals(lw, tmp)
        state = os.path.join(tmp, "state")
        rules = os.path.join(tmp, "rules")
        shutil.copytree(rules_src, rules)
        cfg = os.path.join(tmp, "run.yaml")
        good_cfg = (f"sources:\n  - pcap: l228a\n  - nflog: 228\n"
                    f"user: nobody\nstate_dir: {state}\n")
        with open(cfg, "w") as f:
            f.write(good_cfg)
        pcap = os.path.join(tmp, "new.pcap")
        frame_pcap(pcap, 3)
        out = os.path.join(tmp, "events.jsonl")
        errpath = os.path.join(tmp, "err")
        pair = VethPair(LAB, PEER, "l228a", "l228b")
        with pair:
            with open(errpath, "w") as err:
                proc = pair.popen_in(0, [lw, "run", "-c", cfg, "-r", rules,
                                         "-o", out, "--emit",
                                         "new_mac,scene"], stderr=err)
                started = wait_for(errpath, "listening on 2 source(s)", 10)
                check(started, "two sources at once (pcap and NFLOG)")
                if started:
                    check_identity(proc.pid, CAP_NET_ADMIN, "root start")
                st = os.stat(state) if os.path.isdir(state) else None
                check(st is not None and
                      st.st_uid == pwd.getpwnam("nobody").pw_uid and
                      stat.S_IMODE(st.st_mode) == 0o750,
                      "the missing state_dir was made for nobody, 0750")
                reloads(proc, cfg, rules, errpath, good_cfg)
                pair.run_in(1, "tcpreplay", "-q", "-i", "l228b", pcap)
                time.sleep(1.0)
                t0 = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                rc = proc.wait(timeout=10)
                took = time.monotonic() - t0
            systemd_like(pair, lw, tmp)
        check(rc == 0 and took < 2.0,
              f"SIGTERM ends the run in {took:.2f} s, exit {rc}")
        with open(out) as f:
            events = [json.loads(line) for line in f]
        mac = ":".join(f"{b:02x}" for b in NEW_MAC)
        check(any(e["type"] == "scene" and e["scene"] == "new-device" and
                  e["key"].get("mac") == mac for e in events),
              "after the broken reloads the scenes still fire (new-device "
              f"for {mac})")
        saved = os.path.join(state, "sensor.json")
        ok = os.path.exists(saved)
        check(ok and os.stat(saved).st_uid == pwd.getpwnam("nobody").pw_uid,
              "state saved at exit by nobody")
        with open(saved) if ok else open(os.devnull) as f:
            check(mac in f.read(), "the saved state holds the new MAC")
    finish()


if __name__ == "__main__":
    main()
