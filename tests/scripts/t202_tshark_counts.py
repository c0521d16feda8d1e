#!/usr/bin/env python3
"""t202: per-file packet counts by protocol agree with tshark's.

For every capture under pcaps/public that labwarden reads, count the
packets that carry IPv4, IPv6, ARP, TCP and UDP, once from labwarden's
"stats" event and once from tshark's per-packet protocol chain, and
compare.  labwarden decodes the outer headers only (it does not follow
tunnels or reassemble fragments), so the tshark chain is cut where
labwarden stops: after the first transport header, or at the first
protocol labwarden does not decode.  Files where the two legitimately
differ are listed in EXPECTED_DIFFS with the reason.

usage: tshark_counts.py LABWARDEN PCAP_DIR
"""
import json
import os
import subprocess
import sys

PROTOS = ("ipv4", "ipv6", "arp", "tcp", "udp")

# tshark chain names that map onto our counters
NAME_TO_PROTO = {"ip": "ipv4", "ipv6": "ipv6", "arp": "arp",
                 "tcp": "tcp", "udp": "udp"}
# link and L2.5 layers labwarden walks through
PASS_THROUGH = {"eth", "ethertype", "vlan", "ieee8021ad", "sll", "null",
                "loop", "ppp", "pppoes", "llc", "nflog", "pktap",
                "raw", "ipv6.hopopts", "ipv6.routing", "ipv6.fraghdr",
                "ipv6.dstopts", "ah", "ipv6.mipv6", "frame", "pcap_pktdata"}
# transport headers: count, then stop (payload is not ours to count)
TRANSPORT = {"tcp", "udp", "icmp", "icmpv6"}

# file (relative to PCAP_DIR) -> {proto: reason} for legitimate differences
EXPECTED_DIFFS = {
    # A DNS-over-IPv6 packet in a file that declares LINKTYPE_IPV4, made
    # to test exactly that: tshark falls back to IPv6, we count the
    # packet as bad_ip_version (the link type promises IPv4).
    "tcpdump/LINKTYPE_IPV4_invalid.pcap": {
        "ipv4": "link type says IPv4, packet is IPv6: bad_ip_version",
        "ipv6": "link type says IPv4, packet is IPv6: bad_ip_version",
        "udp": "not decoded past the bad IP version",
    },
}

# files labwarden refuses (and t201 checks the message): not compared
SKIPPED = {
    "tcpdump/unsupported-link-type-160.pcap": "link type 160 unsupported",
    "zeek/arp-who-has-radiotap.pcap": "802.11 radiotap unsupported",
    "zeek/echo-connections.pcap.gz": "gzip: refused with a message (t201)",
    # Damaged record headers: libpcap stops at the second record, tshark's
    # own reader frames the first record differently.  t201 checks we
    # read what libpcap can and exit 1 naming the damage.
    "suricata-verify/bug-6875-01/fuzz.pcap": "damaged file (t201)",
}


def tshark_counts(path):
    out = subprocess.run(
        ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE",
         "-o", "ipv6.defragment:FALSE", "-T", "fields",
         "-e", "frame.protocols"],
        capture_output=True, text=True, timeout=120)
    counts = dict.fromkeys(PROTOS, 0)
    for line in out.stdout.splitlines():
        seen = set()
        for name in line.split(":"):
            proto = NAME_TO_PROTO.get(name)
            if proto in ("ipv4", "ipv6") and seen & {"ipv4", "ipv6"}:
                break           # an inner (tunnelled) IP header
            if proto:
                seen.add(proto)
            if name in TRANSPORT:
                break
            if not proto and name not in PASS_THROUGH:
                break
        for proto in seen:
            counts[proto] += 1
    return counts, out.stdout.count("\n")


def labwarden_counts(binary, path):
    out = subprocess.run([binary, "replay", "--emit", "stats", path],
                         capture_output=True, text=True, timeout=120)
    for line in out.stdout.splitlines():
        event = json.loads(line)
        if event.get("type") == "stats":
            return ({p: event["protocols"][p] for p in PROTOS},
                    event["packets"])
    raise RuntimeError(f"{path}: no stats event (rc {out.returncode}, "
                       f"stderr {out.stderr.strip()})")


def capture_files(root):
    for dirpath, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            if name.endswith((".pcap", ".pcapng", ".pcap.gz")):
                full = os.path.join(dirpath, name)
                yield os.path.relpath(full, root), full


def main():
    binary, root = sys.argv[1], sys.argv[2]
    passed = failed = skipped = 0
    for rel, path in capture_files(root):
        if rel in SKIPPED:
            skipped += 1
            continue
        ours, ours_total = labwarden_counts(binary, path)
        theirs, their_total = tshark_counts(path)
        allowed = EXPECTED_DIFFS.get(rel, {})
        bad = [f"{p}: labwarden {ours[p]} tshark {theirs[p]}"
               for p in PROTOS if ours[p] != theirs[p] and p not in allowed]
        if ours_total != their_total and rel not in EXPECTED_DIFFS:
            bad.append(f"packets: labwarden {ours_total} "
                       f"tshark {their_total}")
        if bad:
            failed += 1
            print(f"FAIL {rel}: " + "; ".join(bad))
        else:
            passed += 1
            note = "; ".join(f"{p} differs: {r}" for p, r in allowed.items())
            print(f"ok   {rel}" + (f"  ({note})" if note else ""))
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
