#!/usr/bin/env python3
"""Seeds for fuzz_dhcp: the UDP payloads on ports 67/68 (DHCPv4 over
IPv4) of the captures under pcaps/public, one file per distinct
payload, named by the first 16 hex digits of its SHA-1.

Reads classic pcap (either byte order, micro- or nanosecond) and
pcapng (enhanced and simple packet blocks, one link type per
interface), gzip-compressed or not.  Link types: Ethernet (with 802.1Q
/ QinQ tags), raw IPv4, BSD loopback, Linux cooked SLL and SLL2.
Later fragments are skipped (they carry no UDP header); a payload is
cut to the UDP length so Ethernet padding stays out.  At most
MAX_PER_FILE seeds come from one capture, so one flood does not make
up the corpus.  Run once; the seeds are committed.

usage: make_dhcp_seeds.py [PCAP_DIR [OUT_DIR]]
    defaults: pcaps/public and tests/fuzz/seeds_dhcp of this tree
"""
import gzip
import hashlib
import os
import struct
import sys

MAX_PER_FILE = 40
DHCP_PORTS = {67, 68}

LINK_NULL, LINK_ETHERNET, LINK_RAW, LINK_LOOP = 0, 1, 101, 108
LINK_SLL, LINK_IPV4, LINK_SLL2 = 113, 228, 276


def classic_frames(blob):
    """(linktype, frame) of a classic pcap file."""
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
    off = 24
    while off + 16 <= len(blob):
        incl = struct.unpack(end + "I", blob[off + 8:off + 12])[0]
        if off + 16 + incl > len(blob):
            return
        yield linktype, blob[off + 16:off + 16 + incl]
        off += 16 + incl


def pcapng_frames(blob):
    """(linktype, frame) of a pcapng file: EPB and SPB, every section."""
    off, end, links = 0, "<", []
    while off + 12 <= len(blob):
        btype = struct.unpack(end + "I", blob[off:off + 4])[0]
        if blob[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            bom = blob[off + 8:off + 12]
            end = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
            btype = 0x0a0d0d0a
        blen = struct.unpack(end + "I", blob[off + 4:off + 8])[0]
        if blen < 12 or blen % 4 or off + blen > len(blob):
            return
        body = blob[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 2:            # interface
            links.append(struct.unpack(end + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:         # enhanced packet
            ifid, _, _, caplen = struct.unpack(end + "IIII", body[:16])
            if ifid < len(links) and 20 + caplen <= len(body):
                yield links[ifid], body[20:20 + caplen]
        elif btype == 3 and len(body) >= 4 and links:  # simple packet
            yield links[0], body[4:]
        off += blen


def frames(blob):
    if blob[:2] == b"\x1f\x8b":
        try:
            blob = gzip.decompress(blob)
        except (OSError, EOFError):
            return
    if blob[:4] == b"\x0a\x0d\x0d\x0a":
        yield from pcapng_frames(blob)
    else:
        yield from classic_frames(blob)


def ipv4_start(linktype, frame):
    """Offset of the IPv4 header in the frame, or None."""
    if linktype == LINK_ETHERNET:
        off, etype = 14, frame[12:14]
        while etype in (b"\x81\x00", b"\x88\xa8", b"\x91\x00") and \
                len(frame) >= off + 4:
            etype, off = frame[off + 2:off + 4], off + 4
        return off if etype == b"\x08\x00" else None
    if linktype in (LINK_RAW, LINK_IPV4):
        return 0
    if linktype in (LINK_NULL, LINK_LOOP):
        fam = frame[:4]
        return 4 if fam in (b"\x02\x00\x00\x00", b"\x00\x00\x00\x02") \
            else None
    if linktype == LINK_SLL:
        return 16 if frame[14:16] == b"\x08\x00" else None
    if linktype == LINK_SLL2:
        return 20 if frame[0:2] == b"\x08\x00" else None
    return None


def dhcp_payload(linktype, frame):
    """The UDP payload of a DHCPv4 frame, or None."""
    off = ipv4_start(linktype, frame)
    if off is None or len(frame) < off + 20 or frame[off] >> 4 != 4:
        return None
    ihl = (frame[off] & 15) * 4
    frag = struct.unpack(">H", frame[off + 6:off + 8])[0]
    if ihl < 20 or frame[off + 9] != 17 or frag & 0x1fff:
        return None
    udp = off + ihl
    if len(frame) < udp + 8:
        return None
    sport, dport, ulen = struct.unpack(">HHH", frame[udp:udp + 6])
    if not {sport, dport} & DHCP_PORTS:
        return None
    payload = frame[udp + 8:]
    if ulen >= 8:
        payload = payload[:ulen - 8]
    return payload or None


def captures(root):
    for dirpath, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if name.endswith((".pcap", ".pcapng", ".cap", ".pcap.gz",
                              ".pcapng.gz")):
                yield os.path.join(dirpath, name)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    tree = os.path.dirname(os.path.dirname(here))
    src = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(tree, "pcaps", "public")
    out = sys.argv[2] if len(sys.argv) > 2 else \
        os.path.join(here, "seeds_dhcp")
    os.makedirs(out, exist_ok=True)
    seen, total = set(), 0
    for path in captures(src):
        with open(path, "rb") as f:
            blob = f.read()
        count = 0
        for linktype, frame in frames(blob):
            payload = dhcp_payload(linktype, frame)
            if payload is None:
                continue
            digest = hashlib.sha1(payload).hexdigest()[:16]
            if digest in seen:
                continue
            seen.add(digest)
            with open(os.path.join(out, digest), "wb") as f:
                f.write(payload)
            count += 1
            if count >= MAX_PER_FILE:
                break
        if count:
            print(f"{count:4d} {os.path.relpath(path, src)}")
        total += count
    print(f"{total} seeds in {out}")


if __name__ == "__main__":
    main()
