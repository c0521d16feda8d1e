#!/usr/bin/env python3
"""t219: the unifi backend against emulated UniFi Network controllers
over HTTPS with a test CA: UniFi OS (TOKEN cookie, X-CSRF-Token from the
login header or the JWT, rotated by X-Updated-CSRF-Token), classic
(/api/login, unifises) and an API key (X-API-KEY, no session).

Checks the requests for block, has, release and quarantine (method,
path with /proxy/network and site, cookie, CSRF, API key, JSON body),
quarantine by network override (PUT rest/user, and POST upd/user when a
UDM ignores the PUT; read back; kick-sta), block when the controller
does not know the client, lockdown by IP (needs the MAC), a session that
expires mid-operation (one re-login), a refused login or API key (FAIL,
no storm), HTTP 500 (retry), a hanging controller (back within the
timeout), a wrong CA (TLS error), insecure: true (works, warns), garbage
replies (fail, never a crash), config mistakes, and that neither the
password nor the API key ever shows.

End to end: `labwarden replay --act` of the demo with a UniFi OS
controller as the default backend, the session expiring halfway: the
new phone is moved to the quarantine network, the camera the controller
does not know is blocked, the scanner is blocked by the MAC the sensor
saw at its address, every action done after one re-login, and the audit
log never holds the password.

usage: t219_unifi.py BACKEND_PROBE [LABWARDEN PCAPS_DIR RULES_DIR]
"""
import os
import sys

from lwtest import check, finish
from fakeapi.probe_runner import (backends, check_api, check_audit,
                                  check_config_errors, check_replies,
                                  check_tls, check_transient, lab,
                                  replay_act, replay_config)
from fakeapi.unifi import FakeUniFi

PASSWORD = "pw-t219-Xv7$unifi-secret"
API_KEY = "key-t219-AbCdEf0123456789"
QNET = "65a1b2c3d4e5f6a7b8c9d0e1"
MAC = "aa:bb:cc:00:22:01"
BACKEND = "unifi"


def make_config(pr, srv, pki, name, ca="ca", auth="password", secret=None,
                timeout="3s", **extra):
    keys = {"type": "unifi", "url": srv.url}
    if auth == "password":
        keys["username"] = "labwarden"
        keys["password_file"] = pr.secret_file(name + ".pw",
                                               secret or PASSWORD)
    else:
        keys["api_key_file"] = pr.secret_file(name + ".key",
                                              secret or API_KEY)
    if ca:
        keys["ca_file"] = pki[ca]
    return pr.config(name, backends({BACKEND: dict(keys, timeout=timeout,
                                                   **extra)}))


def summary(srv, since=0):
    return [f"{r.method} {r.path}" for r in srv.requests[since:]]


