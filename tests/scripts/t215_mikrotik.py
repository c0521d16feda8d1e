#!/usr/bin/env python3
"""t215: the mikrotik backend against an emulated RouterOS v7 REST API
over HTTPS (a CA and certificate made here).

Checked, with the fake recording every departure from the documented
API (method, path, Basic auth, JSON body of strings):
  - `check` accepts a good section and names every mistake file:line:col
    (a plain password, an unknown quarantine_by, a misspelt key);
  - lockdown: GET by list and address, PUT {list, address, timeout,
    comment}, read back by .id; has() sees it with its time left; a
    second block (the re-apply after a restart) sets the new timeout
    on the same entry; release DELETEs it by .id; has() then says no;
    an entry lost on a router reboot is found missing and put back;
  - a timeout past RouterOS's longest is capped and said so;
  - IPv6 goes to /ipv6/firewall/address-list;
  - quarantine by address (says so), of a MAC at its DHCP lease's
    address (released by .id after the lease moved), by DHCP lease address-lists and
    by block-access (dynamic lease made static first; released);
  - an entry labwarden did not make is left alone;
  - a wrong password is a 401 'fail' naming bad credentials, once;
  - a 500 is 'retry'; a hanging router is 'retry' within the timeout;
  - a certificate from another CA, or none configured, is refused with
    a TLS error; insecure: true works and warns on stderr;
  - garbage replies are 'fail' with a clear detail, never a crash;
  - bad targets fail before any request;
  - the password never appears in any output.

And end to end through the action layer: `labwarden replay --act
--state` of the demo with the router as default backend locks down the
scanner, the tunnel and the burst for an hour and quarantines the new
phone at its DHCP lease's address for a day (the protected gateway is
refused); `labwarden release` takes the scanner out; after a router
reboot, a later replay with the same state puts the lost entries back
with the time they had left.

usage: t215_mikrotik.py BACKEND_PROBE LABWARDEN PCAPS_DIR
"""
import json
import os
import struct
import sys

from fakeapi.mikrotik import MikroTik
from fakeapi.probe_runner import (backends, check_api, check_bad_targets,
                                  check_config_errors, check_replies,
                                  check_tls, check_transient, lab,
                                  replay_act, replay_config)
from lwtest import check, finish

ALIST = "/rest/ip/firewall/address-list"
ALIST6 = "/rest/ipv6/firewall/address-list"
LEASE = "/rest/ip/dhcp-server/lease"
PASSWORD = "t215-s3cret-Pa55word"
MAC = "02:11:22:33:44:55"


def config(pr, pki, url):
    # relative to the config's directory, as a user would write them
    good = os.path.basename(pr.secret_file("mt.pass", PASSWORD))
    wrong = os.path.basename(pr.secret_file("wrong.pass",
                                            "not-the-password"))

    def mt(password=good, ca=pki["ca"], timeout="2s", **extra):
        keys = {"type": "mikrotik", "url": url, "user": "labwarden",
                "password_file": password}
        if ca:
            keys["ca_file"] = ca
        return dict(keys, timeout=timeout, **extra)
    return pr.config("labwarden", backends({
        "mt": mt(),
        "mtlease": mt(quarantine_by="lease"),
        "mtblock": mt(quarantine_by="block-access",
                      quarantine_list="lw_quar2"),
        "mtwrong": mt(password=wrong),
        "mtslow": mt(timeout="700ms"),
        "mtotherca": mt(ca=pki["other_ca"]),
        "mtnoca": mt(ca=None),
        "mtinsecure": mt(ca=None, insecure="true"),
    }))


def bad_config(pr):
    return pr.config("bad", """backends:
  mt:
    type: mikrotik
    url: https://192.0.2.1
    user: labwarden
    password: hunter2
    quarantine_by: vlan
    lockdown_lsit: lw_lockdown
""")


