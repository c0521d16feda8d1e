#!/usr/bin/env python3
"""t217: the webhook backend against a receiver over HTTPS (a CA and
certificate made here) that checks labwarden's HMAC signature.

Checked:
  - `check` accepts good sections; an unknown placeholder, a template
    that is not JSON once filled in, a plain secret, a header labwarden
    sets itself and url with url_file are named at file:line:col;
  - block: one POST with the default body {action, target, mac, ip,
    seconds}, Content-Type application/json and X-Labwarden-Signature
    sha256=HMAC(secret, body) as the receiver recomputes it; 'ok' with
    "not confirmed: webhook"; release posts action "release";
  - a template with nesting, {kind} and {until}; extra headers and a
    bearer token are sent;
  - has() takes what was sent as in force ('ok', "not confirmed") and
    sends nothing;
  - a secret URL (url_file, a Home Assistant webhook id) never shows
    in the result or any output;
  - 401 and 400 are 'fail' (a printable detail from a binary body);
    500 is 'retry'; a hanging receiver is 'retry' within the timeout;
  - another CA's certificate is refused with a TLS error; insecure:
    true and an http:// URL work and warn on stderr;
  - bad targets fail before any request;
  - the secret and token never appear in any output.

usage: t217_webhook.py BACKEND_PROBE
"""
import calendar
import hashlib
import hmac
import json
import os
import time

from fakeapi.probe_runner import (backends, check_api, check_bad_targets,
                                  check_config_errors, check_tls,
                                  check_transient, lab)
from fakeapi.webhook import Webhook
from lwtest import check, finish

SECRET = "t217-hmac-secret-0123456789"
TOKEN = "t217-bearer-token-abcdef"
HOOK_ID = "t217hookid5f3a9c1e7d"
PATH = "/api/webhook/" + HOOK_ID


BODY = ("'{\"event\":\"labwarden\",\"data\":{\"what\":\"{action}\","
        "\"kind\":\"{kind}\",\"who\":\"{target}\",\"mac\":\"{mac}\","
        "\"for\":{seconds},\"until\":\"{until}\"}}'")


def config(pr, pki, srv, plain):
    pr.secret_file("secret", SECRET)
    pr.secret_file("token", TOKEN)
    pr.secret_file("url", srv.url + PATH)

    def wh(url=srv.url + PATH, ca=pki["ca"], **extra):
        keys = {"type": "webhook"}
        keys.update({"url_file": "url"} if url is None else {"url": url})
        if ca:
            keys["ca_file"] = ca
        return dict(keys, secret_file="secret", **extra)
    return pr.config("labwarden", backends({
        "wh": wh(),
        "whfull": wh(url=None, token_file="token",
                     headers="\n      X-Lab: pi1\n      X-Other: two",
                     body=BODY),
        "whslow": wh(timeout="600ms"),
        "whotherca": wh(ca=pki["other_ca"]),
        "whinsecure": wh(ca=None, insecure="true"),
        "whplain": wh(url=plain.url + PATH, ca=None),
    }))


def test_check(pr, cfg):
    for name in ("wh", "whfull"):
        res, _ = pr.raw(cfg, name, "check")
        check(res.returncode == 0, f"check {name}: passes "
              f"({res.stderr.strip()[:200]})")
    bad = pr.config("bad", """backends:
  a:
    type: webhook
    url: https://192.0.2.1/hook
    secret: hunter2
    body: '{"x":"{colour}"}'
    headers:
      Content-Type: text/plain
  b:
    type: webhook
    url: https://192.0.2.1/hook
    url_file: url
    secret_env: T217_SECRET
    body: '{"x":{target}}'
""")
    env = dict(os.environ, T217_SECRET="x")
    check_config_errors(pr, bad, "a", [
        (5, 13, "secret_file", "a plain secret is refused"),
        (6, 11, "{colour}", "an unknown placeholder is named"),
        (8, 21, "Content-Type", "a header labwarden sets itself is "
         "refused")], env=env)
    check_config_errors(pr, bad, "b", [
        (11, 10, "not both", "url with url_file is refused"),
        (14, 11, "not JSON once filled in", "a body that is no JSON once "
         "filled in is refused")], env=env)


def signed(req):
    return req.headers.get("x-labwarden-signature") == "sha256=" + \
        hmac.new(SECRET.encode(), req.body, hashlib.sha256).hexdigest()


