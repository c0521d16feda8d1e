#!/usr/bin/env python3
"""t220: key rotation through Vault KV v2 (fakeapi/vault.py, HTTPS with a
test CA, the token in X-Vault-Token, check-and-set, metadata, destroy).

- `labwarden rotate` writes version V+1 with cas V, keeps the secret's
  other fields, and calls the reload hook (HMAC-signed) after the write;
- a check-and-set race, an HTTP 500 and a certificate from another CA
  leave the old key in force, call no hook and say why (exit 1);
- a reload hook that fails: the old value is written back as the newest
  version;
- replay --act: a scene's rotate_key rotates, and the old version is
  destroyed once the grace period has passed in packet time (one capture
  longer than the grace; and two captures, with the wait kept in
  keys.json between them);
- `labwarden check` names mistakes in vault: and keys: by file:line:col;
- SIGTERM during a rotation (replay --act --speed 1): the hung request
  is abandoned and the process exits within 2 s; a hook that hangs
  after the write gets the old key written back, a write that hangs
  leaves the old version current; the key_rotation event and the audit
  record say failed, "interrupted by shutdown".

usage: t220_vault.py LABWARDEN
"""
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from lwtest import check, finish, run, sanitizer_report
import lwkeys

HMAC_SECRET = "reload-hook-shared-secret"


def config(d, vault, hook, keys, ca="pki/ca.pem", state="state"):
    text = f"""state_dir: {state}
vault:
  url: {vault.url}
  token_file: vault-token
  ca_file: {ca}
  timeout: 5s
keys:
"""
    for name, extra in keys.items():
        text += f"  {name}: {{ store: vault, path: secret/data/ai/{name}, " \
                f"reload_url: '{hook.url}/reload', " \
                f"reload_secret_file: hook-secret, grace: 1m{extra} }}\n"
    path = os.path.join(d, f"labwarden-{len(os.listdir(d))}.yaml")
    lwkeys.write(path, text)
    return path


def rotate(lw, cfg):
    return lwkeys.rotate(lw, cfg, "openai")


def signature_ok(req):
    stamp = req.headers.get("x-labwarden-timestamp", "")
    sig = req.headers.get("x-labwarden-signature", "")
    want = hmac.new(HMAC_SECRET.encode(), stamp.encode() + b"." + req.body,
                    hashlib.sha256).hexdigest()
    return sig == "sha256=" + want


def test_rotate(lw, d, vault, hook, cfg):
    vault.put("ai/openai", {"api_key": "seeded-key-version-one",
                            "base_url": "https://llm.lab"})
    res = rotate(lw, cfg)
    check(res.returncode == 0, f"rotate: exit 0 [{res.stderr.strip()}]")
    check(vault.version("ai/openai") == 2, "Vault holds version 2")
    posts = vault.seen("POST", "/v1/secret/data/ai/openai")
    check(len(posts) == 1 and posts[0].json()["options"] == {"cas": 1},
          "one write, with options.cas 1 (the version read)")
    new = vault.value("ai/openai", "api_key")
    check(new and new != "seeded-key-version-one" and len(new) == 43,
          "version 2 holds a fresh 32-byte base64url key")
    check(vault.value("ai/openai", "base_url") == "https://llm.lab",
          "the secret's other field is kept")
    check(vault.value("ai/openai", "api_key", 1) ==
          "seeded-key-version-one", "version 1 is still readable (grace)")
    calls = hook.seen("POST", "/reload")
    check(len(calls) == 1, "the reload hook is called once")
    if calls and posts:
        check(calls[0].time > posts[0].time,
              "the hook is called after the write, not before")
        body = calls[0].json()
        check(body == {"key": "openai", "store": "vault", "version": 2,
                       "fingerprint": lwkeys.fingerprint(new)},
              f"the hook's body names key, version and fingerprint: {body}")
        check(signature_ok(calls[0]), "the hook call carries a valid "
              "HMAC-SHA256 signature over timestamp.body")
    check(f"fingerprint {lwkeys.fingerprint(new or '')}" in res.stdout and
          "version 2" in res.stdout, "stdout says version 2 and the "
          "fingerprint")
    recs = [r for r in lwkeys.audit_records(os.path.join(d, "state"))
            if r.get("step") == "rotate"]
    check(recs and recs[-1]["status"] == "done" and
          recs[-1]["version"] == 2 and recs[-1]["origin"] == "cli" and
          recs[-1]["fingerprint"] == lwkeys.fingerprint(new or "") and
          any(r.startswith("POST /v1/secret/data/ai/openai 200")
              for r in recs[-1]["requests"]),
          "the audit record: done, version 2, origin cli, fingerprint, "
          "the requests")
    check(("openai", 1) in lwkeys.waiting(os.path.join(d, "state")),
          "version 1 waits in keys.json for its grace period")
    check(not vault.destroyed("ai/openai", 1),
          "version 1 is not destroyed before the grace period ends")