def test_check(pr, cfg):
    res, _ = pr.raw(cfg, "mt", "check")
    check(res.returncode == 0 and not res.stderr.strip(),
          f"check: a good section passes ({res.stderr.strip()[:200]})")
    check_config_errors(pr, bad_config(pr), "mt", [
        (6, 15, ("secrets are not config values", "password_file"),
         "a plain password is refused"),
        (7, 20, "'vlan'", "an unknown quarantine_by is named"),
        (8, 20, "lockdown_list", "a misspelt key is named with the near "
         "miss")])


def req_ok(srv, req, what):
    """The request carried labwarden's Basic auth."""
    import base64
    want = "Basic " + base64.b64encode(
        f"labwarden:{PASSWORD}".encode()).decode()
    check(req.headers.get("authorization") == want,
          f"{what}: HTTP Basic with the configured user and password")


def test_lockdown(probe, srv):
    srv.clear()
    r, res, _ = probe("mt", "block", "lockdown", "10.0.0.5", "--for",
                      "3600")
    check(r and r["status"] == "ok", f"lockdown: ok ({r and r['detail']})")
    reqs = srv.seen()
    methods = [(q.method, q.path) for q in reqs]
    check(methods[:1] == [("GET", ALIST)] and reqs[0].query ==
          {"list": ["lw_lockdown"], "address": ["10.0.0.5"]},
          "lockdown: first GET address-list?list=lw_lockdown&address=...")
    puts = srv.seen("PUT", ALIST)
    check(len(puts) == 1 and puts[0].path == ALIST,
          "lockdown: one PUT to /rest/ip/firewall/address-list")
    if puts:
        req_ok(srv, puts[0], "lockdown PUT")
        check(puts[0].json() == {"list": "lw_lockdown",
                                 "address": "10.0.0.5", "timeout": "1h",
                                 "comment": "labwarden:lockdown"},
              f"lockdown: PUT body is list, address, timeout 1h, comment "
              f"({puts[0].body!r})")
    entries = srv.items("ip/firewall/address-list")
    check(len(entries) == 1 and entries[0]["list"] == "lw_lockdown",
          "lockdown: the router holds one entry")
    eid = entries[0][".id"] if entries else "?"
    check(("GET", f"{ALIST}/{eid}") in methods,
          "lockdown: read back by GET .../<.id> before ok")
    check(r and r["ref"] == eid, "lockdown: ref is the entry's .id")
    check(r and 3590 <= r["expires_s"] <= 3600,
          f"lockdown: expires_s from the read-back ({r and r['expires_s']})")
    check(r and "read back" in r["detail"], "lockdown: detail says read back")

    r, res, _ = probe("mt", "has", "lockdown", "10.0.0.5")
    check(r and r["status"] == "ok" and r["expires_s"] > 3500,
          "has: in force, with its time left")

    srv.clear()
    r, res, _ = probe("mt", "block", "lockdown", "10.0.0.5", "--for",
                      "1800")
    entries = srv.items("ip/firewall/address-list")
    patches = srv.seen("PATCH", f"{ALIST}/{eid}")
    check(r and r["status"] == "ok" and len(entries) == 1 and
          not srv.seen("PUT"), "re-apply: no second entry")
    check(len(patches) == 1 and patches[0].json() == {"timeout": "30m"},
          "re-apply: PATCH .../<.id> {timeout: 30m}")
    check(r and 1790 <= r["expires_s"] <= 1800, "re-apply: 30m left")

    srv.clear()
    r, res, _ = probe("mt", "release", "lockdown", "10.0.0.5", "--ref", eid)
    check(r and r["status"] == "ok" and not r["absent"],
          f"release: ok ({r and r['detail']})")
    check(len(srv.seen("DELETE", f"{ALIST}/{eid}")) == 1,
          "release: DELETE .../<.id>")
    check(not srv.items("ip/firewall/address-list"),
          "release: the entry is gone")
    r, res, _ = probe("mt", "has", "lockdown", "10.0.0.5")
    check(r and r["status"] == "fail" and res.returncode == 1,
          "has: absent after release")
    srv.clear()
    r, res, _ = probe("mt", "release", "lockdown", "10.0.0.5")
    check(r and r["status"] == "ok" and r["absent"] and
          not srv.seen("DELETE"), "release again: ok, absent, nothing to "
          "delete")


