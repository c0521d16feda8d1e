#!/usr/bin/env python3
"""t218: the openwrt backend against an emulated OpenWrt router (ubus
JSON-RPC over HTTPS with a test CA; rpcd sessions, file exec of nft in
fw4's sets, uci firewall ipsets).

Checks the requests labwarden sends for block, has, release and
quarantine (method, path, JSON-RPC envelope, session, nft argv, uci
calls), a session that expires mid-operation (one re-login, then done),
a refused login and a missing ACL (FAIL, no storm), HTTP 500 (retry), a
hanging router (back within the timeout), a wrong CA (TLS error),
insecure: true (works, warns), garbage replies (fail, never a crash),
config mistakes with file:line:col, and that the password never shows.

End to end: `labwarden replay --act` of the demo with the router as the
default backend (the first request fails with 500, the action layer
retries): the scanner and the tunnel are locked down for an hour, the
new phone quarantined for a day, the protected gateway never reaches the
router, one login serves every action, and the audit log names each
request but never the password.

usage: t218_openwrt.py BACKEND_PROBE [LABWARDEN PCAPS_DIR RULES_DIR]
"""
import json
import os
import sys

from lwtest import check, finish
from fakeapi.openwrt import FakeOpenWrt
from fakeapi.probe_runner import (backends, check_api, check_audit,
                                  check_bad_targets, check_config_errors,
                                  check_replies, check_tls, check_transient,
                                  lab, replay_act, replay_config)

PASSWORD = "pw-t218-Zq9!s3cr3t"
BACKEND = "router"


def make_config(pr, srv, pki, name, ca="ca", password=PASSWORD,
                timeout="3s", **extra):
    keys = {"type": "openwrt", "url": srv.url, "username": "labwarden",
            "password_file": pr.secret_file(name + ".pw", password)}
    if ca:
        keys["ca_file"] = pki[ca]
    return pr.config(name, backends({BACKEND: dict(keys, timeout=timeout,
                                                   **extra)}))


def calls(srv, since=0):
    """The ubus calls the router saw: (sid, object.method, args)."""
    out = []
    for r in srv.requests[since:]:
        msg = r.json() or {}
        p = msg.get("params") or [None, "?", "?", {}]
        out.append((p[0], f"{p[1]}.{p[2]}", p[3]))
    return out


def execs(srv, since=0):
    return [a.get("params") for _, c, a in calls(srv, since)
            if c == "file.exec"]


