"""Helpers shared by the key rotation tests (t220-t223): the working
directory with a CA, a Vault and a reload hook, labwarden's rotate and
replay runs, captures that span a grace period, a scene that rotates a
key on a new device, and readers for the audit log, the events and
keys.json."""
import base64
import glob
import hashlib
import json
import os
import struct

from fakeapi.base import make_pki
from fakeapi.vault import FakeVault, ReloadHook
from lwtest import check, run, sanitizer_report

START = 1763337600           # 2025-11-17T00:00:00Z


def workdir(d, *subdirs):
    """Work in d (configs name their files relative to it), with
    subdirs made."""
    os.chdir(d)
    for sub in subdirs:
        os.makedirs(sub)


def vault_lab(d, *subdirs):
    """workdir(d), a CA in pki/, a Vault whose token is in vault-token
    and a reload hook, both started: (pki, vault, hook)."""
    workdir(d, *subdirs)
    pki = make_pki(os.path.join(d, "pki"))
    vault = FakeVault(tls=pki).start()
    hook = ReloadHook().start()
    write("vault-token", vault.token + "\n")
    return pki, vault, hook


def labwarden(lw, argv, what, timeout=120):
    """labwarden argv, checked for a sanitizer report; the process."""
    res = run([lw] + argv, timeout=timeout)
    bad = sanitizer_report(res.stderr)
    check(bad is None, f"{what}: no sanitizer report" +
          (f" ({bad})" if bad else ""))
    return res


def rotate(lw, cfg, key):
    """`labwarden rotate KEY`."""
    return labwarden(lw, ["rotate", key, "-c", cfg], f"rotate {key}",
                     timeout=60)


def replay(lw, cfg, rules, pcap, state, emit="key_rotation"):
    """`labwarden replay --act` of pcap with rules and state."""
    return labwarden(lw, ["replay", "--act", "-c", cfg, "-r", rules,
                          "--state", state, "--emit", emit, pcap], "replay")


def arp(mac, ip):
    """A who-has from mac/ip (a globally administered MAC: new_mac at
    once, no randomized grace)."""
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac,
                       bytes(ip), b"\0" * 6, bytes([192, 168, 1, 1]))
    return b"\xff" * 6 + mac + b"\x08\x06" + body + b"\0" * 18


def write_pcap(path, start, seconds, mac, ip=(192, 168, 1, 77), step=10):
    """One ARP frame from mac at start, then every step seconds up to
    start + seconds: the clock covers the whole span."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t in range(start, start + seconds + 1, step):
            frame = arp(mac, ip)
            f.write(struct.pack("<IIII", t, 0, len(frame), len(frame)) +
                    frame)


def write_rules(path, key):
    """A scene that rotates key when a new device appears."""
    with open(path, "w") as f:
        f.write(f"""- name: rotate-on-new-device
  description: A new device appeared; rotate {key} (test scene).
  on: new_mac
  actions:
    - rotate_key: {{ key: {key} }}
""")


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def audit_records(state_dir):
    """Every record of the audit log and its rotated files."""
    recs = []
    for path in sorted(glob.glob(os.path.join(state_dir, "audit.jsonl*"))):
        with open(path) as f:
            recs += [json.loads(line) for line in f if line.strip()]
    return recs


def waiting(state_dir):
    """keys.json's waiting list as (key, version) pairs."""
    try:
        with open(os.path.join(state_dir, "keys.json")) as f:
            doc = json.load(f)
    except FileNotFoundError:
        return []
    return [(w["key"], w["version"]) for w in doc.get("waiting", [])]


def events(text, type_="key_rotation"):
    out = []
    for line in text.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("type") == type_:
            out.append(ev)
    return out


def fingerprint(key):
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def forms(key, prefix=""):
    """Every way a key could leak: as written, without its prefix, and
    its raw bytes as hex, base64 and base64url (padded or not)."""
    text = key[len(prefix):] if prefix and key.startswith(prefix) else key
    out = {key, text}
    raw = None
    for decode in (lambda s: bytes.fromhex(s),
                   lambda s: base64.b64decode(s + "=" * (-len(s) % 4),
                                              validate=True),
                   lambda s: base64.urlsafe_b64decode(
                       s + "=" * (-len(s) % 4))):
        try:
            raw = decode(text)
            break
        except ValueError:
            continue
    if raw:
        out |= {raw.hex(), base64.b64encode(raw).decode(),
                base64.urlsafe_b64encode(raw).decode(),
                base64.urlsafe_b64encode(raw).decode().rstrip("="),
                base64.b64encode(raw).decode().rstrip("=")}
    # A cut key is a leak too: its first and last 16 characters in each
    # form.  (Shorter strings could turn up by chance.)
    for f in list(out):
        out |= {f[:16], f[-16:]}
    return {f for f in out if len(f) >= 16}


def leaks(haystacks, keys):
    """[(where, key fingerprint)] for every key form found in a text."""
    found = []
    for where, text in haystacks.items():
        for key, prefix in keys:
            for form in forms(key, prefix):
                if form in text:
                    found.append((where, fingerprint(key)))
                    break
    return found
