#!/usr/bin/env python3
"""Make pcaps/spoof-flood.pcap: a gateway, a spoofer and 100 fake MACs.

Deterministic (fixed seed, fixed start 2025-11-22T09:00:00Z): the same
bytes every run.  Python 3 standard library only.  A classic
little-endian pcap (microseconds, linktype 1 Ethernet) of ARP only, on
192.168.214.0/24, two minutes long:

  0 s    the gateway 192.168.214.1 (00:1d:7e:d6:00:01) answers an ARP
         request from the laptop 192.168.214.20: both are new devices,
         and the default new-device scene wants to quarantine the
         gateway's MAC;
  5 s    a spoofer (00:1d:7e:d6:00:66) claims 192.168.214.1 with
         gratuitous ARP replies: a new device seen at the gateway's
         address, and a mac_ip_change of the gateway's address;
  10 s   100 spoofed MACs (random, universally administered, seeded),
         one a second, each asking for the gateway from its own address
         192.168.214.100-199: 100 new devices to quarantine.

t214 replays it with --act and actions.max_per_hour: 5: the gateway
and the spoofer at its address are refused as protected, five MACs are
quarantined and 95 refused for the cap, with one notify.

usage: make_spoof_flood.py [-o pcaps/spoof-flood.pcap]
"""
import argparse
import random
import struct

START = 1763802000              # 2025-11-22T09:00:00Z
SEED = 214
GW = ("00:1d:7e:d6:00:01", "192.168.214.1")
LAPTOP = ("3c:22:fb:d6:00:20", "192.168.214.20")
SPOOFER = ("00:1d:7e:d6:00:66", GW[1])
FAKES = 100


def mac(text):
    return bytes(int(b, 16) for b in text.split(":"))


def ip(text):
    return bytes(int(b) for b in text.split("."))


def arp(op, src_mac, src_ip, dst_mac, dst_ip):
    """An Ethernet frame with an ARP message, padded to 60 bytes."""
    eth_dst = b"\xff" * 6 if op == 1 else mac(dst_mac)
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, mac(src_mac),
                       ip(src_ip), mac(dst_mac), ip(dst_ip))
    frame = eth_dst + mac(src_mac) + b"\x08\x06" + body
    return frame + b"\0" * (60 - len(frame))


def fake_macs(rng):
    """Distinct random unicast, universally administered MACs."""
    seen = set()
    while len(seen) < FAKES:
        b = bytearray(rng.getrandbits(8) for _ in range(6))
        b[0] &= 0xfc            # unicast, globally unique bit pattern
        text = ":".join(f"{x:02x}" for x in b)
        if text not in (GW[0], LAPTOP[0], SPOOFER[0]):
            seen.add(text)
    return sorted(seen)


def packets():
    rng = random.Random(SEED)
    zero = "00:00:00:00:00:00"
    yield 0.0, arp(1, LAPTOP[0], LAPTOP[1], zero, GW[1])
    yield 0.001, arp(2, GW[0], GW[1], LAPTOP[0], LAPTOP[1])
    for k in range(3):          # gratuitous replies from the spoofer
        yield 5.0 + k, arp(2, SPOOFER[0], SPOOFER[1], "ff:ff:ff:ff:ff:ff",
                           SPOOFER[1])
    for i, m in enumerate(fake_macs(rng)):
        yield 10.0 + i, arp(1, m, f"192.168.214.{100 + i}", zero, GW[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", default="pcaps/spoof-flood.pcap")
    args = ap.parse_args()
    with open(args.o, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, frame in packets():
            sec = START + int(t)
            usec = int(round((t - int(t)) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