def test_shapes(pr, srv, pki):
    cfg = make_config(pr, srv, pki, "shapes")
    p, _ = pr.raw(cfg, BACKEND, "check")
    check(p.returncode == 0, f"check passes a good section ({p.stderr})")

    n = len(srv.requests)
    res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", "192.168.1.50",
                      "--for", "600")
    check(res.get("status") == "ok", f"lockdown 192.168.1.50: ok ({res})")
    seen = calls(srv, n)
    check([c for _, c, _ in seen] == ["session.login", "file.exec",
                                     "file.exec", "file.exec"],
          f"lockdown: login, list, add, list ({[c for _, c, _ in seen]})")
    check(all(r.method == "POST" and r.path == "/ubus" and
              r.headers.get("content-type") == "application/json"
              for r in srv.requests[n:]), "every request: POST /ubus JSON")
    login = seen[0][2]
    check(seen[0][0] == "0" * 32 and login.get("username") == "labwarden"
          and login.get("password") == PASSWORD and
          login.get("timeout") == 300,
          "login: null sid, username, password, timeout 300")
    sid = seen[1][0]
    check(len(sid) == 32 and all(s == sid for s, _, _ in seen[1:]),
          "calls after login carry the session id")
    check(seen[1][2].get("command") == "/usr/sbin/nft", "exec runs nft")
    check(execs(srv, n) == [
        ["list", "set", "inet", "fw4", "lw_lockdown4"],
        ["add", "element", "inet", "fw4", "lw_lockdown4",
         "{ 192.168.1.50 timeout 600s }"],
        ["list", "set", "inet", "fw4", "lw_lockdown4"]],
        f"lockdown argv exactly ({execs(srv, n)})")
    elems = srv.elements("lw_lockdown4")
    check("192.168.1.50" in elems and elems["192.168.1.50"][0] == 600,
          "the router holds 192.168.1.50 with a 600 s timeout")
    check(590 <= res.get("expires_s", 0) <= 600 and
          "lw_lockdown4" in res.get("detail", ""),
          f"result: expires_s from the read-back, detail names the set "
          f"({res.get('expires_s')}, {res.get('detail')})")
    check(res.get("requests") == 4 and res.get("http_status") == 200 and
          res.get("request", "").startswith("POST /ubus file.exec"),
          f"result: 4 requests, HTTP 200, summary ({res.get('request')})")

    res, _, _ = pr.op(cfg, BACKEND, "has", "lockdown", "192.168.1.50")
    check(res.get("status") == "ok" and 590 <= res.get("expires_s", 0)
          <= 600, f"has lockdown: ok with the time left ({res})")

    n = len(srv.requests)
    res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", "192.168.1.50",
                      "--for", "1200")
    check(res.get("status") == "ok" and
          [a[0] for a in execs(srv, n)] == ["list", "delete", "add", "list"],
          "a second lockdown deletes the element first (nft keeps an old "
          "timeout on add)")
    check(srv.elements("lw_lockdown4")["192.168.1.50"][0] == 1200,
          "the new timeout is 1200 s")

    n = len(srv.requests)
    res, _, _ = pr.op(cfg, BACKEND, "release", "lockdown", "192.168.1.50")
    check(res.get("status") == "ok" and execs(srv, n)[1] ==
          ["delete", "element", "inet", "fw4", "lw_lockdown4",
           "{ 192.168.1.50 }"] and
          "192.168.1.50" not in srv.elements("lw_lockdown4"),
          f"release deletes the element and reads back ({res})")
    res, _, _ = pr.op(cfg, BACKEND, "has", "lockdown", "192.168.1.50")
    check(res.get("status") == "fail" and "is not in" in res.get("detail"),
          f"has after release: fail (absent) ({res.get('detail')})")
    res, _, _ = pr.op(cfg, BACKEND, "release", "lockdown", "192.168.1.50")
    check(res.get("status") == "ok", "releasing what is absent is ok")

    res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", "FD00:0:0::50",
                      "--for", "60")
    check(res.get("status") == "ok" and
          "fd00::50" in srv.elements("lw_lockdown6"),
          "IPv6 goes canonical into lw_lockdown6")
    res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", "aa:bb:cc:00:11:77",
                      "--ip", "192.168.1.77", "--for", "60")
    check(res.get("status") == "ok" and
          "192.168.1.77" in srv.elements("lw_lockdown4"),
          "a MAC target locks down the IP the sensor knows for it")

    n = len(srv.requests)
    res, _, _ = pr.op(cfg, BACKEND, "block", "quarantine",
                      "AA:BB:CC:00:11:22", "--for", "86400")
    check(res.get("status") == "ok" and
          "aa:bb:cc:00:11:22" in srv.elements("lw_quarantine") and
          execs(srv, n)[1][-1] == "{ aa:bb:cc:00:11:22 timeout 86400s }",
          "quarantine: the MAC canonical in lw_quarantine for a day")
    check("blocked (OpenWrt has no per-MAC VLAN move)" in
          res.get("detail", ""), f"quarantine says it is a block "
          f"({res.get('detail')})")
    res, _, _ = pr.op(cfg, BACKEND, "has", "quarantine", "192.168.1.22",
                      "--mac", "aa:bb:cc:00:11:22")
    check(res.get("status") == "ok", "has quarantine of an IP by its --mac")
    res, _, _ = pr.op(cfg, BACKEND, "release", "quarantine",
                      "aa:bb:cc:00:11:22")
    check(res.get("status") == "ok" and not srv.elements("lw_quarantine"),
          "release quarantine")

    check_bad_targets(pr, srv, (cfg, BACKEND), [
        ("quarantine", "192.168.1.50", (), "quarantines by MAC"),
        ("lockdown", "aa:bb:cc:00:11:22", (), "locks down by IP"),
        ("lockdown", "1.2.3.4 } ; flush ruleset", (), "neither a MAC"),
        ("quarantine", "aa:bb:cc:dd:ee:ff; reboot", (), "neither a MAC"),
        ("quarantine", "ff:ff:ff:ff:ff:ff", (), "neither a MAC"),
        ("lockdown", "192.168.1.5", ("--ip", "192.168.1.6"), "disagrees"),
        ("lockdown", "224.0.0.1", (), "neither a MAC")])