def test_failures(lw, d, vault, hook, cfg):
    state = os.path.join(d, "state")
    # Another writer wins the race between labwarden's read and write.
    hook.clear()
    vault.race("ai/openai", {"api_key": "written-by-someone-else",
                             "base_url": "https://llm.lab"})
    res = rotate(lw, cfg)
    check(res.returncode == 1 and "check-and-set" in res.stderr,
          f"a CAS race: exit 1, says check-and-set [{res.stderr.strip()}]")
    check(vault.version("ai/openai") == 3 and
          vault.value("ai/openai", "api_key") == "written-by-someone-else",
          "after the race the other writer's version 3 stays current")
    check(not hook.seen(), "no reload after a conflict")
    last = lwkeys.audit_records(state)[-1]
    check(last["status"] == "failed" and "check-and-set" in last["detail"]
          and "old key stays" in last["detail"],
          "the audit record says failed, check-and-set, the old key stays")

    vault.fault("POST", "/v1/secret/data/ai/openai", status=500, times=1)
    res = rotate(lw, cfg)
    check(res.returncode == 1 and "HTTP 500" in res.stderr,
          f"Vault answers 500: exit 1, says so [{res.stderr.strip()}]")
    check(vault.version("ai/openai") == 3, "after a 500 version 3 stays")
    check(not hook.seen(), "no reload after a failed write")

    # The hook fails after the write: the old value comes back.
    hook.fault("POST", "/reload", status=500, times=1)
    res = rotate(lw, cfg)
    check(res.returncode == 1 and "HTTP 500" in res.stderr and
          "version 5 puts the old key back" in res.stderr,
          f"a failed reload: exit 1, version 5 restores the old key "
          f"[{res.stderr.strip()}]")
    check(vault.version("ai/openai") == 5 and
          vault.value("ai/openai", "api_key") == "written-by-someone-else"
          and vault.value("ai/openai", "api_key", 4) not in
          (None, "written-by-someone-else"),
          "version 4 holds the abandoned key, version 5 the old one")
    check(("openai", 4) in lwkeys.waiting(state),
          "the abandoned version 4 waits to be destroyed")

    # A certificate from a CA the configuration does not trust.
    bad = config(d, vault, hook, {"openai": ""}, ca="pki/other_ca.pem")
    res = rotate(lw, bad)
    check(res.returncode == 1 and "certificate" in res.stderr.lower(),
          f"a Vault with an untrusted certificate: exit 1, says so "
          f"[{res.stderr.strip()[:200]}]")
    check(vault.version("ai/openai") == 5, "nothing written over bad TLS")


def replay(lw, cfg, rules, pcap, state):
    return lwkeys.replay(lw, cfg, rules, pcap, state,
                         emit="scene,key_rotation")