def test_unifios(pr, pki):
    with FakeUniFi(tls=pki, variant="unifios", rotate_csrf=True,
                   users={"labwarden": PASSWORD}) as srv:
        cfg = make_config(pr, srv, pki, "os", quarantine_network_id=QNET)
        p, _ = pr.raw(cfg, BACKEND, "check")
        check(p.returncode == 0, f"check passes ({p.stderr.strip()})")
        srv.add_client(MAC, ip="192.168.1.20")
        router = "aa:bb:cc:00:00:01"
        srv.add_client(router, ip="192.168.1.1")

        res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", "192.168.1.20",
                          "--mac", "AA:BB:CC:00:22:01", "--for", "600")
        net = "/proxy/network/api/s/default"
        check(res.get("status") == "ok" and summary(srv) == [
            "GET /", "POST /api/auth/login", f"GET {net}/stat/user/{MAC}",
            f"POST {net}/cmd/stamgr", f"GET {net}/stat/user/{MAC}"],
            f"UniFi OS lockdown by IP: detect, login, confirm the MAC is at "
            f"that IP, block-sta, read back ({summary(srv)}, "
            f"{res.get('detail')})")
        login, block = srv.requests[1], srv.requests[3]
        check(login.json() == {"username": "labwarden",
                               "password": PASSWORD},
              "login body: username and password")
        check(block.json() == {"cmd": "block-sta", "mac": MAC} and
              block.headers.get("content-type") == "application/json" and
              block.headers.get("x-csrf-token") and
              "TOKEN=" in block.headers.get("cookie", ""),
              "block-sta: JSON {cmd, mac}, TOKEN cookie, X-CSRF-Token")
        check("x-csrf-token" not in srv.requests[4].headers,
              "no CSRF token on a GET")
        check(srv.clients[MAC]["blocked"] and
              res.get("ref") == srv.clients[MAC]["_id"] and
              res.get("expires_s") == 0,
              "the client is blocked; ref is its _id; no expiry known")

        res, _, _ = pr.op(cfg, BACKEND, "has", "lockdown", MAC)
        check(res.get("status") == "ok" and "blocked" in res.get("detail"),
              f"has lockdown: ok ({res.get('detail')})")
        n = len(srv.requests)
        res, _, _ = pr.op(cfg, BACKEND, "release", "lockdown", MAC)
        unblock = [r for r in srv.requests[n:] if r.method == "POST" and
                   r.path.endswith("/cmd/stamgr")]
        check(res.get("status") == "ok" and not srv.clients[MAC]["blocked"]
              and [r.json() for r in unblock] == [
                  {"cmd": "unblock-sta", "mac": MAC}],
              f"release: unblock-sta, read back ({res.get('detail')})")
        res, _, _ = pr.op(cfg, BACKEND, "has", "lockdown", MAC)
        check(res.get("status") == "fail", "has after release: fail")

        n = len(srv.requests)
        res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", "192.168.1.20")
        check(res.get("status") == "fail" and "by MAC" in res.get("detail")
              and len(srv.requests) == n,
              f"lockdown by IP without a MAC: fail before any request "
              f"({res.get('detail')})")
        for ip, mac, why in (
                ("203.0.113.9", router, "not blocking it (it may be a "
                 "router"),
                ("192.168.1.98", "aa:bb:cc:00:22:77", "does not know")):
            n = len(srv.requests)
            res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", ip, "--mac",
                              mac)
            check(res.get("status") == "fail" and why in res.get("detail")
                  and not any(r.path.endswith("/cmd/stamgr") for r in
                              srv.requests[n:]) and
                  not srv.clients[router]["blocked"],
                  f"lockdown {ip} by a MAC the controller has elsewhere or "
                  f"not at all: fail, nothing blocked ({res.get('detail')})")

        n = len(srv.requests)
        res, _, _ = pr.op(cfg, BACKEND, "block", "quarantine", MAC,
                          "--for", "86400")
        check(res.get("status") == "ok" and summary(srv, n)[2:] == [
            f"GET {net}/stat/user/{MAC}",
            f"PUT {net}/rest/user/{srv.clients[MAC]['_id']}",
            f"GET {net}/stat/user/{MAC}", f"POST {net}/cmd/stamgr"],
            f"quarantine: read, PUT rest/user, read back, kick "
            f"({summary(srv, n)})")
        put = srv.requests[n + 3]
        check(put.json() == {"_id": srv.clients[MAC]["_id"],
                             "virtual_network_override_enabled": True,
                             "virtual_network_override_id": QNET} and
              put.headers.get("x-csrf-token"),
              "PUT body: _id, override enabled, the quarantine network")
        check(srv.requests[-1].json() == {"cmd": "kick-sta", "mac": MAC},
              "then kick-sta so the client reconnects in the VLAN")
        check(srv.clients[MAC]["virtual_network_override_enabled"] and
              srv.clients[MAC]["virtual_network_override_id"] == QNET and
              not srv.clients[MAC]["blocked"] and
              "moved" in res.get("detail") and QNET in res.get("detail"),
              f"the client is moved, not blocked ({res.get('detail')})")
        res, _, _ = pr.op(cfg, BACKEND, "has", "quarantine", MAC)
        check(res.get("status") == "ok", "has quarantine: ok")
        res, _, _ = pr.op(cfg, BACKEND, "release", "quarantine", MAC)
        check(res.get("status") == "ok" and
              not srv.clients[MAC]["virtual_network_override_enabled"],
              f"release quarantine: override off ({res.get('detail')})")
        res, _, _ = pr.op(cfg, BACKEND, "has", "quarantine", MAC)
        check(res.get("status") == "fail", "has after release: fail")

        other = "aa:bb:cc:00:22:99"
        res, _, _ = pr.op(cfg, BACKEND, "block", "quarantine", other)
        check(res.get("status") == "ok" and srv.clients[other]["blocked"]
              and "did not know it" in res.get("detail"),
              f"an unknown client is blocked instead "
              f"({res.get('detail')})")
        res, _, _ = pr.op(cfg, BACKEND, "release", "quarantine", other)
        check(res.get("status") == "ok" and
              not srv.clients[other]["blocked"],
              "releasing it unblocks it")

        # the session expires after one more request
        logins = srv.logins
        srv.expire_after = 1
        res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", MAC)
        check(res.get("status") == "ok" and srv.logins - logins == 2,
              f"session expired mid-operation: one re-login, then ok "
              f"({srv.logins - logins} logins, {res.get('detail')})")
        check_api("UniFi OS", srv)


