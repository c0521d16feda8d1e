#!/usr/bin/env python3
"""Seeds for fuzz_dns: DNS, mDNS and LLMNR messages (UDP payloads on
ports 53, 5353 and 5355) from the captures under pcaps/public, one file
per payload, named by the first 16 hex digits of its SHA-1.

Reads classic pcap only (either byte order, micro- or nanosecond) with
Ethernet frames (802.1Q / QinQ tags skipped) carrying IPv4 or IPv6
(no extension headers) and UDP.  Later IPv4 fragments are skipped
(they carry no UDP header) and a payload is cut to the UDP length so
Ethernet padding stays out.

At most MAX_SEEDS are written, chosen for variety rather than volume:
one message per shape (service, query or response, opcode, rcode,
first question type, which sections are non-empty), the first met in
file order.  Run once; the seeds are committed.  Seeds already in the
directory are kept.

usage: make_dns_seeds.py [PCAP_DIR [OUT_DIR]]
    defaults: pcaps/public and tests/fuzz/seeds_dns of this tree
"""
import hashlib
import os
import struct
import sys

MAX_SEEDS = 40
SERVICES = {53: "dns", 5353: "mdns", 5355: "llmnr"}
LINK_ETHERNET = 1


def classic_frames(blob):
    """Frames of a classic pcap file with Ethernet link type."""
    magic = blob[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return
    if len(blob) < 24:
        return
    linktype = struct.unpack(end + "I", blob[20:24])[0] & 0x0fffffff
    if linktype != LINK_ETHERNET:
        return
    off = 24
    while off + 16 <= len(blob):
        incl = struct.unpack(end + "I", blob[off + 8:off + 12])[0]
        if off + 16 + incl > len(blob):
            return
        yield blob[off + 16:off + 16 + incl]
        off += 16 + incl


def udp_of(frame):
    """(src port, dst port, payload) of an Ethernet/IP/UDP frame."""
    off, etype = 14, frame[12:14]
    while etype in (b"\x81\x00", b"\x88\xa8") and len(frame) >= off + 4:
        etype, off = frame[off + 2:off + 4], off + 4
    if etype == b"\x08\x00" and len(frame) >= off + 20:
        ihl = (frame[off] & 15) * 4
        frag = struct.unpack(">H", frame[off + 6:off + 8])[0]
        if frame[off + 9] != 17 or frag & 0x1fff or ihl < 20:
            return None
        off += ihl
    elif etype == b"\x86\xdd" and len(frame) >= off + 40:
        if frame[off + 6] != 17:
            return None
        off += 40
    else:
        return None
    if len(frame) < off + 8:
        return None
    sport, dport, ulen = struct.unpack(">HHH", frame[off:off + 6])
    if ulen < 8:
        return None
    return sport, dport, frame[off + 8:off + ulen]


def first_qtype(msg):
    """The first question's type, or None when it cannot be found by
    walking plain labels (a pointer, a cut, no question)."""
    if len(msg) < 12 or struct.unpack(">H", msg[4:6])[0] == 0:
        return None
    off = 12
    while off < len(msg) and msg[off] != 0:
        if msg[off] & 0xc0:
            return None
        off += 1 + msg[off]
    if off + 3 > len(msg):
        return None
    return struct.unpack(">H", msg[off + 1:off + 3])[0]


def shape(service, msg):
    if len(msg) < 12:
        return (service, "short")
    flags, qd, an, ns, ar = struct.unpack(">HHHHH", msg[2:12])
    return (service, flags >> 15, (flags >> 11) & 15, flags & 15,
            first_qtype(msg), qd > 0, an > 0, ns > 0, ar > 0)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    tree = os.path.dirname(os.path.dirname(here))
    src = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(tree, "pcaps", "public")
    out = sys.argv[2] if len(sys.argv) > 2 else \
        os.path.join(here, "seeds_dns")
    os.makedirs(out, exist_ok=True)
    seen, written = set(), 0
    for dirpath, dirs, names in os.walk(src):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith((".pcap", ".cap")) or written >= MAX_SEEDS:
                continue
            with open(os.path.join(dirpath, name), "rb") as f:
                blob = f.read()
            for frame in classic_frames(blob):
                got = udp_of(frame)
                if not got:
                    continue
                sport, dport, payload = got
                port = sport if sport in SERVICES else dport
                if port not in SERVICES or not payload:
                    continue
                key = shape(SERVICES[port], payload)
                if key in seen:
                    continue
                seen.add(key)
                digest = hashlib.sha1(payload).hexdigest()[:16]
                path = os.path.join(out, digest)
                if not os.path.exists(path):
                    with open(path, "wb") as f:
                        f.write(payload)
                written += 1
                if written >= MAX_SEEDS:
                    break
    print(f"{written} seeds of {len(seen)} shapes in {out}")


if __name__ == "__main__":
    main()
