#!/usr/bin/env python3
"""t223: a WireGuard peer's preshared key rotated on an emulated MikroTik
(REST) and OpenWrt (ubus) router (fakeapi/wireguard.py), stored in Vault
and in a file.

- order: the new version is stored, then the router's peer is switched
  and read back, then the far end's reload hook is called;
- the router and the store end with the same new 32-byte base64 key;
- the router refuses the change (MikroTik HTTP 500, OpenWrt commit
  failure): the peer keeps its old key and the store's newest version
  is the old key again (exit 1, with the reason);
- the hook fails after the router switched: the router gets its old
  key back, and the store too;
- an expired ubus session is logged into again; a peer that is not on
  the router changes nothing.

usage: t223_wireguard.py LABWARDEN
"""
import base64
import os
import sys
import tempfile

from lwtest import check, finish
from fakeapi.wireguard import MikroTikWG, OpenWrtWG, valid_psk
import lwkeys
from lwkeys import rotate


def wgkey(seed):
    return base64.b64encode(bytes([seed]) * 32).decode()


PUB_OFFICE, PUB_CABIN, PUB_NOWHERE = wgkey(1), wgkey(2), wgkey(3)
OLD_OFFICE, OLD_CABIN = wgkey(11), wgkey(12)


def test_mikrotik(lw, d, cfg, vault, mt, hook):
    vault.put("wg/office", {"preshared_key": OLD_OFFICE})
    res = rotate(lw, cfg, "wg-office")
    new = vault.value("wg/office", "preshared_key")
    check(res.returncode == 0, f"MikroTik: exit 0 [{res.stderr.strip()}]")
    check(valid_psk(new) and new != OLD_OFFICE and
          vault.version("wg/office") == 2,
          "Vault version 2 holds a new 32-byte base64 preshared key")
    check(mt.psk(PUB_OFFICE) == new, "the router's peer uses the new key")
    write = vault.seen("POST", "/v1/secret/data/wg/office")
    patch = mt.seen("PATCH", "/rest/interface/wireguard/peers/*1")
    reads = [r for r in mt.seen("GET", "/rest/interface/wireguard/peers/*1")
             if patch and r.time > patch[-1].time]
    calls = hook.seen("POST", "/reload")
    check(len(write) == 1 and len(patch) == 1 and reads and len(calls) == 1
          and write[0].time < patch[0].time < reads[0].time < calls[0].time,
          "order: store the new version, switch the peer, read it back, "
          "then the far end's reload hook")
    check(patch and patch[0].json() == {"preshared-key": new},
          "the PATCH sets only preshared-key")
    check(calls and calls[0].json().get("fingerprint") ==
          lwkeys.fingerprint(new or ""), "the hook names the new version's "
          "fingerprint")

    # The router refuses: the old key stays on both sides.
    hook.clear()
    mt.fault("PATCH", "/rest/interface/wireguard/peers/", status=500, times=1)
    res = rotate(lw, cfg, "wg-office")
    check(res.returncode == 1 and "HTTP 500" in res.stderr and
          "version 4 puts the old key back" in res.stderr,
          f"router 500: exit 1, the old key put back [{res.stderr.strip()}]")
    check(mt.psk(PUB_OFFICE) == new and
          vault.value("wg/office", "preshared_key") == new,
          "the peer and the store's newest version keep the old key")
    check(not hook.seen(), "no reload when the router refused")

    # The far end cannot reload: the router is switched back too.
    hook.fault("POST", "/reload", status=503, times=1)
    res = rotate(lw, cfg, "wg-office")
    check(res.returncode == 1 and "HTTP 503" in res.stderr,
          f"hook 503: exit 1 [{res.stderr.strip()}]")
    check(mt.psk(PUB_OFFICE) == new and
          vault.value("wg/office", "preshared_key") == new and
          vault.version("wg/office") == 6,
          "after the hook failed the router and the store (version 6) "
          "hold the old key again")
    # Changes: the first rotation; putting the old key back after the
    # 500 (in case the refused PATCH took half way); the third
    # rotation's new key, then the old one again.
    changes = [v for (_, _, k, v) in mt.changes if k == "preshared-key"]
    check(len(changes) == 4 and changes[1] == new and changes[2] != new and
          changes[3] == new, "the router was switched to the new key, "
          "then back")