def test_jwt_and_udm(pr, pki):
    with FakeUniFi(tls=pki, variant="unifios", csrf_header=False,
                   ignore_put=True, users={"labwarden": PASSWORD}) as srv:
        cfg = make_config(pr, srv, pki, "udm", variant="unifios",
                          quarantine_network_id=QNET, kick="false")
        srv.add_client(MAC)
        res, _, _ = pr.op(cfg, BACKEND, "block", "quarantine", MAC)
        seen = summary(srv)
        uid = srv.clients[MAC]["_id"]
        check(seen[0] == "POST /api/auth/login",
              "variant: unifios skips the GET / probe")
        check(res.get("status") == "ok" and
              f"PUT /proxy/network/api/s/default/rest/user/{uid}" in seen and
              f"POST /proxy/network/api/s/default/upd/user/{uid}" in seen and
              srv.clients[MAC]["virtual_network_override_id"] == QNET,
              f"PUT ignored: POST upd/user, read back ({seen})")
        check(not any(r.json() and r.json().get("cmd") == "kick-sta"
                      for r in srv.requests), "kick: false sends no kick")
        check(all(r.headers.get("x-csrf-token") for r in srv.requests[1:]
                  if r.method != "GET"),
              "CSRF token taken from the JWT's csrfToken claim")
        check_api("UDM", srv)


def test_classic(pr, pki):
    with FakeUniFi(tls=pki, variant="classic", site="lab",
                   users={"labwarden": PASSWORD}) as srv:
        cfg = make_config(pr, srv, pki, "classic", site="lab")
        res, _, _ = pr.op(cfg, BACKEND, "block", "quarantine", MAC)
        check(res.get("status") == "ok" and summary(srv) == [
            "GET /", "POST /api/login", "POST /api/s/lab/cmd/stamgr",
            f"GET /api/s/lab/stat/user/{MAC}"] and
            "unifises=" in srv.requests[2].headers.get("cookie", ""),
            f"classic: detect, /api/login, no prefix, cookie unifises "
            f"({summary(srv)})")
        check("no quarantine_network_id" in res.get("detail", ""),
              f"quarantine without a network is a block, said so "
              f"({res.get('detail')})")
        for op, want in (("has", "ok"), ("release", "ok"), ("has", "fail")):
            res, _, _ = pr.op(cfg, BACKEND, op, "quarantine", MAC)
            check(res.get("status") == want, f"classic {op}: {want}")
        bad = make_config(pr, srv, pki, "classic-bad", secret="wrong",
                          site="lab")
        logins, n = srv.logins, len(srv.requests)
        res, _, _ = pr.op(bad, BACKEND, "block", "lockdown", MAC)
        check(res.get("status") == "fail" and srv.logins - logins == 1 and
              len(srv.requests) - n == 2 and "login refused for user "
              "'labwarden'" in res.get("detail", ""),
              f"wrong password: fail after one login, no storm "
              f"({res.get('detail')})")
        check_api("classic", srv)


