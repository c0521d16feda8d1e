#!/usr/bin/env python3
"""t214: protected hosts and the hourly cap hold against a flood.

pcaps/spoof-flood.pcap (pcaps/make_spoof_flood.py) has a gateway that
is a new device, a spoofer claiming the gateway's address and 100
spoofed MACs.  It is replayed with --act, the default rules plus a
scene that locks down any address that changes hands, the nft backend
(in a network namespace of its own) and actions.max_per_hour: 5.
Checked, in the events, the audit log and the kernel's sets:
  - the gateway's MAC, the spoofer seen at its address and the
    gateway's address itself are refused as protected;
  - five spoofed MACs are quarantined; the other 95 are refused with
    the reason, and exactly one notify says the cap was reached;
  - no backend call beyond the cap: the audit log has a request for
    the five only, and quarantine_mac holds exactly those five;
  - every refusal is in the audit log with its origin.
Needs root and nftables; exits 77 (skipped) without them.

usage: t214_protected_cap.py LABWARDEN PCAPS_DIR RULES_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from lwtest import check, finish, json_lines, run, sanitizer_report

NS = f"lw-t214-lab-{os.getpid()}"    # another checkout's run keeps its own
GW_MAC, GW_IP = "00:1d:7e:d6:00:01", "192.168.214.1"
SPOOFER = "00:1d:7e:d6:00:66"
CAP = 5


def sh(*argv, check_rc=True):
    res = subprocess.run(list(argv), capture_output=True, text=True,
                         timeout=60)
    if check_rc and res.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {res.stderr.strip()}")
    return res


def set_elements(name):
    res = sh("ip", "netns", "exec", NS, "nft", "-j", "list", "set", "inet",
             "labwarden", name, check_rc=False)
    if res.returncode != 0:
        return None
    out = set()
    for item in json.loads(res.stdout)["nftables"]:
        for e in item.get("set", {}).get("elem", []):
            inner = e.get("elem", e) if isinstance(e, dict) else {"val": e}
            out.add(inner["val"])
    return out


def scenario(lw, pcaps, rules, tmp):
    rules_dir = os.path.join(tmp, "rules")
    shutil.copytree(rules, rules_dir)
    with open(os.path.join(rules_dir, "zz-lock-moved.yaml"), "w") as f:
        f.write("- name: lock-moved\n  on: mac_ip_change\n  actions:\n"
                "    - lockdown: { target: \"{ip}\", for: 1h }\n")
    known = os.path.join(tmp, "known.txt")
    with open(known, "w") as f:
        f.write("3c:22:fb:d6:00:20 laptop\n")
    state = os.path.join(tmp, "state")
    os.mkdir(state)
    cfg = os.path.join(tmp, "flood.yaml")
    with open(cfg, "w") as f:
        f.write(f"networks:\n  protected: [{GW_IP}]\n"
                f"inventory:\n  known_devices: {known}\n"
                f"actions:\n  max_per_hour: {CAP}\n"
                "backends:\n  local: { type: nft }\n")
    res = run(["ip", "netns", "exec", NS, lw, "replay", "--act", "-c", cfg,
               "-r", rules_dir, "--state", state, "--emit", "scene,action",
               "--stats", os.path.join(pcaps, "spoof-flood.pcap")])
    check(res.returncode == 0 and not sanitizer_report(res.stderr),
          f"replay --act exits 0 [{res.stderr.strip()[-300:]}]"
          if res.returncode else "replay --act exits 0")
    evs = json_lines(res.stdout, "replay")
    scene_acts = [dict(a, scene=e["scene"]) for e in evs
                  if e["type"] == "scene" for a in e["actions"]]
    action_evs = [e for e in evs if e["type"] == "action"]
    quarantines = [a for a in scene_acts if a["action"] == "quarantine"]
    check(len(quarantines) == 102,
          f"the new-device scene asked 102 quarantines ({len(quarantines)})")

    gw = [a for a in quarantines if a["target"] == GW_MAC]
    check(len(gw) == 1 and gw[0]["status"] == "refused" and
          "protected" in gw[0]["detail"],
          f"the gateway's MAC is refused as protected: {gw}")
    sp = [a for a in quarantines if a["target"] == SPOOFER]
    check(len(sp) == 1 and sp[0]["status"] == "refused" and
          GW_IP in sp[0]["detail"],
          f"the spoofer seen at the gateway's address is refused: {sp}")
    moved = [a for a in scene_acts if a["scene"] == "lock-moved"]
    check(moved and all(a["target"] == GW_IP and a["status"] == "refused"
                        and "protected" in a["detail"] for a in moved),
          "locking down the gateway's address is refused as protected")

    fakes = [a for a in quarantines if a["target"] not in (GW_MAC, SPOOFER)]
    done = [a for a in fakes if a["status"] == "done"]
    capped = [a for a in fakes if a["status"] == "refused" and
              "max_per_hour" in a["detail"]]
    check(len(fakes) == 100 and len(done) == CAP and
          len(capped) == 100 - CAP,
          f"{CAP} spoofed MACs quarantined, {len(capped)} refused for "
          f"actions.max_per_hour ({len(done)} done of {len(fakes)})")
    notes = [e for e in action_evs if e["action"] == "notify"]
    check(len(notes) == 1 and "max_per_hour" in notes[0]["detail"],
          f"exactly one notify says the cap was reached ({len(notes)})")
    refused_evs = [e for e in action_evs if e["status"] == "refused"]
    check(len(refused_evs) == 100 - CAP + 3,
          f"an action event for every refusal ({len(refused_evs)})")

    elems = set_elements("quarantine_mac")
    check(elems == {a["target"] for a in done},
          f"quarantine_mac holds exactly the {CAP} ({len(elems or ())})")
    check(GW_IP not in (set_elements("lockdown4") or set()),
          "the gateway's address is in no set")

    with open(os.path.join(state, "audit.jsonl")) as f:
        audit = [json.loads(l) for l in f]
    calls = [a for a in audit if "request" in a]
    check(len(calls) == CAP and all(a["outcome"] == "done" and
                                    a["backend_type"] == "nft"
                                    for a in calls),
          f"the backend was called {len(calls)} times: no call beyond "
          "the cap")
    refused = [a for a in audit if a["outcome"] == "refused"]
    check(len(refused) == 100 - CAP + 3 and
          all(a["origin"] in ("scene:new-device", "scene:lock-moved")
              for a in refused),
          f"every refusal is audited with its origin ({len(refused)})")
    check(not any(k in json.dumps(audit) for k in ("password", "token")),
          "no credential in the audit log")
    with open(os.path.join(state, "actions.json")) as f:
        saved = json.load(f)
    check(len(saved["actions"]) == CAP,
          f"actions.json keeps the {CAP} in force")
    check("actions: 5 done" in res.stderr and "98 refused" in res.stderr,
          "--stats counts them: " + next((l.strip() for l in
                                          res.stderr.splitlines()
                                          if "actions:" in l), "none"))


def main():
    lw, pcaps, rules = (os.path.abspath(a) for a in sys.argv[1:4])
    if os.geteuid() != 0 or not shutil.which("nft"):
        print("skipped: needs root and nft")
        sys.exit(77)
    probe = sh("ip", "netns", "add", NS, check_rc=False)
    if probe.returncode != 0:
        print(f"skipped: cannot make network namespaces here "
              f"({probe.stderr.strip()})")
        sys.exit(77)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            scenario(lw, pcaps, rules, tmp)
    finally:
        sh("ip", "netns", "del", NS, check_rc=False)
    finish()


if __name__ == "__main__":
    main()