def test_openwrt(lw, d, cfg, ow, hook):
    key = os.path.join(d, "keys", "cabin.psk")
    hook.clear()
    res = rotate(lw, cfg, "wg-cabin")
    with open(key) as f:
        new = f.read().strip()
    check(res.returncode == 0 and valid_psk(new),
          f"OpenWrt: exit 0, the file holds a WireGuard key "
          f"[{res.stderr.strip()}]")
    check(ow.psk(PUB_CABIN) == new and ow.commits and
          ow.commits[-1][1] == {"cfg0a1b2c": {"preshared_key": new}},
          "uci set + commit put the new key on the peer's section")
    calls = hook.seen("POST", "/reload")
    check(calls and ow.commits and ow.commits[-1][0] < calls[0].time,
          "the reload hook comes after the commit")

    ow.expire()
    logins = ow.logins
    res = rotate(lw, cfg, "wg-cabin")
    with open(key) as f:
        second = f.read().strip()
    check(res.returncode == 0 and ow.psk(PUB_CABIN) == second != new and
          ow.logins == logins + 1, "an expired session: logged in again, "
          "rotated")

    ow.fail["commit"] = 1
    res = rotate(lw, cfg, "wg-cabin")
    with open(key) as f:
        after = f.read().strip()
    check(res.returncode == 1 and "ubus status 9" in res.stderr and
          "puts the old key back" in res.stderr,
          f"commit fails: exit 1, says so [{res.stderr.strip()}]")
    check(ow.psk(PUB_CABIN) == second and after == second,
          "the peer and the key file keep the old key")


def test_missing_peer(lw, cfg, vault, mt):
    before = vault.version("wg/nowhere")
    res = rotate(lw, cfg, "wg-nowhere")
    check(res.returncode == 1 and "no peer with that public key" in
          res.stderr and "nothing changed" in res.stderr,
          f"a peer the router does not have: exit 1 [{res.stderr.strip()}]")
    check(vault.version("wg/nowhere") == before, "nothing was stored")


def main():
    lw = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="lw-t223-") as d:
        pki, vault, hook = lwkeys.vault_lab(d, "keys", "state")
        mt = MikroTikWG(tls=pki, peers=[
            {".id": "*1", "interface": "wg0", "public-key": PUB_OFFICE,
             "preshared-key": OLD_OFFICE, "allowed-address": "10.9.0.2/32",
             "disabled": "false"},
            {".id": "*2", "interface": "wg0", "public-key": wgkey(9),
             "preshared-key": "", "allowed-address": "10.9.0.3/32",
             "disabled": "false"}]).start()
        ow = OpenWrtWG(tls=pki, user="wgadmin", sections={
            "wg1": {".type": "interface", "proto": "wireguard"},
            "cfg0a1b2c": {".type": "wireguard_wg1", "public_key": PUB_CABIN,
                          "preshared_key": OLD_CABIN,
                          "allowed_ips": "10.8.0.2/32"}}).start()
        lwkeys.write("mt-pass", "pw\n")
        lwkeys.write("ow-pass", "pw\n")
        cfg = os.path.join(d, "labwarden.yaml")
        lwkeys.write(cfg, f"""state_dir: state
vault: {{ url: "{vault.url}", token_file: vault-token, ca_file: pki/ca.pem }}
backends:
  gw: {{ type: mikrotik, url: "{mt.url}", user: labwarden,
        password_file: mt-pass, ca_file: pki/ca.pem }}
  cabin: {{ type: openwrt, url: "{ow.url}", username: wgadmin,
           password_file: ow-pass, ca_file: pki/ca.pem }}
keys:
  wg-office:
    store: vault
    path: secret/data/wg/office
    reload_url: "{hook.url}/reload"
    wireguard: {{ router: gw, interface: wg0, peer: "{PUB_OFFICE}" }}
  wg-cabin:
    store: file
    path: keys/cabin.psk
    reload_url: "{hook.url}/reload"
    wireguard: {{ router: cabin, interface: wg1, peer: "{PUB_CABIN}" }}
  wg-nowhere:
    store: vault
    path: secret/data/wg/nowhere
    wireguard: {{ router: gw, interface: wg0, peer: "{PUB_NOWHERE}" }}
""")
        try:
            test_mikrotik(lw, d, cfg, vault, mt, hook)
            test_openwrt(lw, d, cfg, ow, hook)
            test_missing_peer(lw, cfg, vault, mt)
            for srv in (vault, mt, ow, hook):
                check(srv.violations == [], f"{srv.name}: every request "
                      f"follows its API: {srv.violations}")
        finally:
            for srv in (vault, mt, ow, hook):
                srv.stop()
    finish()


if __name__ == "__main__":
    main()
