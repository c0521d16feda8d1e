#!/usr/bin/env python3
"""A quiet capture spanning eight days (Monday 2025-11-17 00:00 UTC to
the next Tuesday), one ARP exchange an hour, for the weekly
key-rotation schedule to fire on (Sunday 03:00 UTC) exactly once.

usage: make_capture.py OUT.pcap
"""
import struct
import sys

START = 1763337600           # 2025-11-17T00:00:00Z, a Monday


def arp(sender_mac, sender_ip, target_ip, op):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sender_mac,
                       bytes(sender_ip), b"\0" * 6, bytes(target_ip))
    dst = b"\xff" * 6
    return dst + sender_mac + b"\x08\x06" + body + b"\0" * 18


def main():
    host, gw = bytes.fromhex("3c22fb102030"), bytes.fromhex("001d7e000001")
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for hour in range(8 * 24 + 1):
            t = START + hour * 3600
            for dt, frame in ((0, arp(host, [192, 168, 1, 20],
                                      [192, 168, 1, 1], 1)),
                              (1, arp(gw, [192, 168, 1, 1],
                                      [192, 168, 1, 20], 2))):
                f.write(struct.pack("<IIII", t, dt * 1000, len(frame),
                                    len(frame)) + frame)


if __name__ == "__main__":
    main()