def test_sessions(pr, srv, pki):
    cfg = make_config(pr, srv, pki, "sessions")
    logins = srv.logins
    srv.expire_after = 1        # the session dies after one call
    res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", "192.168.1.60",
                      "--for", "60")
    check(res.get("status") == "ok" and srv.logins - logins == 2,
          f"session expired mid-operation: one re-login, then ok "
          f"({srv.logins - logins} logins, {res.get('detail')})")

    bad = make_config(pr, srv, pki, "badpw", password="not-the-password")
    logins, n = srv.logins, len(srv.requests)
    res, _, _ = pr.op(bad, BACKEND, "block", "lockdown", "192.168.1.61")
    check(res.get("status") == "fail" and srv.logins - logins == 1 and
          len(srv.requests) - n == 1 and "login refused for user "
          "'labwarden'" in res.get("detail", ""),
          f"wrong password: fail after one login, no storm "
          f"({res.get('detail')})")

    srv.acl["labwarden"] = {"uci.*"}      # no file exec
    logins, n = srv.logins, len(srv.requests)
    res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", "192.168.1.62")
    srv.acl["labwarden"] = {"file.exec", "uci.*"}
    check(res.get("status") == "fail" and srv.logins - logins == 1 and
          len(srv.requests) - n == 2 and "rpcd ACL" in res.get("detail", ""),
          f"no ACL for file exec: fail after one login and one call "
          f"({res.get('detail')})")

    os.environ["T218_PW"] = PASSWORD
    envcfg = pr.config("envpw", open(cfg).read().replace(
        "password_file: " + os.path.join(pr.tmpdir, "sessions.pw"),
        "password_env: T218_PW"))
    res, _, _ = pr.op(envcfg, BACKEND, "has", "lockdown", "192.168.1.60")
    check(res.get("status") == "ok", "password_env works")


def test_faults(pr, srv, pki):
    cfg = make_config(pr, srv, pki, "faults", timeout="1s")
    check_transient(pr, srv, ("block", "lockdown", "192.168.1.70"), "POST",
                    "/ubus", (cfg, BACKEND), (cfg, BACKEND), 1)
    res = check_tls(pr, srv, ("block", "lockdown", "192.168.1.72"),
                    other_ca=(make_config(pr, srv, pki, "wrongca",
                                          ca="other_ca"), BACKEND),
                    system_ca=(make_config(pr, srv, pki, "sysca", ca=None),
                               BACKEND),
                    insecure=(make_config(pr, srv, pki, "insecure",
                                          ca=None, insecure="true"),
                              BACKEND))
    check(res.get("status") == "ok", "insecure: true: the lockdown is ok")


GARBAGE = [
    "this is not json",
    "",
    "[]",
    '{"jsonrpc":"2.0","id":2}',
    '{"jsonrpc":"1.0","id":2,"result":[0]}',
    '{"jsonrpc":"2.0","id":999,"result":[0,{"code":0}]}',
    '{"jsonrpc":"2.0","id":2,"result":"ok"}',
    '{"jsonrpc":"2.0","id":2,"result":[]}',
    '{"jsonrpc":"2.0","id":2,"result":["0",{}]}',
    '{"jsonrpc":"2.0","id":2,"result":[0,"x"]}',
    '{"jsonrpc":"2.0","id":2,"result":[0,{},{}]}',
    '{"jsonrpc":"2.0","id":2,"result":[0,{"code":"0"}]}',
    '{"jsonrpc":"2.0","id":2,"result":[0,{"code":0,"stdout":5}]}',
    '{"jsonrpc":"2.0","id":2,"result":[0,{"code":0}]}',
    '{"jsonrpc":"2.0","id":2,"result":[0,{"code":0,"stdout":"nothing"}]}',
    '{"jsonrpc":"2.0","id":2,"error":{"code":"x"}}',
    '{"jsonrpc":"2.0","id":2,"error":7}',
    '{"jsonrpc":"2.0","id":2,"result":[0,{"code":0,"stdout":"set x '
    '{ elements = { \\"unterminated"}]}',
    '{"a":"\\ud800"}',
    "[" * 100000 + "]" * 100000,
    '{"jsonrpc":"2.0","id":2,"result":[0,{"code":0,"stdout":"' +
    "x" * 300000 + '"}]}',
]