def test_flow(probe, srv):
    srv.clear()
    r, _, _ = probe("wh", "block", "lockdown", "10.0.0.5", "--for", "3600")
    reqs = srv.seen()
    check(r and r["status"] == "ok" and len(reqs) == 1,
          f"block: one POST, ok ({r and r['detail']})")
    check(r and "not confirmed: webhook" in r["detail"],
          "block: the detail says it is not confirmed")
    if reqs:
        check(reqs[0].method == "POST" and reqs[0].path == PATH and
              reqs[0].headers.get("content-type") == "application/json",
              "block: POST to the path, Content-Type application/json")
        check(signed(reqs[0]), "block: X-Labwarden-Signature is the "
              "HMAC-SHA256 of the exact body")
        check(reqs[0].json() == {"action": "lockdown", "target": "10.0.0.5",
                                 "mac": "", "ip": "10.0.0.5",
                                 "seconds": 3600},
              f"block: the default body ({reqs[0].body!r})")
    srv.clear()
    r, _, _ = probe("wh", "release", "lockdown", "10.0.0.5")
    reqs = srv.seen()
    check(r and r["status"] == "ok" and reqs and reqs[0].json() ==
          {"action": "release", "target": "10.0.0.5", "mac": "",
           "ip": "10.0.0.5", "seconds": 0}, "release: action release")
    srv.clear()
    r, _, _ = probe("wh", "has", "lockdown", "10.0.0.5")
    check(r and r["status"] == "ok" and r["requests"] == 0 and
          "not confirmed" in r["detail"] and not srv.seen(),
          "has: taken as in force, not confirmed, sends nothing")

    srv.token = TOKEN
    srv.clear()
    before = time.time()
    r, res, _ = probe("whfull", "block", "quarantine", "02:AA:BB:CC:DD:EE",
                      "--ip", "10.0.0.9", "--for", "86400")
    reqs = srv.seen()
    check(r and r["status"] == "ok", f"template: ok ({r and r['detail']})")
    body = reqs[0].json() if reqs else {}
    data = body.get("data", {})
    check(body.get("event") == "labwarden" and data.get("what") ==
          "quarantine" and data.get("kind") == "quarantine" and
          data.get("who") == "02:aa:bb:cc:dd:ee" and
          data.get("mac") == "02:aa:bb:cc:dd:ee" and data.get("for") ==
          86400, f"template: nested body filled in ({body})")
    try:
        until = calendar.timegm(time.strptime(data.get("until", ""),
                                              "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        until = 0
    check(abs(until - (before + 86400)) < 10,
          "template: {until} is RFC 3339 UTC, a day from now")
    check(reqs and reqs[0].headers.get("x-lab") == "pi1" and
          reqs[0].headers.get("x-other") == "two" and
          reqs[0].headers.get("authorization") == "Bearer " + TOKEN and
          signed(reqs[0]), "template: extra headers, bearer token, signed")
    check(r and HOOK_ID not in json.dumps(r) and HOOK_ID not in res.stderr,
          "url_file: the webhook id is not shown "
          f"({r and r['request']})")
    srv.token = None


def test_errors(pr, cfg, srv, plain):
    probe = pr.bound(cfg)
    block = ("block", "lockdown", "10.0.0.5", "--for", "60")
    srv.token = "something-else"
    r, _, _ = probe("whfull", *block)
    check(r and r["status"] == "fail" and r["http_status"] == 401 and
          "refused" in r["detail"], f"401: fail ({r and r['detail']})")
    srv.token = None
    srv.fault("POST", PATH, status=400, body=b"\x00\x1b[31mbad\xff\n")
    r, _, _ = probe("wh", *block)
    check(r and r["status"] == "fail" and r["http_status"] == 400 and
          all(0x20 <= ord(c) < 0x7f for c in r["detail"]),
          f"400: fail, printable detail ({r and r['detail']!r})")
    check_transient(pr, srv, block, "POST", PATH, (cfg, "wh"),
                    (cfg, "whslow"), 0.6, status=503)
    res = check_tls(pr, srv, block, other_ca=(cfg, "whotherca"),
                    insecure=(cfg, "whinsecure"))
    check(res.get("status") == "ok", "insecure: true: the POST is ok")
    r, res, _ = probe("whplain", *block)
    check(r and r["status"] == "ok" and len(plain.bodies) == 1 and
          "in clear" in res.stderr, "http://: works, warns on stderr")
    check_bad_targets(pr, srv, (cfg, "wh"), [
        ("lockdown", target, (), None) for target in
        ('10.0.0.5"}', "x" * 63, "::", "ff02::1")])


def main():
    with lab("t217", [SECRET, TOKEN, HOOK_ID, "hunter2"]) as (pr, pki), \
            Webhook(tls=pki, path=PATH, secret=SECRET) as srv, \
            Webhook(tls=None, path=PATH, secret=SECRET) as plain:
        cfg = config(pr, pki, srv, plain)
        test_check(pr, cfg)
        test_flow(pr.bound(cfg), srv)
        test_errors(pr, cfg, srv, plain)
        check_api("the receivers (signed JSON POSTs only)", srv, plain)
    finish()


if __name__ == "__main__":
    main()
