#!/usr/bin/env python3
"""t210: DNS over TCP is reassembled, in order and bounded.

Builds a capture of DNS-over-TCP connections that take the stream apart
in every way the reassembly must survive, replays it and checks the
questions that come out:
  1. a query whose length prefix and message are split over three
     segments, and its answer;
  2. two queries pipelined in one segment;
  3. a 6000-byte answer (more than the 4 KB a stream buffers): its
     question still comes out, and the next message on the stream too;
  4. a segment out of order: the stream is dropped, no garbage parsed;
  5. a connection picked up without its SYN, at a message boundary.

usage: t210_dns_tcp.py LABWARDEN
"""
import json
import os
import struct
import sys
import tempfile

from lwtest import check, finish, run

CLIENT, SERVER = bytes([192, 168, 1, 20]), bytes([192, 168, 1, 1])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def name(text):
    return b"".join(bytes([len(l)]) + l.encode() for l in text.split(".")) \
        + b"\0"


def query(txid, qname):
    return struct.pack("!6H", txid, 0x0100, 1, 0, 0, 0) + name(qname) + \
        struct.pack("!HH", 1, 1)


def answer(txid, qname, txt_bytes=0):
    q = name(qname) + struct.pack("!HH", 16 if txt_bytes else 1, 1)
    if txt_bytes:
        rdata = b""
        while len(rdata) < txt_bytes:
            rdata += b"\xff" + b"x" * 255
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, len(rdata)) + rdata
    else:
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + SERVER
    return struct.pack("!6H", txid, 0x8180, 1, 1, 0, 0) + q + rr


def framed(msg):
    return struct.pack("!H", len(msg)) + msg


class Stream:
    """One TCP connection; seq numbers tracked per direction."""

    def __init__(self, out, sport, syn=True):
        self.out, self.sport = out, sport
        self.seq = {0: 1000, 1: 5000}
        if syn:
            self.seg(0, b"", 0x02)
            self.seg(1, b"", 0x12)
            self.seg(0, b"", 0x10)

    def seg(self, direction, payload, flags=0x18, seq=None):
        src, dst = (CLIENT, SERVER) if direction == 0 else (SERVER, CLIENT)
        sp, dp = (self.sport, 53) if direction == 0 else (53, self.sport)
        s = self.seq[direction] if seq is None else seq
        tcp = struct.pack("!HHIIBBHHH", sp, dp, s, 0, 0x50, flags, 65535,
                          0, 0) + payload
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                         64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth = (b"\x00\x1d\x7e\x00\x00\x01" + b"\x3c\x22\xfb\x10\x20\x30"
               if direction == 0 else
               b"\x3c\x22\xfb\x10\x20\x30" + b"\x00\x1d\x7e\x00\x00\x01")
        self.out.append(eth + b"\x08\x00" + ip + tcp)
        if seq is None:
            self.seq[direction] += len(payload) + (1 if flags & 0x03 else 0)


def build(path):
    frames = []
    a = Stream(frames, 40001)                  # 1: split over 3 segments
    data = framed(query(1, "split.example.com"))
    a.seg(0, data[:1])
    a.seg(0, data[1:10])
    a.seg(0, data[10:])
    a.seg(1, framed(answer(1, "split.example.com")))
    b = Stream(frames, 40002)                  # 2: two in one segment
    b.seg(0, framed(query(2, "one.example.com")) +
          framed(query(3, "two.example.com")))
    c = Stream(frames, 40003)                  # 3: oversized answer
    c.seg(0, framed(query(4, "big.example.com")))
    big = framed(answer(4, "big.example.com", txt_bytes=6000))
    for i in range(0, len(big), 1400):
        c.seg(1, big[i:i + 1400])
    c.seg(1, framed(answer(5, "after.example.com")))
    d = Stream(frames, 40004)                  # 4: out of order
    msg = framed(query(6, "gap.example.com"))
    d.seg(0, msg[8:], seq=d.seq[0] + 8)        # the second part first
    d.seg(0, msg[:8])
    e = Stream(frames, 40005, syn=False)       # 5: no SYN seen
    e.seg(0, framed(query(7, "late.example.com")))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1763798400, i * 1000, len(frame),
                                len(frame)) + frame)


def main():
    lw = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "dns-tcp.pcap")
        build(pcap)
        res = run([lw, "replay", "--emit", "dns_query,dns_response,stats",
                   pcap])
    check(res.returncode == 0, "replay exits 0")
    events = [json.loads(l) for l in res.stdout.splitlines()]
    got = [(e["type"], e["qname"], e["proto"]) for e in events
           if e["type"] != "stats"]
    want = [("dns_query", "split.example.com", "TCP"),
            ("dns_response", "split.example.com", "TCP"),
            ("dns_query", "one.example.com", "TCP"),
            ("dns_query", "two.example.com", "TCP"),
            ("dns_query", "big.example.com", "TCP"),
            ("dns_response", "big.example.com", "TCP"),
            ("dns_response", "after.example.com", "TCP"),
            ("dns_query", "late.example.com", "TCP")]
    for item in want:
        check(item in got, f"{item[0]} {item[1]}")
    check(not any(q[1].startswith("gap") for q in got),
          "an out-of-order stream is dropped, not guessed at")
    check(len(got) == len(want), f"nothing else parsed ({len(got)})")
    stats = events[-1]
    check(stats["dns_errors"] == {"truncated": 1},
          f"the cut 6000-byte answer is the only truncated message "
          f"({stats['dns_errors']})")
    finish()


if __name__ == "__main__":
    main()