def test_reboot(probe, srv):
    probe("mt", "block", "lockdown", "10.0.0.7", "--for", "600")
    srv.reboot()
    r, _, _ = probe("mt", "has", "lockdown", "10.0.0.7")
    check(r and r["status"] == "fail", "reboot: has() finds it missing")
    r, _, _ = probe("mt", "block", "lockdown", "10.0.0.7", "--for", "500")
    entries = [e for e in srv.items("ip/firewall/address-list")
               if e["address"] == "10.0.0.7"]
    check(r and r["status"] == "ok" and len(entries) == 1,
          "reboot: block() puts it back")
    probe("mt", "release", "lockdown", "10.0.0.7")


def test_cap(probe, srv):
    srv.clear()
    r, _, _ = probe("mt", "block", "lockdown", "10.0.0.30", "--for",
                    str(365 * 86400))
    puts = srv.seen("PUT", ALIST)
    check(r and r["status"] == "ok" and puts and
          puts[0].json()["timeout"] == "248d13h13m56s" and
          "capped" in r["detail"],
          "a year: the timeout capped at RouterOS's longest, and said so")
    probe("mt", "release", "lockdown", "10.0.0.30")


def test_ipv6(probe, srv):
    srv.clear()
    r, _, _ = probe("mt", "block", "lockdown", "2001:DB8::5", "--for",
                    "90")
    puts = srv.seen("PUT", ALIST6)
    check(r and r["status"] == "ok" and len(puts) == 1 and
          puts[0].json()["address"] == "2001:db8::5" and
          puts[0].json()["timeout"] == "1m30s",
          "ipv6: PUT to /rest/ipv6/firewall/address-list, canonical address")
    r, _, _ = probe("mt", "release", "lockdown", "2001:db8::5")
    check(r and r["status"] == "ok" and
          not srv.items("ipv6/firewall/address-list"), "ipv6: released")


def test_quarantine(probe, srv):
    srv.clear()
    r, _, _ = probe("mt", "block", "quarantine", MAC, "--ip", "10.0.0.9",
                    "--for", "86400")
    puts = srv.seen("PUT", ALIST)
    check(r and r["status"] == "ok" and puts and
          puts[0].json().get("list") == "lw_quarantine" and
          puts[0].json().get("timeout") == "1d" and
          puts[0].json().get("address") == "10.0.0.9",
          "quarantine by address: the MAC's IP in lw_quarantine for 1d")
    check(r and "quarantine by blocking the address" in r["detail"],
          "quarantine by address: the detail says it blocks the address")
    r, _, _ = probe("mt", "release", "quarantine", MAC, "--ip", "10.0.0.9",
                    "--ref", r["ref"] if r else "")
    check(r and r["status"] == "ok", "quarantine by address: released")
    srv.clear()
    r, res, _ = probe("mt", "block", "quarantine", MAC, "--for", "60")
    check(r and r["status"] == "fail" and r["requests"] == 1 and
          "no DHCP lease on the router gives one" in r["detail"] and
          not srv.seen("PUT"),
          "quarantine by address, no IP and no lease: fail, nothing added")

    # by the DHCP lease's address-lists
    srv.add_lease(MAC, "10.0.0.9", dynamic=True, lists="guests")
    srv.clear()
    r, _, _ = probe("mtlease", "block", "quarantine", MAC, "--for", "600")
    leases = srv.items("ip/dhcp-server/lease")
    check(r and r["status"] == "ok", f"lease: ok ({r and r['detail']})")
    gets = srv.seen("GET", LEASE)
    check(gets and gets[0].query == {"mac-address": [MAC.upper()]},
          "lease: found by GET lease?mac-address=")
    ms = srv.seen("POST", LEASE + "/make-static")
    check(len(ms) == 1 and set(ms[0].json()) == {".id"},
          "lease: the dynamic lease is made static with POST make-static")
    patches = srv.seen("PATCH", LEASE + "/")
    check(len(patches) == 1 and patches[0].json() ==
          {"address-lists": "guests,lw_quarantine"},
          "lease: PATCH address-lists adds lw_quarantine, keeps guests")
    check(leases and leases[0]["address-lists"] == "guests,lw_quarantine"
          and r and r["ref"] == leases[0][".id"],
          "lease: the router's lease lists it; ref is the lease's .id")
    check(r and "DHCP lease" in r["detail"] and "labwarden releases" in
          r["detail"], "lease: the detail says by DHCP lease, no expiry")
    r, _, _ = probe("mtlease", "has", "quarantine", MAC)
    check(r and r["status"] == "ok", "lease: has() sees it")
    r, _, _ = probe("mtlease", "release", "quarantine", MAC)
    leases = srv.items("ip/dhcp-server/lease")
    check(r and r["status"] == "ok" and
          leases[0].get("address-lists") == "guests",
          "lease: release takes lw_quarantine out again")
    r, _, _ = probe("mtlease", "has", "quarantine", MAC)
    check(r and r["status"] == "fail", "lease: has() says no after release")

    srv.clear()
    r, _, _ = probe("mtblock", "block", "quarantine", MAC, "--for", "600")
    patches = srv.seen("PATCH", LEASE + "/")
    check(r and r["status"] == "ok" and len(patches) == 1 and
          patches[0].json() == {"block-access": "yes"},
          "block-access: PATCH {block-access: yes}")
    check(srv.items("ip/dhcp-server/lease")[0]["block-access"] == "true",
          "block-access: the lease is blocked")
    r, _, _ = probe("mtblock", "release", "quarantine", MAC)
    check(r and r["status"] == "ok" and
          srv.items("ip/dhcp-server/lease")[0]["block-access"] == "false",
          "block-access: released")
    r, _, _ = probe("mtlease", "block", "quarantine", "02:99:99:99:99:99",
                    "--for", "60")
    check(r and r["status"] == "fail" and "no DHCP lease" in r["detail"],
          "lease: a MAC without a lease fails and says so")