def test_grace_in_replay(lw, d, vault, hook):
    # One capture three minutes long; grace 1m.
    vault.put("ai/hf", {"api_key": "hf-seeded-key-version-1"})
    cfg = config(d, vault, hook, {"hf": ""}, state="state-hf")
    os.makedirs(os.path.join(d, "state-hf"))
    rules, pcap = os.path.join(d, "hf.yaml"), os.path.join(d, "hf.pcap")
    lwkeys.write_rules(rules, "hf")
    lwkeys.write_pcap(pcap, lwkeys.START, 180, bytes.fromhex("3c22fb000001"))
    res = replay(lw, cfg, rules, pcap, os.path.join(d, "state-hf"))
    check(res.returncode == 0, f"replay --act: exit 0 [{res.stderr[-300:]}]")
    scenes = lwkeys.events(res.stdout, "scene")
    acts = [a for s in scenes for a in s["actions"]]
    check(len(acts) == 1 and acts[0]["action"] == "rotate_key" and
          acts[0]["status"] == "pending" and acts[0]["detail"] == "hf",
          f"the scene's rotate_key is pending: {acts}")
    evs = lwkeys.events(res.stdout)
    rot = [e for e in evs if e["step"] == "rotate"]
    gone = [e for e in evs if e["step"] == "destroy"]
    check(len(rot) == 1 and rot[0]["status"] == "done" and
          rot[0]["version"] == 2 and rot[0]["previous_version"] == 1 and
          rot[0]["origin"] == "scene:rotate-on-new-device" and
          rot[0]["ts"] == "2025-11-17T00:00:00.000000Z",
          f"key_rotation: done, version 2, at the scene's packet time: {rot}")
    check(len(gone) == 1 and gone[0]["status"] == "done" and
          gone[0]["version"] == 1 and
          gone[0]["ts"] >= "2025-11-17T00:01:00",
          f"key_rotation destroy of version 1 after the grace: {gone}")
    check(vault.destroyed("ai/hf", 1) and not vault.destroyed("ai/hf", 2),
          "Vault: version 1 destroyed, version 2 not")
    check(lwkeys.waiting(os.path.join(d, "state-hf")) == [],
          "nothing left waiting in keys.json")

    # Two captures: 30 s, then 40 s..120 s later; the wait survives.
    vault.put("ai/gh", {"api_key": "gh-seeded-key-version-1"})
    state = os.path.join(d, "state-gh")
    os.makedirs(state)
    cfg = config(d, vault, hook, {"gh": ""}, state="state-gh")
    lwkeys.write_rules(rules, "gh")
    mac = bytes.fromhex("3c22fb000002")
    lwkeys.write_pcap(pcap, lwkeys.START, 30, mac)
    res = replay(lw, cfg, rules, pcap, state)
    evs = lwkeys.events(res.stdout)
    check(res.returncode == 0 and [e["step"] for e in evs] == ["rotate"],
          f"first capture (30 s): a rotation, no destruction: {evs}")
    check(("gh", 1) in lwkeys.waiting(state) and
          not vault.destroyed("ai/gh", 1),
          "version 1 still valid and waiting in keys.json")
    lwkeys.write_pcap(pcap, lwkeys.START + 40, 80, mac)
    res = replay(lw, cfg, rules, pcap, state)
    evs = lwkeys.events(res.stdout)
    check(res.returncode == 0 and [(e["step"], e.get("version"))
                                    for e in evs] == [("destroy", 1)],
          f"second capture: version 1 destroyed, no new rotation: {evs}")
    check(evs and evs[0]["ts"] >= "2025-11-17T00:01:00",
          "destroyed at or after rotation + grace in packet time")
    check(vault.destroyed("ai/gh", 1) and lwkeys.waiting(state) == [],
          "Vault: version 1 destroyed; keys.json empty")

    # A stale keys.json (edited, or the secret made anew) that waits to
    # destroy the version in force: Vault's metadata wins, nothing goes.
    vault.put("ai/rb", {"api_key": "rb-seeded-key-version-1"})
    state = os.path.join(d, "state-rb")
    os.makedirs(state)
    cfg = config(d, vault, hook, {"rb": ""}, state="state-rb")
    lwkeys.write_rules(rules, "rb")
    mac = bytes.fromhex("3c22fb000003")
    lwkeys.write_pcap(pcap, lwkeys.START, 30, mac)
    replay(lw, cfg, rules, pcap, state)
    keys_json = os.path.join(state, "keys.json")
    with open(keys_json) as f:
        doc = json.load(f)
    for w in doc.get("waiting", []):
        w["version"] = 2            # the current one
    with open(keys_json, "w") as f:
        json.dump(doc, f)
    lwkeys.write_pcap(pcap, lwkeys.START + 40, 80, mac)
    res = replay(lw, cfg, rules, pcap, state)
    evs = [e for e in lwkeys.events(res.stdout) if e["step"] == "destroy"]
    check(evs and all(e["status"] == "failed" and "current" in
                      e.get("detail", "") for e in evs) and
          not vault.destroyed("ai/rb", 2),
          f"a stale wait on the version in force destroys nothing: "
          f"{[(e['status'], e.get('detail')) for e in evs]}")


def sigterm_mid_rotation(lw, d, vault, hook, key, hung):
    """replay --act --speed 1 of a 30 s capture whose first packet
    rotates key; SIGTERM once `hung` (a fake's request list) shows the
    rotation stuck in its hanging request.  (seconds to exit, stdout)."""
    state = os.path.join(d, "state-term")
    os.makedirs(state, exist_ok=True)
    cfg = config(d, vault, hook, {key: ""}, state="state-term")
    rules, pcap = os.path.join(d, "term.yaml"), os.path.join(d, "term.pcap")
    lwkeys.write_rules(rules, key)
    mac = bytes.fromhex("3c22fb0000" + key[-1].rjust(2, "3"))  # a new one
    lwkeys.write_pcap(pcap, lwkeys.START, 30, mac)
    proc = subprocess.Popen([lw, "replay", "--act", "--speed", "1", "-c",
                             cfg, "-r", rules, "--state", state, "--emit",
                             "key_rotation", pcap], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while not hung() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)                 # well inside the hanging request
    check(hung() and proc.poll() is None,
          f"{key}: the rotation reached the hanging request")
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    took = time.monotonic() - sent
    bad = sanitizer_report(err)
    check(bad is None, f"{key}: no sanitizer report ({bad})")
    check("interrupted" in err, f"{key}: replay says it was interrupted "
          f"[{err.strip()[-200:]}]")
    return took, out, state


