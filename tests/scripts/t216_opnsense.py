#!/usr/bin/env python3
"""t216: the opnsense backend against an emulated OPNsense alias_util
API over HTTPS (a CA and certificate made here).

Checked, with the fake recording every departure from the API:
  - `check` accepts a good section; a plain api_secret, a bad alias
    name and a missing key file are named at file:line:col;
  - lockdown: POST add/lw_lockdown with address=IP (form), Basic auth
    with key and secret, then GET list/lw_lockdown before 'ok'; has();
    release: POST delete, read back absent; has() then says no;
  - IPv6 addresses go lowercase (OPNsense refuses upper-case hex);
  - quarantine blocks the address in lw_quarantine and says so; a MAC
    without an IP fails before any request;
  - the older list reply (a bare array) is understood;
  - a missing alias is 'fail' with OPNsense's reason;
  - a wrong key is a 401 'fail' naming bad credentials, once;
  - a 500 is 'retry'; a hanging firewall is 'retry' within the timeout;
  - another CA's certificate is refused with a TLS error; insecure: true
    works and warns;
  - garbage replies are 'fail', never a crash;
  - neither key nor secret appears in any output.

usage: t216_opnsense.py BACKEND_PROBE
"""
import base64
import os

from fakeapi.opnsense import OPNsense, form_or_json
from fakeapi.probe_runner import (backends, check_api, check_config_errors,
                                  check_replies, check_tls, check_transient,
                                  lab)
from lwtest import check, finish

KEY = "t216KeyAAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKKKllll"
SECRET = "t216SecretZZZZyyyyXXXXwwwwVVVVuuuuTTTTssss"
ADD = "/api/firewall/alias_util/add/"
DEL = "/api/firewall/alias_util/delete/"
LIST = "/api/firewall/alias_util/list/"


def config(pr, pki, url):
    pr.secret_file("secret", SECRET)
    pr.secret_file("wrong", "wrong-secret")
    os.environ["T216_KEY"] = KEY

    def opn(secret="secret", ca=pki["ca"], **extra):
        keys = {"type": "opnsense", "url": url, "api_key_env": "T216_KEY",
                "api_secret_file": secret}
        if ca:
            keys["ca_file"] = ca
        return dict(keys, **extra)
    return pr.config("labwarden", backends({
        "opn": opn(),
        "opnmissing": opn(lockdown_alias="nosuchalias"),
        "opnwrong": opn(secret="wrong"),
        "opnslow": opn(timeout="600ms"),
        "opnotherca": opn(ca=pki["other_ca"]),
        "opninsecure": opn(ca=None, insecure="true"),
    }))


def test_check(pr, cfg):
    res, _ = pr.raw(cfg, "opn", "check")
    check(res.returncode == 0, f"check: a good section passes "
          f"({res.stderr.strip()[:200]})")
    bad = pr.config("bad", """backends:
  opn:
    type: opnsense
    url: https://192.0.2.1
    api_key_file: no-such-file
    api_secret: hunter2
    quarantine_alias: "lw quarantine"
""")
    check_config_errors(pr, bad, "opn", [
        (5, 19, "no-such-file", "an unreadable api_key_file is named"),
        (6, 17, "api_secret_file", "a plain api_secret is refused"),
        (7, 23, "alias name", "a bad alias name is named")])


