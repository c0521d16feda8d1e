#!/usr/bin/env python3
"""Generate the benchmark capture: home-lab traffic, deterministic.

A classic pcap (microseconds, Ethernet) of N packets (default 1,000,000)
spread over about an hour: twenty hosts in 192.168.1.0/24 behind a
gateway, mostly TCP (handshakes, data segments of realistic sizes, ACKs,
FINs), DNS queries and answers, ARP, some IPv6 and some VLAN-tagged
frames.  The same arguments always give the same bytes.

usage: gen_bench.py [-o FILE] [--packets N] [--seed S]
"""
import argparse
import random
import struct

GW_MAC = bytes.fromhex("001122334401")
HOSTS = 20
DOMAINS = ["github.com", "huggingface.co", "pypi.org", "debian.org",
           "api.openai.com", "cdn.jsdelivr.net", "youtube.com",
           "netflix.com", "home-assistant.io", "ollama.com",
           "registry-1.docker.io", "time.cloudflare.com"]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def host_mac(i):
    return bytes([0x3c, 0x22, 0xfb, 0, 0, 10 + i])


def host_ip(i):
    return bytes([192, 168, 1, 10 + i])


def eth(dst, src, etype, vlan=None):
    if vlan is not None:
        return dst + src + struct.pack("!HHH", 0x8100, vlan, etype)
    return dst + src + struct.pack("!H", etype)


def ipv4(src, dst, proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0,
                      0x4000, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64,
                       src, dst) + payload


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags,
                       65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(txid, name, qtype):
    return struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0) + \
        dns_name(name) + struct.pack("!HH", qtype, 1)


def dns_answer(txid, name, qtype, rng):
    q = dns_name(name) + struct.pack("!HH", qtype, 1)
    if qtype == 1:
        rdata = bytes([104, 16, rng.randrange(256), rng.randrange(256)])
    else:
        rdata = bytes.fromhex("2606470000000000") + rng.randbytes(8)
    ans = b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 300, len(rdata)) + rdata
    return struct.pack("!HHHHHH", txid, 0x8180, 1, 1, 0, 0) + q + ans


class Writer:
    def __init__(self, f):
        self.f = f
        self.count = 0
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))

    def put(self, t_us, frame):
        self.f.write(struct.pack("<IIII", t_us // 1000000, t_us % 1000000,
                                 len(frame), len(frame)) + frame)
        self.count += 1


def outside_ip(rng):
    return bytes([rng.choice((13, 34, 52, 104, 140, 151, 185)),
                  rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)])


def flow(w, rng, t, n_data):
    """One TCP connection: handshake, data with ACKs, FIN; returns t."""
    h = rng.randrange(HOSTS)
    mac, ip = host_mac(h), host_ip(h)
    server = outside_ip(rng)
    sport, dport = rng.randrange(32768, 61000), rng.choice((443, 443, 80, 22))
    vlan = 20 if h >= 17 else None
    up = eth(GW_MAC, mac, 0x0800, vlan)
    down = eth(mac, GW_MAC, 0x0800, vlan)
    cs, ss = rng.randrange(1 << 32), rng.randrange(1 << 32)
    step = rng.randrange(200, 3000)
    w.put(t, up + ipv4(ip, server, 6, tcp(sport, dport, cs, 0, 0x02)))
    t += step
    w.put(t, down + ipv4(server, ip, 6, tcp(dport, sport, ss, cs + 1, 0x12)))
    t += step
    w.put(t, up + ipv4(ip, server, 6, tcp(sport, dport, cs + 1, ss + 1, 0x10)))
    for _ in range(n_data):
        t += rng.randrange(20, 400)
        size = rng.choice((1448, 1448, 1448, 512, 96))
        seg = tcp(dport, sport, ss + 1, cs + 1, 0x18, PAYLOADS[size])
        w.put(t, down + ipv4(server, ip, 6, seg))
        ss += size
        if rng.random() < 0.5:
            t += rng.randrange(20, 200)
            w.put(t, up + ipv4(ip, server, 6,
                               tcp(sport, dport, cs + 1, ss + 1, 0x10)))
    t += step
    w.put(t, up + ipv4(ip, server, 6, tcp(sport, dport, cs + 1, ss + 1, 0x11)))
    return t


def dns_exchange(w, rng, t):
    h = rng.randrange(HOSTS)
    name = rng.choice(DOMAINS)
    if rng.random() < 0.3:
        name = f"x{rng.randrange(10000)}." + name
    qtype = rng.choice((1, 1, 28))
    txid, sport = rng.randrange(65536), rng.randrange(32768, 61000)
    gw_ip = bytes([192, 168, 1, 1])
    w.put(t, eth(GW_MAC, host_mac(h), 0x0800) + ipv4(
        host_ip(h), gw_ip, 17, udp(sport, 53, dns_query(txid, name, qtype))))
    t += rng.randrange(500, 20000)
    w.put(t, eth(host_mac(h), GW_MAC, 0x0800) + ipv4(
        gw_ip, host_ip(h), 17, udp(53, sport,
                                   dns_answer(txid, name, qtype, rng))))
    return t


def arp_exchange(w, rng, t):
    h = rng.randrange(HOSTS)
    req = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, host_mac(h),
                      host_ip(h), b"\0" * 6, bytes([192, 168, 1, 1]))
    w.put(t, eth(b"\xff" * 6, host_mac(h), 0x0806) + req + b"\0" * 18)
    rep = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, GW_MAC,
                      bytes([192, 168, 1, 1]), host_mac(h), host_ip(h))
    w.put(t + 150, eth(host_mac(h), GW_MAC, 0x0806) + rep + b"\0" * 18)
    return t + 150


def ipv6_flow(w, rng, t):
    h = rng.randrange(HOSTS)
    src = bytes.fromhex("20010db8000000010000000000000000")[:15] + bytes([h])
    dst = bytes.fromhex("2606470000000000") + rng.randbytes(8)
    sport = rng.randrange(32768, 61000)
    frame = eth(GW_MAC, host_mac(h), 0x86dd)
    for i in range(6):
        flags = 0x02 if i == 0 else 0x18
        w.put(t, frame + ipv6(src, dst, 6, tcp(sport, 443, i * 1000, 0, flags,
                                                  PAYLOADS[512] if i else b"")))
        t += rng.randrange(100, 2000)
    return t


PAYLOADS = {n: bytes((i * 7) & 0xff for i in range(n))
            for n in (1448, 512, 96)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default="home-lab-1m.pcap")
    ap.add_argument("--packets", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=20261122)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t = 1763798400 * 1000000        # 2025-11-22T08:00:00Z
    # about an hour in all, whatever the packet count
    gap = max(1, 3600 * 1000000 // max(args.packets, 1) * 20)
    with open(args.output, "wb") as f:
        w = Writer(f)
        while w.count < args.packets:
            r = rng.random()
            if r < 0.45:
                t = flow(w, rng, t, rng.randrange(2, 30))
            elif r < 0.90:
                t = dns_exchange(w, rng, t)
            elif r < 0.96:
                t = arp_exchange(w, rng, t)
            else:
                t = ipv6_flow(w, rng, t)
            t += rng.randrange(1, gap)
    print(f"{args.output}: {w.count} packets")


if __name__ == "__main__":
    main()