def test_sigterm(lw, d, vault, hook):
    # The reload hook hangs 20 s after version 2 was written: SIGTERM
    # ends it, and the old key comes back as version 3.
    vault.put("ai/term1", {"api_key": "term1-old-key-still-in-force"})
    hook.clear()                    # earlier tests' calls are no sign
    hook.fault("POST", "/reload", hang=20, times=1)
    took, out, state = sigterm_mid_rotation(
        lw, d, vault, hook, "term1", lambda: hook.seen("POST", "/reload"))
    check(took < 2.0, f"term1: SIGTERM with the hook hanging: exit in "
          f"{took:.2f} s (< 2 s)")
    check(vault.version("ai/term1") == 3 and
          vault.value("ai/term1", "api_key") ==
          "term1-old-key-still-in-force",
          f"term1: the old key is current again (version "
          f"{vault.version('ai/term1')})")
    evs = lwkeys.events(out)
    check(len(evs) == 1 and evs[0]["status"] == "failed" and
          evs[0]["detail"].startswith("interrupted by shutdown") and
          "version 3 puts the old key back" in evs[0]["detail"],
          f"term1: key_rotation failed, interrupted by shutdown, old key "
          f"back: {evs}")
    recs = [r for r in lwkeys.audit_records(state)
            if r.get("key") == "term1"]
    check(recs and recs[-1]["status"] == "failed" and
          "interrupted by shutdown" in recs[-1]["detail"],
          "term1: the audit record says failed, interrupted by shutdown")

    # Vault hangs on the write itself: nothing becomes current.
    vault.put("ai/term2", {"api_key": "term2-old-key-still-in-force"})
    vault.fault("POST", "/v1/secret/data/ai/term2", hang=20, times=1)
    hook.clear()
    took, out, state = sigterm_mid_rotation(
        lw, d, vault, hook, "term2",
        lambda: vault.seen("POST", "/v1/secret/data/ai/term2"))
    check(took < 2.0, f"term2: SIGTERM with Vault's write hanging: exit "
          f"in {took:.2f} s (< 2 s)")
    check(vault.version("ai/term2") == 1 and
          vault.value("ai/term2", "api_key") ==
          "term2-old-key-still-in-force",
          "term2: version 1, the old key, stays current")
    check(not hook.seen(), "term2: no reload hook after an interrupted "
          "write")
    evs = lwkeys.events(out)
    check(len(evs) == 1 and evs[0]["status"] == "failed" and
          evs[0]["detail"].startswith("interrupted by shutdown") and
          "old key stays" in evs[0]["detail"],
          f"term2: key_rotation failed, interrupted by shutdown: {evs}")


def test_check(lw, d):
    path = os.path.join(d, "broken.yaml")
    lwkeys.write(path, """vault:
  url: vault.lab:8200
  token: s.inline-token
keys:
  openai: { store: vault, path: secret/metadata/ai/openai, lenght: 32 }
  local: { store: file, path: k.key, encoding: base32, grace: soon }
""")
    res = run([lw, "check", "-c", path, "-r", os.path.join(d, "hf.yaml")])
    want = [
        f"{path}:2:8: vault.url: an http:// or https:// URL",
        f"{path}:3:10: vault.token: secrets are not config values",
        f"{path}:5:33: keys.openai.path: 'secret/metadata/ai/openai' names",
        f"{path}:5:68: keys.openai: unknown key 'lenght' - did you mean "
        "'length'?",
        f"{path}:6:48: keys.local.encoding: hex, base64url or base64",
        f"{path}:6:63: keys.local.grace: bad duration 'soon'",
    ]
    check(res.returncode == 2, "check on a broken keys config: exit 2")
    for w in want:
        check(w in res.stderr, f"check says: {w}")


def main():
    lw = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="lw-t220-") as d:
        _, vault, hook = lwkeys.vault_lab(d, "state")
        lwkeys.write("hook-secret", HMAC_SECRET + "\n")
        try:
            cfg = config(d, vault, hook, {"openai": ""})
            test_rotate(lw, d, vault, hook, cfg)
            test_failures(lw, d, vault, hook, cfg)
            test_grace_in_replay(lw, d, vault, hook)
            test_sigterm(lw, d, vault, hook)
            test_check(lw, d)
            check(vault.violations == [], f"every request was one Vault "
                  f"takes: {vault.violations}")
        finally:
            vault.stop()
            hook.stop()
    finish()


if __name__ == "__main__":
    main()
