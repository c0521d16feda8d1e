#!/usr/bin/env python3
"""t203: DNS questions agree with tshark's on every public capture.

For each capture under pcaps/public, the multiset of (query or
response, qname, qtype) that labwarden reports as dns_query and
dns_response events is compared with the questions tshark dissects in
DNS, mDNS and LLMNR packets.  Both sides read the same packets with IP
reassembly off (labwarden does not reassemble IP fragments).  tshark
writes names in its own escaping, so names are compared after mapping
tshark's forms onto presentation format; files where the two
legitimately differ are listed in EXPECTED_DIFFS with the reason.

usage: t203_dns_vs_tshark.py LABWARDEN PCAP_DIR
"""
import collections
import json
import re
import os
import subprocess
import sys

from lwtest import check, finish, run

NON_ASCII = re.compile(r"[^\x00-\x7f]+")

TYPES = {
    "A": 1, "NS": 2, "MD": 3, "MF": 4, "CNAME": 5, "SOA": 6, "MB": 7,
    "MG": 8, "MR": 9, "NULL": 10, "WKS": 11, "PTR": 12, "HINFO": 13,
    "MINFO": 14, "MX": 15, "TXT": 16, "RP": 17, "AFSDB": 18, "SIG": 24,
    "KEY": 25, "AAAA": 28, "LOC": 29, "SRV": 33, "NAPTR": 35, "KX": 36,
    "CERT": 37, "DNAME": 39, "OPT": 41, "APL": 42, "DS": 43, "SSHFP": 44,
    "IPSECKEY": 45, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48, "DHCID": 49,
    "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52, "SMIMEA": 53, "HIP": 55,
    "CDS": 59, "CDNSKEY": 60, "OPENPGPKEY": 61, "CSYNC": 62,
    "ZONEMD": 63, "SVCB": 64, "HTTPS": 65, "SPF": 99, "TKEY": 249,
    "TSIG": 250, "IXFR": 251, "AXFR": 252, "ANY": 255, "URI": 256,
    "CAA": 257,
}

# file -> reason: compared, differences allowed and printed
EXPECTED_DIFFS = {
    "arkime/6-4-gre-ppp-udp-4-dns.pcap":
        "DNS inside IPv4-in-IPv6/GRE/PPP: tunnels are not decoded",
    "tcpdump/LINKTYPE_IPV4_invalid.pcap":
        "an IPv6 packet in a LINKTYPE_IPV4 file: counted bad_ip_version",
    "ndpi/malformed_dns.pcap":
        "names over 255 octets: we stop with bad_name (RFC 1035 2.3.4), "
        "tshark prints '<name too long>'",
    "tcpdump/dns-badlabel.pcap":
        "a reserved label type: we stop with bad_name, tshark prints "
        "'<name too long>'",
    "zeek/dns/dns-invalid-names.pcap":
        "a pointer loop: we stop with bad_pointer, tshark prints a "
        "placeholder",
}

# files not compared at all (t201 covers them)
SKIPPED = {
    "tcpdump/unsupported-link-type-160.pcap", "zeek/arp-who-has-radiotap.pcap",
    "zeek/echo-connections.pcap.gz", "suricata-verify/bug-6875-01/fuzz.pcap",
}


def type_number(name):
    if name in TYPES:
        return TYPES[name]
    if name.startswith("TYPE"):
        return int(name[4:])
    raise ValueError(f"unexpected qtype {name}")


def comparable(name):
    """Our presentation form back to octets, shown as tshark shows them:
    decoded as UTF-8 with invalid sequences replaced."""
    raw, i = bytearray(), 0
    while i < len(name):
        if name[i] == "\\" and name[i + 1:i + 4].isdigit():
            raw.append(int(name[i + 1:i + 4]))
            i += 4
        elif name[i] == "\\" and i + 1 < len(name):
            raw.append(ord(name[i + 1]))
            i += 2
        else:
            raw.append(ord(name[i]))
            i += 1
    return skeleton(raw.decode("utf-8", errors="replace"))


def skeleton(name):
    """tshark decodes name octets as UTF-8 with its own replacement
    rules; binary labels (iodine) can only be compared by their ASCII,
    so a run of anything else becomes one '?' on both sides."""
    return NON_ASCII.sub("?", name).lower()


def ours(binary, path):
    res = run([binary, "replay", "--emit", "dns_query,dns_response", path])
    got = collections.Counter()
    for line in res.stdout.splitlines():
        ev = json.loads(line)
        if "qname" not in ev:
            continue
        got[(ev["type"] == "dns_response", comparable(ev["qname"]),
             type_number(ev["qtype"]))] += 1
    return got


def tshark_name(name):
    """tshark's qry.name onto presentation form, lowercased."""
    if name == "<Root>":
        return ""
    return skeleton(name)


def theirs(path):
    res = subprocess.run(
        ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE",
         "-o", "ipv6.defragment:FALSE", "-Y", "(dns || mdns || llmnr) && !icmp && !icmpv6",
         "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=\x1f",
         "-e", "dns.flags.response", "-e", "dns.qry.name",
         "-e", "dns.qry.type", "-e", "udp.port", "-e", "tcp.port"],
        capture_output=True, text=True, timeout=300)
    got = collections.Counter()
    for line in res.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or not fields[1] and not fields[2]:
            continue
        ports = {int(p) for f in fields[3:5] for p in f.split("\x1f") if p}
        tcp = bool(fields[4]) if len(fields) > 4 else False
        # what labwarden decodes: UDP 53/5353/5355, TCP 53
        if not ports & ({53} if tcp else {53, 5353, 5355}):
            continue
        response = fields[0].split("\x1f")[0] in ("1", "True")
        names = fields[1].split("\x1f")
        types = fields[2].split("\x1f")
        for name, qtype in zip(names, types):
            got[(response, tshark_name(name), int(qtype, 0))] += 1
    return got


def captures(root):
    for dirpath, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            if name.endswith((".pcap", ".pcapng", ".pcap.gz")):
                full = os.path.join(dirpath, name)
                yield os.path.relpath(full, root), full


def main():
    binary, root = sys.argv[1], sys.argv[2]
    compared = with_dns = 0
    for rel, path in captures(root):
        if rel in SKIPPED:
            continue
        a, b = ours(binary, path), theirs(path)
        compared += 1
        if not a and not b:
            continue
        with_dns += 1
        only_ours, only_theirs = a - b, b - a
        same = not only_ours and not only_theirs
        if rel in EXPECTED_DIFFS:
            print(f"note {rel}: {EXPECTED_DIFFS[rel]} "
                  f"(ours-only {sum(only_ours.values())}, "
                  f"tshark-only {sum(only_theirs.values())})")
            continue
        detail = ""
        if not same:
            detail = (f": only ours {list(only_ours.items())[:3]}, "
                      f"only tshark {list(only_theirs.items())[:3]}")
        check(same, f"{rel}: {sum(a.values())} DNS questions agree "
              f"with tshark{detail}")
    check(with_dns >= 20, f"{with_dns} of {compared} captures have DNS")
    finish()


if __name__ == "__main__":
    main()