# nft listings a broken or hostile router might print (no id: every
# call gets the same reply); whatever the result, never a crash.
LISTINGS = [
    "set a {\n elements = { 192.168.1.80 expires 99999999999999999999d }",
    "set a {\n elements = { 192.168.1.80 timeout expires",
    "set a {\n elements = { \"192.168.1.80, }, 192.168.1.80 expires 5q }",
    "set a {\n elements = { , , ,,, }",
    "set a {\n elements = {" + " 192.168.1.8," * 20000 + " }",
    "set a { elements = { 192.168.1.80 expires 1d2h3m4s5ms6 }",
]


def test_garbage(pr, srv, pki):
    cfg = make_config(pr, srv, pki, "garbage")
    block = ("block", "lockdown", "192.168.1.80", "--for", "60")
    for i, text in enumerate(LISTINGS):
        srv.garble("file.exec", json.dumps(
            {"jsonrpc": "2.0", "result": [0, {"code": 0, "stdout": text}]}),
            times=100)
        res, _, _ = pr.op(cfg, BACKEND, *block)
        srv._garble.clear()
        check(res.get("status") in ("ok", "fail", "retry"),
              f"odd listing {i}: {res.get('status')}, "
              f"{res.get('detail', '')[:90]}")

    def garble(call):
        def inject(body):
            srv.garble(call, body, times=100)
            return srv._garble.clear
        return inject
    check_replies(pr, (cfg, BACKEND), block, GARBAGE, garble("file.exec"),
                  "garbage reply")
    check_replies(pr, (cfg, BACKEND), ("has", "lockdown", "192.168.1.80"),
                  ('{"jsonrpc":"2.0","id":1,"result":[0,{"ubus_rpc_session":'
                   '"../../etc"}]}', '{"jsonrpc":"2.0","id":1,"result":[0]}'),
                  garble("session.login"), "a login reply without a usable "
                  "session", ok=lambda detail: "ubus_rpc_session" in detail)


def test_uci(pr, pki):
    with FakeOpenWrt(tls=pki, users={"labwarden": PASSWORD}, ipsets=[
        ("lw_lockdown4", "ipv4", "src_ip"),
        ("lw_quarantine", "any", "src_mac")]) as srv:
        cfg = make_config(pr, srv, pki, "uci", mode="uci")
        res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", "192.168.1.90")
        seen = calls(srv)
        check(res.get("status") == "ok" and
              srv.entries("lw_lockdown4") == ["192.168.1.90"] and
              srv.commits == 1, f"uci lockdown: committed entry ({res})")
        check([c for _, c, _ in seen] == [
            "session.login", "uci.get", "uci.set", "uci.commit", "uci.get"],
            f"uci: get, set, commit, get ({[c for _, c, _ in seen]})")
        check(seen[1][2] == {"config": "firewall", "type": "ipset",
                             "match": {"name": "lw_lockdown4"}} and
              seen[2][2].get("values") == {"entry": ["192.168.1.90"]} and
              seen[3][2] == {"config": "firewall"},
              "uci args: find by type and name, set the list, commit "
              "firewall")
        pr.op(cfg, BACKEND, "block", "lockdown", "192.168.1.91")
        check(srv.entries("lw_lockdown4") == ["192.168.1.90",
                                             "192.168.1.91"],
              "a second entry is appended")
        res, _, _ = pr.op(cfg, BACKEND, "has", "lockdown", "192.168.1.91")
        check(res.get("status") == "ok" and res.get("expires_s") == 0,
              "uci has: ok, no kernel timeout to report")
        res, _, _ = pr.op(cfg, BACKEND, "block", "quarantine",
                          "aa:bb:cc:00:11:33")
        check(res.get("status") == "ok" and
              srv.entries("lw_quarantine") == ["aa:bb:cc:00:11:33"] and
              "no per-MAC VLAN move" in res.get("detail", ""),
              "uci quarantine: MAC entry committed")
        for ip in ("192.168.1.90", "192.168.1.91"):
            res, _, _ = pr.op(cfg, BACKEND, "release", "lockdown", ip)
            check(res.get("status") == "ok", f"uci release {ip}")
        n = len(srv.requests)
        check(srv.entries("lw_lockdown4") == [] and
              any(c == "uci.delete" for _, c, _ in calls(srv, n - 5)),
              "the last release deletes the entry option")
        res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", "fd00::9")
        check(res.get("status") == "fail" and "no firewall ipset named "
              "'lw_lockdown6'" in res.get("detail", ""),
              f"a missing ipset: fail with the reason ({res.get('detail')})")
        check_api("uci router", srv)


