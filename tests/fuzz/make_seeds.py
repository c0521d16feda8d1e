#!/usr/bin/env python3
"""Build the fuzzer's seed corpus from captures under pcaps/public.

Each seed is one byte naming the link type (its index in fuzz_decode.c's
list) followed by one captured frame.  Run once; the seeds are committed.
usage: make_seeds.py PCAP_DIR OUT_DIR
"""
import hashlib
import os
import struct
import sys

# must match linktypes[] in fuzz_decode.c
LINKTYPES = [1, 113, 276, 101, 228, 229, 0, 108, 9, 50, 239, 258, 12, 14]
PER_FILE = 6


def classic_frames(blob):
    magic = blob[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return None, []
    link = struct.unpack(end + "I", blob[20:24])[0] & 0xffff
    off, frames = 24, []
    while off + 16 <= len(blob):
        incl = struct.unpack(end + "I", blob[off + 8:off + 12])[0]
        if incl > 65535 or off + 16 + incl > len(blob):
            break
        frames.append(blob[off + 16:off + 16 + incl])
        off += 16 + incl
    return link, frames


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for dirpath, _, names in sorted(os.walk(src)):
        for name in sorted(names):
            if not name.endswith(".pcap"):
                continue
            with open(os.path.join(dirpath, name), "rb") as f:
                link, frames = classic_frames(f.read())
            if link not in LINKTYPES or not frames:
                continue
            step = max(1, len(frames) // PER_FILE)
            for frame in frames[::step][:PER_FILE]:
                seed = bytes([LINKTYPES.index(link)]) + frame
                digest = hashlib.sha1(seed).hexdigest()[:16]
                with open(os.path.join(out, digest), "wb") as f:
                    f.write(seed)


if __name__ == "__main__":
    main()