def test_api_key(pr, pki):
    with FakeUniFi(tls=pki, variant="unifios", api_key=API_KEY) as srv:
        cfg = make_config(pr, srv, pki, "apikey", auth="key")
        res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", MAC)
        check(res.get("status") == "ok" and summary(srv) == [
            "POST /proxy/network/api/s/default/cmd/stamgr",
            f"GET /proxy/network/api/s/default/stat/user/{MAC}"],
            f"API key: no login, /proxy/network paths ({summary(srv)})")
        check(all(r.headers.get("x-api-key") == API_KEY for r in
                  srv.requests), "X-API-KEY on every request")
        bad = make_config(pr, srv, pki, "apikey-bad", auth="key",
                          secret="not-the-key")
        n = len(srv.requests)
        res, _, _ = pr.op(bad, BACKEND, "block", "lockdown", MAC)
        check(res.get("status") == "fail" and len(srv.requests) - n == 1
              and "API key is refused" in res.get("detail", ""),
              f"a wrong API key: fail after one request "
              f"({res.get('detail')})")
        os.environ["T219_KEY"] = API_KEY
        envcfg = pr.config("apikey-env", open(cfg).read().replace(
            "api_key_file: " + os.path.join(pr.tmpdir, "apikey.key"),
            "api_key_env: T219_KEY"))
        res, _, _ = pr.op(envcfg, BACKEND, "has", "lockdown", MAC)
        check(res.get("status") == "ok", "api_key_env works")
        check_api("API key", srv)


GARBAGE = [
    (200, "not json"),
    (200, ""),
    (200, "[]"),
    (200, '{"meta":{}}'),
    (200, '{"meta":{"rc":5}}'),
    (200, '{"meta":{"rc":"ok"},"data":{}}'),
    (200, '{"meta":{"rc":"ok"},"data":[5]}'),
    (200, '{"meta":{"rc":"ok"},"data":[{"_id":5,"mac":"' + MAC + '"}]}'),
    (200, '{"meta":{"rc":"ok"},"data":[{"_id":"../x","mac":"' + MAC + '"}]}'),
    (200, '{"meta":{"rc":"ok"},"data":[{"_id":"abc","mac":"00:00:00:00:00:01"'
          '}]}'),
    (200, '{"meta":{"rc":"ok"},"data":[{"_id":"abc","mac":"' + MAC +
          '","blocked":"yes"}]}'),
    (200, '{"meta":{"rc":"ok"},"data":[{"_id":"abc","mac":"' + MAC +
          '","virtual_network_override_id":7}]}'),
    (200, '{"meta":{"rc":"error","msg":"api.err.Weird"},"data":[]}'),
    (200, '{"error":{"code":500,"message":"wrapped"}}'),
    (200, '{"meta":{"rc":"ok","msg":["x"]},"data":[]}'),
    (200, "{" * 50000 + "}" * 50000),
    (404, "<html>not found</html>"),
]


def test_faults(pr, pki):
    with FakeUniFi(tls=pki, variant="unifios", api_key=API_KEY) as srv:
        srv.add_client(MAC)
        cfg = make_config(pr, srv, pki, "faults", auth="key", timeout="1s")
        block = ("block", "lockdown", MAC)
        check_transient(pr, srv, block, "POST", "/proxy/network",
                        (cfg, BACKEND), (cfg, BACKEND), 1)
        res = check_tls(pr, srv, block, other_ca=(make_config(
            pr, srv, pki, "wrongca", auth="key", ca="other_ca"), BACKEND),
            insecure=(make_config(pr, srv, pki, "insecure", auth="key",
                                  ca=None, insecure="true"), BACKEND))
        check(res.get("status") == "ok", "insecure: true: the block is ok")

        def garble(case):
            srv.garble("GET", "/stat/user/", case[1], status=case[0],
                       times=100)
            return srv._garble.clear
        check_replies(pr, (cfg, BACKEND), ("block", "quarantine", MAC),
                      GARBAGE, garble, "garbage read-back")
        srv.garble("POST", "/cmd/stamgr", '{"meta":{"rc":"error","msg":'
                   '"api.err.NoPermission"},"data":[]}', times=5)
        res, _, _ = pr.op(cfg, BACKEND, "block", "lockdown", MAC)
        srv._garble.clear()
        check(res.get("status") == "fail" and "api.err.NoPermission" in
              res.get("detail", ""), f"an error envelope: fail with its "
              f"msg ({res.get('detail')})")
        check_api("faults", srv)