def test_mac_only(probe, srv):
    """A new device is often seen before its IP: its lease has it."""
    mac2 = "02:11:22:33:44:66"
    srv.add_lease(mac2, "10.0.0.44")
    srv.clear()
    r, _, _ = probe("mt", "block", "quarantine", mac2, "--for", "600")
    entries = [e for e in srv.items("ip/firewall/address-list")
               if e["list"] == "lw_quarantine"]
    check(r and r["status"] == "ok" and len(entries) == 1 and
          entries[0]["address"] == "10.0.0.44" and
          "DHCP lease" in r["detail"],
          f"MAC only: blocked at its lease's address, said so "
          f"({r and r['detail']})")
    with srv.state_lock:        # the device moves to another address
        for lease in srv.menus["ip/dhcp-server/lease"]:
            if lease["mac-address"] == mac2.upper():
                lease["address"] = "10.0.0.45"
    r, _, _ = probe("mt", "release", "quarantine", mac2, "--ref",
                    r["ref"] if r else "")
    check(r and r["status"] == "ok" and not [
          e for e in srv.items("ip/firewall/address-list")
          if e["list"] == "lw_quarantine"],
          "MAC only: released by its .id though the lease moved")


def test_not_ours(probe, srv):
    srv.add_entry("ip/firewall/address-list", "lw_lockdown", "10.0.0.20",
                  comment="made by hand")
    r, _, _ = probe("mt", "block", "lockdown", "10.0.0.20", "--for", "60")
    check(r and r["status"] == "ok" and "did not make" in r["detail"],
          "not ours: block is ok and says the entry is not labwarden's")
    r, _, _ = probe("mt", "release", "lockdown", "10.0.0.20")
    left = [e for e in srv.items("ip/firewall/address-list")
            if e["address"] == "10.0.0.20"]
    check(r and r["status"] == "fail" and left,
          "not ours: release refuses and leaves it")


