#!/usr/bin/env python3
"""Seeds for the DNS and DHCP fuzzers: UDP payloads on ports 53, 5353,
5355 (DNS) and 67/68 (DHCP) from the classic pcaps under pcaps/public.
Run once; the seeds are committed.
usage: make_app_seeds.py PCAP_DIR OUT_DNS OUT_DHCP
"""
import hashlib
import os
import struct
import sys

MAX_PER_DIR = 60


def frames(blob):
    magic = blob[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else \
        ">" if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d") else None
    if not end or struct.unpack(end + "I", blob[20:24])[0] != 1:
        return
    off = 24
    while off + 16 <= len(blob):
        incl = struct.unpack(end + "I", blob[off + 8:off + 12])[0]
        if incl > 65535 or off + 16 + incl > len(blob):
            return
        yield blob[off + 16:off + 16 + incl]
        off += 16 + incl


def udp_payload(frame):
    off, etype = 14, frame[12:14]
    while etype in (b"\x81\x00", b"\x88\xa8") and len(frame) >= off + 4:
        etype, off = frame[off + 2:off + 4], off + 4
    if etype == b"\x08\x00" and len(frame) >= off + 20:
        ihl = (frame[off] & 15) * 4
        if frame[off + 9] != 17:
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
    sport, dport = struct.unpack(">HH", frame[off:off + 4])
    return sport, dport, frame[off + 8:]


def main():
    src, out_dns, out_dhcp = sys.argv[1:4]
    counts = {out_dns: 0, out_dhcp: 0}
    for d in (out_dns, out_dhcp):
        os.makedirs(d, exist_ok=True)
    for dirpath, _, names in sorted(os.walk(src)):
        for name in sorted(names):
            if not name.endswith(".pcap"):
                continue
            with open(os.path.join(dirpath, name), "rb") as f:
                blob = f.read()
            for frame in frames(blob):
                got = udp_payload(frame)
                if not got:
                    continue
                sport, dport, payload = got
                ports = {sport, dport}
                out = out_dns if ports & {53, 5353, 5355} else \
                    out_dhcp if ports & {67, 68} else None
                if not out or counts[out] >= MAX_PER_DIR * 4:
                    continue
                digest = hashlib.sha1(payload).hexdigest()[:16]
                path = os.path.join(out, digest)
                if not os.path.exists(path):
                    counts[out] += 1
                    with open(path, "wb") as f:
                        f.write(payload)
    print(counts)


if __name__ == "__main__":
    main()