def test_flow(probe, srv):
    want_auth = "Basic " + base64.b64encode(
        f"{KEY}:{SECRET}".encode()).decode()
    srv.clear()
    r, _, _ = probe("opn", "block", "lockdown", "10.0.0.5", "--for", "3600")
    check(r and r["status"] == "ok", f"lockdown: ok ({r and r['detail']})")
    reqs = srv.seen()
    check([(q.method, q.path) for q in reqs] ==
          [("POST", ADD + "lw_lockdown"), ("GET", LIST + "lw_lockdown")],
          "lockdown: POST add/lw_lockdown, then GET list/lw_lockdown")
    check(all(q.headers.get("authorization") == want_auth for q in reqs),
          "lockdown: Basic with the API key and secret")
    check(reqs and form_or_json(reqs[0]) == {"address": "10.0.0.5"} and
          reqs[0].headers.get("content-type") ==
          "application/x-www-form-urlencoded",
          "lockdown: the body is the form address=10.0.0.5")
    check(srv.entries("lw_lockdown") == {"10.0.0.5"},
          "lockdown: the alias holds the address")
    check(r and "read back" in r["detail"] and "labwarden releases" in
          r["detail"] and r["expires_s"] == 0,
          "lockdown: detail says read back and that labwarden releases")
    r, _, _ = probe("opn", "has", "lockdown", "10.0.0.5")
    check(r and r["status"] == "ok", "has: in force")
    srv.clear()
    r, _, _ = probe("opn", "release", "lockdown", "10.0.0.5")
    check(r and r["status"] == "ok" and [(q.method, q.path) for q in
          srv.seen()] == [("POST", DEL + "lw_lockdown"),
                          ("GET", LIST + "lw_lockdown")],
          "release: POST delete/lw_lockdown, then read back")
    check(not srv.entries("lw_lockdown"), "release: the alias is empty")
    r, res, _ = probe("opn", "has", "lockdown", "10.0.0.5")
    check(r and r["status"] == "fail" and res.returncode == 1,
          "has: absent after release")

    srv.clear()
    r, _, _ = probe("opn", "block", "lockdown", "2001:DB8::A", "--for", "60")
    check(r and r["status"] == "ok" and
          srv.entries("lw_lockdown") == {"2001:db8::a"},
          "ipv6: sent lowercase and canonical")
    probe("opn", "release", "lockdown", "2001:db8::a")

    r, _, _ = probe("opn", "block", "quarantine", "02:aa:bb:cc:dd:ee",
                    "--ip", "10.0.0.9", "--for", "86400")
    check(r and r["status"] == "ok" and
          srv.entries("lw_quarantine") == {"10.0.0.9"} and
          "quarantine by blocking the address" in r["detail"],
          "quarantine: the address in lw_quarantine, said to be a block")
    r, _, _ = probe("opn", "release", "quarantine", "02:aa:bb:cc:dd:ee",
                    "--ip", "10.0.0.9")
    check(r and r["status"] == "ok" and not srv.entries("lw_quarantine"),
          "quarantine: released")
    srv.clear()
    r, _, _ = probe("opn", "block", "quarantine", "02:aa:bb:cc:dd:ee",
                    "--for", "60")
    check(r and r["status"] == "fail" and r["requests"] == 0 and
          "no IP" in r["detail"] and not srv.seen(),
          "quarantine of a MAC without an IP: fail before any request")

    srv.legacy = True
    r, _, _ = probe("opn", "block", "lockdown", "10.0.0.6", "--for", "60")
    check(r and r["status"] == "ok", "the older list reply (an array) is "
          "understood")
    r, _, _ = probe("opn", "release", "lockdown", "10.0.0.6")
    srv.legacy = False

    r, _, _ = probe("opnmissing", "block", "lockdown", "10.0.0.5", "--for",
                    "60")
    check(r and r["status"] == "fail" and "non existing alias" in
          r["detail"], f"missing alias: fail with OPNsense's reason "
          f"({r and r['detail']})")


def test_errors(pr, cfg, srv):
    probe = pr.bound(cfg)
    srv.clear()
    r, _, _ = probe("opnwrong", "block", "lockdown", "10.0.0.5", "--for",
                    "60")
    check(r and r["status"] == "fail" and r["http_status"] == 401 and
          "bad credentials" in r["detail"] and len(srv.seen()) == 1,
          f"401: one request, fail naming bad credentials "
          f"({r and r['detail']})")
    check_transient(pr, srv, ("block", "lockdown", "10.0.0.5", "--for",
                              "60"), "POST", ADD, (cfg, "opn"),
                    (cfg, "opnslow"), 0.6)
    check_tls(pr, srv, ("has", "lockdown", "10.0.0.5"),
              other_ca=(cfg, "opnotherca"), insecure=(cfg, "opninsecure"))
    garbage = ((ADD, b"<html>Login</html>"), (ADD, b'{"status": 1}'),
               (ADD, b"[]"), (LIST, b'{"rows": {"ip": "10.0.0.5"}}'),
               (LIST, b'{"rows": [{"ip": 5}]}'), (LIST, b"{" * 3000),
               (LIST, b'{"rows": [], "total": 100000}'))
    check_replies(pr, (cfg, "opn"), ("block", "lockdown", "10.0.0.5",
                                     "--for", "60"), garbage,
                  lambda case: srv.fault(None, case[0], status=200,
                                         body=case[1]), "garbage")
    probe("opn", "release", "lockdown", "10.0.0.5")


def main():
    with lab("t216", [KEY, SECRET, "hunter2"]) as (pr, pki):
        with OPNsense(tls=pki, key=KEY, secret=SECRET) as srv:
            cfg = config(pr, pki, srv.url)
            test_check(pr, cfg)
            test_flow(pr.bound(cfg), srv)
            test_errors(pr, cfg, srv)
            check_api("the fake OPNsense", srv)
    finish()


if __name__ == "__main__":
    main()