def test_errors(pr, cfg, srv):
    probe = pr.bound(cfg)
    srv.clear()
    r, res, _ = probe("mtwrong", "block", "lockdown", "10.0.0.5", "--for",
                      "60")
    check(r and r["status"] == "fail" and r["http_status"] == 401 and
          "bad credentials" in r["detail"],
          f"401: fail naming bad credentials ({r and r['detail']})")
    check(len(srv.seen()) == 1, "401: one request, no retry storm")

    check_transient(pr, srv, ("block", "lockdown", "10.0.0.6", "--for",
                              "60"), "GET", ALIST, (cfg, "mt"),
                    (cfg, "mtslow"), 0.7)
    check_tls(pr, srv, ("has", "lockdown", "10.0.0.6"),
              other_ca=(cfg, "mtotherca"), system_ca=(cfg, "mtnoca"),
              insecure=(cfg, "mtinsecure"))
    r, res, _ = probe("mt", "has", "lockdown", "10.0.0.6")
    check("warning" not in res.stderr, "no warning without insecure")


GARBAGE = [
    b"not json at all",
    b'{"list": "lw_lockdown"}',
    b"[1, 2, 3]",
    b'[{".id": 7, "list": "lw_lockdown", "address": "10.0.0.5"}]',
    b'[{".id": "../../x", "list": "lw_lockdown", "address": "10.0.0.5"}]',
    b'[{".id": "*1", "list": ["a"], "address": "10.0.0.5"}]',
    b'[{".id": "*1", "list": "lw_lockdown", "address": "10.0.0.5",'
    b' "timeout": 5}]',
    b"[" * 5000 + b"]" * 5000,
    b'"\x00\xff"',
    b"",
]


def test_garbage(pr, cfg, srv):
    probe = pr.bound(cfg)
    check_replies(pr, (cfg, "mt"), ("block", "lockdown", "10.0.0.5",
                                    "--for", "60"), GARBAGE,
                  lambda body: srv.fault("GET", ALIST, status=200,
                                         body=body or b" "),
                  "garbage", ok=lambda detail: "not JSON" in detail or
                  "not what RouterOS" in detail)
    srv.fault("PUT", ALIST, status=200, body=b'{"ret": "*1"}')
    r, _, _ = probe("mt", "block", "lockdown", "10.0.0.5", "--for", "60")
    check(r and r["status"] == "fail" and ".id" in r["detail"],
          "PUT answered without .id: fail")
    srv.fault("GET", ALIST + "/", status=200,
              body=b'{".id": "*2", "list": "other", "address": "10.0.0.5"}')
    r, _, _ = probe("mt", "block", "lockdown", "10.0.0.8", "--for", "60")
    check(r and r["status"] == "fail" and "not confirmed" in r["detail"],
          "a read-back that does not match: fail, not confirmed")
    probe("mt", "release", "lockdown", "10.0.0.5")
    probe("mt", "release", "lockdown", "10.0.0.8")


def test_targets(pr, cfg, srv):
    check_bad_targets(pr, srv, (cfg, "mt"), [
        ("lockdown", target, extra, None) for target, extra in (
            ("10.0.0.5; rm -rf /", ()), ("999.1.1.1", ()), ("aa:bb", ()),
            ("", ()), ("10.0.0.5/24", ()), ("224.0.0.1", ()),
            ("10.0.0.5", ("--mac", "zz")), ("10.0.0.5", ("--ip", "10.0.0.6")),
            ("01:00:5e:00:00:01", ()))])


def one_packet(path, when):
    """A pcap with one ARP request from the laptop at 'when' (epoch s)."""
    mac = bytes.fromhex("3c22fb102030")
    frame = (b"\xff" * 6 + mac + b"\x08\x06" +
             struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac,
                         bytes([192, 168, 1, 20]), b"\0" * 6,
                         bytes([192, 168, 1, 1])) + b"\0" * 18)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        f.write(struct.pack("<IIII", when, 0, len(frame), len(frame)) +
                frame)


def left(srv, lst, address):
    """Seconds left on the router's entry, or None."""
    from fakeapi.mikrotik import parse_duration
    for e in srv.items("ip/firewall/address-list"):
        if e["list"] == lst and e["address"] == address:
            return parse_duration(e.get("timeout", "0s"))
    return None


