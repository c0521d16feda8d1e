#!/usr/bin/env python3
"""t204: new stations and flip-flops agree with arpwatch's verdicts.

Every public capture with ARP is read by `arpwatch -r` (a fresh data
file each time) and by labwarden (every address counted as inside, as
arpwatch does).  Checked per file:
  - every MAC arpwatch calls a "new station" gets a new_mac event;
  - every "flip flop" / "changed ethernet address" arpwatch reports is a
    mac_ip_change event with the same address and MACs;
  - every mac_ip_change labwarden derives from ARP is one arpwatch
    reports, unless the file is listed in EXPECTED_DIFFS with a reason.
labwarden also reports MACs seen only in non-ARP frames, DHCP and IPv6
neighbour discovery; arpwatch watches ARP alone, so those extra
new_mac events are expected and not compared.

usage: t204_arpwatch.py LABWARDEN PCAP_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from lwtest import check, finish, run

FILES = [
    "ndpi/android.pcap", "ndpi/dns-tunnel-iodine.pcap", "ndpi/iphone.pcap",
    "ndpi/nest_log_sink.pcap", "suricata-verify/decode-arp-2/arp.pcap",
    "suricata-verify/ethernet-eve/test.pcap", "tcpdump/arp-oobr.pcap",
    "tcpdump/dhcp-rfc4388.pcap", "zeek/arp-leak.pcap",
    "zeek/arp-who-has.pcap", "zeek/nmap-vsn.pcap", "zeek/wikipedia.pcap",
]

# Files where labwarden's ARP verdicts go beyond arpwatch's, and why.
EXPECTED_DIFFS = {
}

CHANGE_KINDS = ("flip flop", "changed ethernet address",
                "reused old ethernet address")


def arpwatch(path, tmp):
    data = os.path.join(tmp, "arp.dat")
    open(data, "w").close()
    # arpwatch changes into its data directory: give it absolute paths
    res = subprocess.run(["arpwatch", "-d", "-f", data, "-r",
                          os.path.abspath(path)],
                         capture_output=True, text=True, timeout=120)
    reports = []
    for block in res.stdout.split("From: arpwatch")[1:]:
        subject = re.search(r"Subject: (.*?) \(", block)
        fields = dict(re.findall(r"^\s*([a-z ]+): (.*)$", block, re.M))
        if subject:
            reports.append((subject.group(1), fields))
    return reports


def labwarden(binary, path, config):
    res = run([binary, "replay", "-c", config, "--emit",
               "new_mac,mac_ip_change", path])
    return [json.loads(line) for line in res.stdout.splitlines()]


def compare(rel, reports, events):
    new_macs = {e["mac"] for e in events if e["type"] == "new_mac"}
    ours = {(e["ip"], e["new_mac"], e["old_mac"]) for e in events
            if e["type"] == "mac_ip_change" and e["seen_in"] == "arp"}
    stations = {f["ethernet address"] for kind, f in reports
                if kind == "new station"}
    theirs = {(f["ip address"], f["ethernet address"],
               f.get("old ethernet address")) for kind, f in reports
              if kind in CHANGE_KINDS}
    # arpwatch prints MACs without leading zeros (0:1a:...)
    stations = {normal_mac(m) for m in stations}
    theirs = {(ip, normal_mac(new), normal_mac(old))
              for ip, new, old in theirs}
    missing = stations - new_macs
    check(not missing, f"{rel}: arpwatch's {len(stations)} new stations "
          f"all have new_mac" + (f" (missing {sorted(missing)})"
                                 if missing else ""))
    check(theirs <= ours, f"{rel}: arpwatch's {len(theirs)} address "
          f"changes all reported" + (f" (missing {sorted(theirs - ours)})"
                                     if not theirs <= ours else ""))
    extra = ours - theirs
    if rel in EXPECTED_DIFFS:
        print(f"note {rel}: {EXPECTED_DIFFS[rel]} ({len(extra)} extra)")
    else:
        check(not extra, f"{rel}: no ARP address change that arpwatch "
              f"does not report" + (f" (extra {sorted(extra)[:3]})"
                                    if extra else ""))


def normal_mac(mac):
    if not mac:
        return mac
    return ":".join(f"{int(b, 16):02x}" for b in mac.split(":"))


def main():
    binary, root = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "all-inside.yaml")
        with open(config, "w") as f:
            f.write('networks:\n  home: [0.0.0.0/0, "::/0"]\n')
        total = 0
        for rel in FILES:
            path = os.path.join(root, rel)
            reports = arpwatch(path, tmp)
            total += len(reports)
            compare(rel, reports, labwarden(binary, path, config))
        check(total > 0, f"arpwatch produced {total} reports in all")
    finish()


if __name__ == "__main__":
    main()