def test_config(pr, pki):
    cfg = pr.config("broken", (
        "backends:\n"
        f"  {BACKEND}:\n"
        "    type: openwrt\n"
        "    url: ftp://router\n"
        "    password: hunter2hunter2\n"
        "    mode: sometimes\n"
        "    lockdown_set: 'bad name'\n"
        "    session_timout: 5m\n"))
    check_config_errors(pr, cfg, BACKEND, [
        (4, 10, "backends.router.url", "a url that is not https"),
        (5, 15, "secrets are not config values", "a plain password"),
        (6, 11, "runtime or uci", "an unknown mode"),
        (7, 19, "is not a name", "a set name with a space"),
        (8, 21, "did you mean 'session_timeout'", "a misspelt key")])
    p, _ = pr.raw(cfg, BACKEND, "block", "lockdown", "1.2.3.4")
    check(p.returncode == 2 and "backends.router" in p.stderr,
          "open refuses the broken section")


def test_replay(pr, pki, lw, pcaps, rules):
    state = os.path.join(pr.tmpdir, "state")
    os.mkdir(state)
    with FakeOpenWrt(tls=pki, users={"labwarden": PASSWORD}) as srv:
        cfg = pr.config("replay", replay_config(pcaps, state, "router", {
            "type": "openwrt", "url": srv.url, "username": "labwarden",
            "password_file": pr.secret_file("replay.pw", PASSWORD),
            "ca_file": pki["ca"]}))
        srv.fault("POST", "/ubus", status=500, times=1)
        p, acts = replay_act(pr, lw, cfg, state,
                             os.path.join(pcaps, "demo.pcap"),
                             "scene,action", rules=rules)
        done = {(e["action"], e["target"]) for e in acts
                if e["status"] == "done"}
        check({("lockdown", "192.168.1.66"), ("lockdown", "192.168.1.23"),
               ("quarantine", "da:a1:19:5c:7e:01")} <= done,
              f"scanner and tunnel locked down, phone quarantined: done "
              f"({sorted(done)})")
        check(any(e.get("attempts") == 2 for e in acts),
              "the action hit by the 500 was retried by the action layer")
        check(all(e["status"] in ("done", "refused") for e in acts),
              f"nothing failed ({[e['detail'] for e in acts if e['status'] not in ('done', 'refused')]})")
        locked = srv.elements("lw_lockdown4")
        quarantined = srv.elements("lw_quarantine")
        hour = locked.get("192.168.1.66", (0,))[0]
        day = quarantined.get("da:a1:19:5c:7e:01", (0,))[0]
        check(3500 <= hour <= 3600 and 86000 <= day <= 86400,
              f"the router holds them for about an hour and a day "
              f"({hour} s, {day} s)")
        check("02:42:c0:a8:01:42" not in quarantined and
              "192.168.1.1" not in locked,
              "the device seen at the protected gateway is not sent")
        check(srv.logins == 1, f"one session serves the replay "
              f"({srv.logins} login after the 500)")
        check_audit(pr, state, "POST /ubus file.exec")
        check_api("replay", srv)


def main():
    with lab("t218", [PASSWORD, "hunter2hunter2"]) as (pr, pki):
        with FakeOpenWrt(tls=pki, users={"labwarden": PASSWORD}) as srv:
            test_shapes(pr, srv, pki)
            test_sessions(pr, srv, pki)
            test_faults(pr, srv, pki)
            test_garbage(pr, srv, pki)
            check_api("router", srv)
        test_uci(pr, pki)
        test_config(pr, pki)
        if len(sys.argv) > 4:
            test_replay(pr, pki, *(os.path.abspath(a) for a in
                                   sys.argv[2:5]))
    finish()


if __name__ == "__main__":
    main()