def test_end_to_end(pr, lw, pcaps, srv, pki):
    state = os.path.join(pr.tmpdir, "state")
    os.mkdir(state)
    srv.reboot()
    srv.add_lease("da:a1:19:5c:7e:01", "192.168.1.57")
    cfg = pr.config("act", replay_config(pcaps, state, "router", {
        "type": "mikrotik", "url": srv.url, "user": "labwarden",
        "password_file": "mt.pass", "ca_file": pki["ca"], "timeout": "2s"}))
    srv.clear()
    res, acts = replay_act(pr, lw, cfg, state,
                           os.path.join(pcaps, "demo.pcap"), "action")
    done = {(a["action"], a["target"]) for a in acts
            if a["status"] == "done"}
    check({("lockdown", "192.168.1.66"), ("lockdown", "192.168.1.23"),
           ("lockdown", "192.168.1.40"),
           ("quarantine", "da:a1:19:5c:7e:01")} <= done,
          f"replay --act: the scanner, tunnel, burst and new phone are "
          f"done on the router ({sorted(done)}) {res.stderr[-200:]}")
    check(all(3500 <= (left(srv, "lw_lockdown", ip) or 0) <= 3600
              for ip in ("192.168.1.66", "192.168.1.23", "192.168.1.40")),
          "replay --act: their lw_lockdown entries have about an hour")
    check(86000 <= (left(srv, "lw_quarantine", "192.168.1.57") or 0) <=
          86400, "replay --act: the phone is in lw_quarantine at its "
          "lease's address for about a day")
    gw = [a for a in acts if a.get("ip") == "192.168.1.1"]
    check(gw and all(a["status"] == "refused" for a in gw) and not [
          q for q in srv.seen() if "192.168.1.1" in q.query.get(
              "address", [])], "replay --act: the protected gateway is "
          "refused, never sent")
    res = pr.labwarden([lw, "release", "192.168.1.66", "-c", cfg])
    check(res.returncode == 0 and "released" in res.stdout and
          left(srv, "lw_lockdown", "192.168.1.66") is None,
          f"labwarden release: the scanner's entry is deleted "
          f"({res.stdout.strip()[:120]})")
    with open(os.path.join(state, "actions.json")) as f:
        tunnel = [a for a in json.load(f)["actions"]
                  if a["target"] == "192.168.1.23"]
    srv.reboot()
    later = os.path.join(pr.tmpdir, "later.pcap")
    if tunnel:
        one_packet(later, tunnel[0]["until_ns"] // 10**9 - 1800)
    res = pr.labwarden([lw, "replay", "--act", "-c", cfg, "--state", state,
                        "--emit", "none", later])
    back = left(srv, "lw_lockdown", "192.168.1.23")
    check(res.returncode == 0 and back is not None and 1700 <= back <= 1800,
          f"after a router reboot: the tunnel's entry is put back with the "
          f"half hour it had left ({back} s)")
    check(left(srv, "lw_quarantine", "192.168.1.57") is not None and
          left(srv, "lw_lockdown", "192.168.1.66") is None,
          "after a router reboot: the phone's quarantine is back, the "
          "released scanner is not")


def main():
    lw, pcaps = (os.path.abspath(a) for a in sys.argv[2:4])
    with lab("t215", [PASSWORD, "hunter2"]) as (pr, pki):
        with MikroTik(tls=pki, user="labwarden", password=PASSWORD) as srv:
            cfg = config(pr, pki, srv.url)
            probe = pr.bound(cfg)
            test_check(pr, cfg)
            test_lockdown(probe, srv)
            test_reboot(probe, srv)
            test_cap(probe, srv)
            test_ipv6(probe, srv)
            test_quarantine(probe, srv)
            test_mac_only(probe, srv)
            test_not_ours(probe, srv)
            test_errors(pr, cfg, srv)
            test_garbage(pr, cfg, srv)
            test_targets(pr, cfg, srv)
            test_end_to_end(pr, lw, pcaps, srv, pki)
            check_api("the fake RouterOS", srv)
    finish()


if __name__ == "__main__":
    main()