def test_config(pr, pki):
    both = pr.secret_file("both.pw", PASSWORD)
    key = pr.secret_file("both.key", API_KEY)
    cfg = pr.config("broken", (
        "backends:\n"
        f"  {BACKEND}:\n"
        "    type: unifi\n"
        "    url: https://unifi.lan:8443/manage/site\n"
        "    variant: classic\n"
        "    site: 'my site'\n"
        "    username: labwarden\n"
        f"    password_file: {both}\n"
        f"    api_key_file: {key}\n"
        "    quarantine_network_id: 'vlan 66'\n"
        "    kik: false\n"))
    check_config_errors(pr, cfg, BACKEND, [
        (4, None, "backends.unifi.url", "a url with a path"),
        (5, None, "API keys exist on UniFi OS only", "an API key on a "
         "classic controller"),
        (6, None, "not a site's short name", "a site name with a space"),
        (7, None, "not both", "both an API key and a password"),
        (10, None, "not a network _id", "a network id with a space"),
        (11, None, "did you mean 'kick'", "a misspelt key")])
    none = pr.config("noauth", (
        "backends:\n"
        f"  {BACKEND}:\n"
        "    type: unifi\n"
        "    url: https://unifi.lan\n"))
    p, _ = pr.raw(none, BACKEND, "check")
    check(p.returncode == 1 and "api_key_file" in p.stderr,
          f"no credentials: says what to add ({p.stderr.strip()})")


def test_replay(pr, pki, lw, pcaps, rules):
    state = os.path.join(pr.tmpdir, "state")
    os.mkdir(state)
    phone, camera, scanner = ("da:a1:19:5c:7e:01", "c0:56:e3:7f:3a:01",
                              "02:42:c0:a8:01:42")
    with FakeUniFi(tls=pki, variant="unifios", rotate_csrf=True,
                   users={"labwarden": PASSWORD}) as srv:
        srv.add_client(phone)
        srv.add_client(scanner, ip="192.168.1.66")
        srv.add_client("3c:22:fb:10:20:23", ip="192.168.1.23")
        srv.add_client("3c:22:fb:10:20:40", ip="192.168.1.40")
        cfg = pr.config("replay", replay_config(pcaps, state, "udm", {
            "type": "unifi", "url": srv.url, "username": "labwarden",
            "password_file": pr.secret_file("replay.pw", PASSWORD),
            "ca_file": pki["ca"], "quarantine_network_id": QNET}))
        srv.expire_after = 6
        p, acts = replay_act(pr, lw, cfg, state,
                             os.path.join(pcaps, "demo.pcap"),
                             "scene,action", rules=rules)
        check(acts and all(e["status"] in ("done", "refused") for e in acts),
              f"every block done or refused "
              f"({[(e['target'], e['status'], e['detail'][:60]) for e in acts]})")
        check(srv.clients[phone]["virtual_network_override_id"] == QNET and
              not srv.clients[phone]["blocked"],
              "the phone is moved to the quarantine network")
        check(srv.clients.get(camera, {}).get("blocked"),
              "the camera, unknown to the controller, is blocked")
        lock = [e for e in acts if e["target"] == "192.168.1.66"]
        check(srv.clients[scanner]["blocked"] and lock and
              lock[0]["status"] == "done",
              "the scanner 192.168.1.66 is blocked by its MAC")
        check(srv.logins == 2, f"the session expired once: one re-login "
              f"({srv.logins} logins)")
        check_audit(pr, state, "/proxy/network/api/s/default/")
        check_api("replay", srv)


def main():
    with lab("t219", [PASSWORD, API_KEY]) as (pr, pki):
        test_unifios(pr, pki)
        test_jwt_and_udm(pr, pki)
        test_classic(pr, pki)
        test_api_key(pr, pki)
        test_faults(pr, pki)
        test_config(pr, pki)
        if len(sys.argv) > 4:
            test_replay(pr, pki, *(os.path.abspath(a) for a in
                                   sys.argv[2:5]))
    finish()


if __name__ == "__main__":
    main()
