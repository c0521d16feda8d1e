#!/usr/bin/env python3
"""Make pcaps/demo.pcap: ten minutes of a home lab with trouble in it.

Deterministic (fixed seed, fixed start time 2025-11-22T08:00:00Z): the
same bytes every run.  Python 3 standard library only.  Writes a classic
little-endian pcap (microseconds, linktype 1 Ethernet).

Ordinary traffic from a laptop (DNS A/AAAA and HTTPS), a TV, a Home
Assistant box (mDNS), an LLM box pulling a model, ARP, IPv6 neighbour
and router discovery, and a host on VLAN 20; into it a new phone with a
randomized MAC, a chatty IP camera, an ARP spoofer, a DNS tunnel, a
host sweep, a port scan, a connection burst and a laptop looking up
names it never used.  pcaps/demo.md tells the story with times.
Lengths and IPv4/UDP/TCP/ICMPv6 checksums are right (tshark verifies
them).

usage: make_demo.py [-o pcaps/demo.pcap]
"""
import argparse
import random
import struct

START = 1763798400.0            # 2025-11-22T08:00:00Z
SEED = 20251122
GW = ("00:1d:7e:00:00:01", "192.168.1.1")       # Cisco-Linksys; gw + DNS
LAPTOP = ("3c:22:fb:10:20:30", "192.168.1.20")
TUNNEL = ("3c:22:fb:10:20:23", "192.168.1.23")  # the exfiltrating box
HA = ("b8:27:eb:aa:bb:10", "192.168.1.10")      # Raspberry Pi
TV = ("a8:23:fe:01:02:03", "192.168.1.15")      # LG
LLM = ("9c:6b:00:30:30:30", "192.168.1.30")
BURST = ("3c:22:fb:10:20:40", "192.168.1.40")
SPOOF = ("02:42:c0:a8:01:42", "192.168.1.66")   # attacker
PHONE = ("da:a1:19:5c:7e:01", "192.168.1.57")   # randomized MAC
PHONE_LATER = ("6e:0b:5d:21:44:02", "192.168.1.58")  # same phone, new MAC
CAMERA = ("c0:56:e3:7f:3a:01", "192.168.1.61")  # Hikvision OUI
VLAN_HOST = ("00:0c:29:20:20:20", "192.168.20.5")  # VMware guest, VLAN 20
RESOLVER = GW[1]
MDNS = ("01:00:5e:00:00:fb", "224.0.0.251")

# What the resolver answers for the usual names (A, AAAA; None: no AAAA).
ADDRESSES = {
    "github.com": ("140.82.121.4", None),
    "www.wikipedia.org": ("185.15.59.224", "2a02:ec80:300:ed1a::1"),
    "news.ycombinator.com": ("209.216.230.207", None),
    "fonts.googleapis.com": ("142.250.185.74", "2a00:1450:4001:80b::200a"),
    "www.debian.org": ("130.89.148.77", "2001:67c:2564:a119::77"),
    "nflxvideo.net": ("45.57.90.1", None),
    "version.home-assistant.io": ("104.26.4.10", None),
    "huggingface.co": ("18.244.20.41", None),
    "cdn-lfs.huggingface.co": ("18.244.20.62", None),
    "deb.debian.org": ("151.101.2.132", None),
}
# The IPv6 prefix the gateway announces (documentation prefix).
PREFIX6 = "2001:db8:1:1::"


def mac(text):
    return bytes(int(b, 16) for b in text.split(":"))


def ip4(text):
    return bytes(int(b) for b in text.split("."))


def ip6(text):
    head, _, tail = text.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    return struct.pack("!8H", *(h + [0] * (8 - len(h) - len(t)) + t))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class Pcap:
    def __init__(self):
        self.records = []

    def add(self, t, frame):
        self.records.append((t, len(self.records), frame))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, _, frame in sorted(self.records):
                us = round(t * 1e6)
                f.write(struct.pack("<IIII", us // 1000000, us % 1000000,
                                    len(frame), len(frame)) + frame)
        return len(self.records)


def ether(src, dst, etype, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan else b""
    return mac(dst) + mac(src) + tag + struct.pack("!H", etype)


def ipv4(src, dst, proto, payload, ident=0, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                      0x4000, ttl, proto, 0, ip4(src), ip4(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def l4_checksum(src, dst, proto, segment):
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(segment))
    return csum(pseudo + segment)


def udp(src, dst, sport, dport, payload, ttl=64):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_checksum(src, dst, 17, seg) or 0xffff
    return ipv4(src, dst, 17, seg[:6] + struct.pack("!H", c) + seg[8:],
                ttl=ttl)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags,
                      64240, 0, 0) + payload
    c = l4_checksum(src, dst, 6, seg)
    return ipv4(src, dst, 6, seg[:16] + struct.pack("!H", c) + seg[18:])


def frame(host, dst_host, l3, vlan=None):
    return ether(host[0], dst_host[0], 0x0800, vlan) + l3


def icmp6(src, dst, msg):
    """An IPv6 header (hop limit 255, as ND requires) and an ICMPv6
    message with its checksum filled in."""
    pseudo = src + dst + struct.pack("!I3xB", len(msg), 58)
    msg = msg[:2] + struct.pack("!H", csum(pseudo + msg)) + msg[4:]
    return struct.pack("!IHBB", 0x60000000, len(msg), 58, 255) + src + dst \
        + msg


# ---- DNS ----

def qname(name):
    return b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) \
        + b"\0"


TYPES = {"A": 1, "AAAA": 28, "TXT": 16, "PTR": 12}


def dns_query(txid, name, qtype):
    return struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0) + qname(name) \
        + struct.pack("!HH", TYPES[qtype], 1)


def dns_answer(txid, name, qtype, rdata):
    """The resolver's answer; rdata None is NOERROR without records."""
    q = qname(name) + struct.pack("!HH", TYPES[qtype], 1)
    if rdata is None:
        return struct.pack("!HHHHHH", txid, 0x8180, 1, 0, 0, 0) + q
    ans = b"\xc0\x0c" + struct.pack("!HHIH", TYPES[qtype], 1, 300,
                                     len(rdata)) + rdata
    return struct.pack("!HHHHHH", txid, 0x8180, 1, 1, 0, 0) + q + ans


class Demo:
    def __init__(self):
        self.pcap = Pcap()
        self.rng = random.Random(SEED)
        self.txid = 1000
        self.port = 40000

    def t(self, seconds):
        return START + seconds

    def next_port(self):
        self.port = self.port + 1 if self.port < 60000 else 40000
        return self.port

    def lookup(self, at, host, name, qtype="A", vlan=None):
        """A DNS query from host and the resolver's answer; returns the
        address answered (A and AAAA)."""
        self.txid += 1
        sport = self.next_port()
        gw = (GW[0], RESOLVER)
        self.pcap.add(self.t(at), frame(host, gw, udp(
            host[1], RESOLVER, sport, 53,
            dns_query(self.txid, name, qtype)), vlan))
        known = ADDRESSES.get(name)
        answer = None
        if qtype == "TXT":
            rdata = b"\x10" + self.rng.randbytes(8).hex().encode()
        elif qtype == "AAAA":
            if known:
                answer = known[1]
            else:
                answer = "2606:4700::" + self.rng.randbytes(2).hex()
            rdata = ip6(answer) if answer else None
        else:
            answer = known[0] if known else \
                f"104.16.{self.rng.randrange(256)}." \
                f"{self.rng.randrange(1, 255)}"
            rdata = ip4(answer)
        self.pcap.add(self.t(at + 0.012), frame(gw, host, udp(
            RESOLVER, host[1], 53, sport,
            dns_answer(self.txid, name, qtype, rdata)), vlan))
        return answer

    def session(self, at, host, server, dport=443, segments=4, size=1200,
                vlan=None, bursts=1, every=0.0):
        """A TCP connection with a handshake, data, and a FIN: the server
        sends segments of size bytes, bursts times every seconds."""
        gw = (GW[0], server)
        sport = self.next_port()
        cs, ss = self.rng.randrange(1 << 31), self.rng.randrange(1 << 31)
        add = self.pcap.add
        add(self.t(at), frame(host, gw, tcp(host[1], server, sport, dport,
                                            cs, 0, 0x02), vlan))
        add(self.t(at + 0.02), frame(gw, host, tcp(server, host[1], dport,
                                                   sport, ss, cs + 1, 0x12),
                                     vlan))
        add(self.t(at + 0.021), frame(host, gw, tcp(
            host[1], server, sport, dport, cs + 1, ss + 1, 0x10), vlan))
        at += 0.03
        for burst in range(bursts):
            if burst:
                at += every - segments * 0.01
            for _ in range(segments):
                data = bytes(self.rng.randrange(256) for _ in range(size))
                add(self.t(at), frame(gw, host, tcp(
                    server, host[1], dport, sport, ss + 1, cs + 1, 0x18,
                    data), vlan))
                ss += size
                add(self.t(at + 0.001), frame(host, gw, tcp(
                    host[1], server, sport, dport, cs + 1, ss + 1, 0x10),
                    vlan))
                at += 0.01
        add(self.t(at), frame(host, gw, tcp(host[1], server, sport, dport,
                                            cs + 1, ss + 1, 0x11), vlan))
        add(self.t(at + 0.02), frame(gw, host, tcp(
            server, host[1], dport, sport, ss + 1, cs + 2, 0x11), vlan))

    # ---- mDNS ----

    def mdns_query(self, at, host, name):
        msg = struct.pack("!HHHHHH", 0, 0, 1, 0, 0, 0) + qname(name) \
            + struct.pack("!HH", TYPES["PTR"], 1)
        self.pcap.add(self.t(at), frame(host, MDNS, udp(
            host[1], MDNS[1], 5353, 5353, msg, ttl=255)))

    def mdns_announce(self, at, host, service, instance):
        target = qname(f"{instance}.{service}")
        msg = struct.pack("!HHHHHH", 0, 0x8400, 0, 1, 0, 0) + qname(service) \
            + struct.pack("!HHIH", TYPES["PTR"], 1, 4500, len(target)) \
            + target
        self.pcap.add(self.t(at), frame(host, MDNS, udp(
            host[1], MDNS[1], 5353, 5353, msg, ttl=255)))

    # ---- ARP and IPv6 neighbour/router discovery ----

    def arp(self, at, sender, target_ip, op=1, target_mac=None, dst=None):
        body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op,
                           mac(sender[0]), ip4(sender[1]),
                           mac(target_mac or "00:00:00:00:00:00"),
                           ip4(target_ip))
        dst_mac = dst or ("ff:ff:ff:ff:ff:ff" if op == 1 else target_mac)
        self.pcap.add(self.t(at), ether(sender[0], dst_mac, 0x0806) + body
                      + b"\0" * 18)

    def ipv6_frame(self, at, host, dst_ip, dst_mac, msg):
        self.pcap.add(self.t(at), mac(dst_mac) + mac(host[0]) + b"\x86\xdd"
                      + icmp6(link_local(host[0]), dst_ip, msg))

    def ndp(self, at, host, icmp_type, target, dst_ip, dst_mac, router=False):
        """Neighbour solicitation (135) or advertisement (136)."""
        if icmp_type == 136:    # solicited, override, and router if one
            flags = 0xe0000000 if router else 0x60000000
        else:
            flags = 0
        opt = struct.pack("!BB", 1 if icmp_type == 135 else 2, 1) \
            + mac(host[0])
        msg = struct.pack("!BBHI", icmp_type, 0, 0, flags) + target + opt
        self.ipv6_frame(at, host, dst_ip, dst_mac, msg)

    def router_solicit(self, at, host):
        msg = struct.pack("!BBHI", 133, 0, 0, 0) + struct.pack("!BB", 1, 1) \
            + mac(host[0])
        self.ipv6_frame(at, host, ip6("ff02::2"), "33:33:00:00:00:02", msg)

    def router_advert(self, at):
        """The gateway announces itself and PREFIX6/64 (SLAAC)."""
        msg = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
        msg += struct.pack("!BB", 1, 1) + mac(GW[0])            # source LL
        msg += struct.pack("!BBHI", 5, 1, 0, 1500)               # MTU
        msg += struct.pack("!BBBBIII", 3, 4, 64, 0xc0, 86400, 14400, 0) \
            + ip6(PREFIX6)                                       # prefix
        self.ipv6_frame(at, GW, ip6("ff02::1"), "33:33:00:00:00:01", msg)

    # ---- DHCP ----

    def dhcp(self, at, client, msg_type, xid, hostname, extra=b"",
             yiaddr="0.0.0.0", from_server=False):
        opts = bytes([53, 1, msg_type])
        if not from_server:
            opts += bytes([61, 7, 1]) + mac(client[0])
            opts += bytes([12, len(hostname)]) + hostname.encode()
        opts += extra + b"\xff"
        body = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 2 if from_server
                           else 1, 1, 6, 0, xid, 0, 0, b"\0" * 4,
                           ip4(yiaddr), b"\0" * 4, b"\0" * 4,
                           mac(client[0]) + b"\0" * 10, b"", b"") \
            + bytes([99, 130, 83, 99]) + opts
        if from_server:
            l3 = udp(GW[1], "255.255.255.255", 67, 68, body)
            eth = ether(GW[0], "ff:ff:ff:ff:ff:ff", 0x0800)
        else:
            l3 = udp("0.0.0.0", "255.255.255.255", 68, 67, body)
            eth = ether(client[0], "ff:ff:ff:ff:ff:ff", 0x0800)
        self.pcap.add(self.t(at), eth + l3)

    def dhcp_exchange(self, at, client, hostname, params, vendor):
        xid = self.rng.randrange(1 << 32)
        ask = bytes([55, len(params)]) + bytes(params) + \
            bytes([60, len(vendor)]) + vendor.encode()
        want = bytes([50, 4]) + ip4(client[1])
        server = bytes([54, 4]) + ip4(GW[1]) + bytes([51, 4]) + \
            struct.pack("!I", 86400) + bytes([1, 4, 255, 255, 255, 0]) + \
            bytes([3, 4]) + ip4(GW[1]) + bytes([6, 4]) + ip4(GW[1])
        self.dhcp(at, client, 1, xid, hostname, ask)
        self.dhcp(at + 0.3, client, 2, xid, hostname, server,
                  yiaddr=client[1], from_server=True)
        self.dhcp(at + 1.0, client, 3, xid, hostname, ask + want + server[:6])
        self.dhcp(at + 1.2, client, 5, xid, hostname, server,
                  yiaddr=client[1], from_server=True)


def link_local(mac_text):
    m = bytearray(mac(mac_text))
    m[0] ^= 2
    return bytes.fromhex("fe80000000000000") + bytes(m[:3]) + b"\xff\xfe" \
        + bytes(m[3:])


def background(d):
    """Ordinary home traffic all along: what must stay quiet."""
    usual = ["github.com", "www.wikipedia.org", "news.ycombinator.com",
             "fonts.googleapis.com", "www.debian.org"]
    for minute in range(10):
        at = minute * 60 + 5
        # the laptop browses: A and AAAA, then HTTPS to the address
        for i, name in enumerate(usual):
            server = d.lookup(at + i * 7, LAPTOP, name)
            d.lookup(at + i * 7 + 0.002, LAPTOP, name, "AAAA")
            d.session(at + i * 7 + 0.1, LAPTOP, server, segments=3)
        # Home Assistant: mDNS browsing (the TV answers) and its cloud
        d.mdns_query(at + 11, HA, "_hap._tcp.local")
        d.mdns_query(at + 19, HA, "_googlecast._tcp.local")
        d.mdns_announce(at + 19.05, TV, "_googlecast._tcp.local",
                        "Living-Room-TV")
        server = d.lookup(at + 13, HA, "version.home-assistant.io")
        d.session(at + 13.2, HA, server, segments=2)
        # ARP for the gateway, answered
        d.arp(at + 20, LAPTOP, GW[1])
        d.arp(at + 20.001, GW, LAPTOP[1], op=2, target_mac=LAPTOP[0])
        # the VLAN 20 host updates its packages, all tagged
        server = d.lookup(at + 30, VLAN_HOST, "deb.debian.org", vlan=20)
        d.session(at + 30.1, VLAN_HOST, server, segments=2, vlan=20)
    # the TV streams all along: one long flow, a chunk every 15 s
    server = d.lookup(2, TV, "nflxvideo.net")
    d.session(2.2, TV, server, segments=5, size=1400, bursts=39, every=15)
    # the LLM box pulls a model: one big download
    server = d.lookup(40, LLM, "huggingface.co")
    d.session(40.1, LLM, server, segments=2)
    server = d.lookup(41, LLM, "cdn-lfs.huggingface.co")
    d.session(41.5, LLM, server, segments=250, size=1448)
    # IPv6: the gateway's periodic router advertisements; the laptop
    # solicits one, then resolves the gateway's link-local address
    for at in (0, 200, 400):
        d.router_advert(at)
    d.router_solicit(49.5, LAPTOP)
    d.router_advert(49.52)
    solicited = bytes.fromhex("ff0200000000000000000001ff000001")
    d.ndp(50, LAPTOP, 135, link_local(GW[0]), solicited, "33:33:ff:00:00:01")
    d.ndp(50.001, GW, 136, link_local(GW[0]), link_local(LAPTOP[0]),
          LAPTOP[0], router=True)


def trouble(d):
    """What the default scenes are there to catch."""
    # 01:00 a new phone with a randomized MAC joins over DHCP
    d.dhcp_exchange(60, PHONE, "Pixel-8", [1, 3, 6, 15, 26, 28, 51, 58, 59,
                                           43], "android-dhcp-14")
    d.lookup(63, PHONE, "connectivitycheck.gstatic.com")
    # 01:30 a cheap camera joins and phones home, again and again
    d.dhcp_exchange(90, CAMERA, "ipcam-7f3a", [1, 3, 6, 12, 15, 28, 42],
                    "udhcp 1.24.1")
    for i in range(24):
        d.lookup(95 + i * 15, CAMERA, "telemetry.hik-cloud-demo.com")
        d.lookup(96 + i * 15, CAMERA, "app-measurement.com")
    # 02:30 the spoofer claims the gateway's address (gratuitous replies)
    claim = (SPOOF[0], GW[1])   # the attacker's MAC, the gateway's IP
    for i in range(5):
        d.arp(150 + i * 2, claim, GW[1], op=2,
              target_mac="ff:ff:ff:ff:ff:ff", dst="ff:ff:ff:ff:ff:ff")
    # 03:00 a DNS tunnel: long high-entropy TXT names under one domain,
    # a 56-character base32 chunk in two labels and a sequence number
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    for i in range(150):
        chunk = "".join(d.rng.choice(alphabet) for _ in range(56))
        name = f"{chunk[:28]}.{chunk[28:]}.{i:04x}.t.exfil-demo.net"
        d.lookup(180 + i * 0.8, TUNNEL, name, "TXT")
    # 04:30 the attacker sweeps 40 addresses of the LAN for SSH
    for i in range(40):
        target = (f"02:00:00:00:01:{i:02x}", f"192.168.1.{100 + i}")
        d.pcap.add(d.t(270 + i * 0.2), frame(SPOOF, target, tcp(
            SPOOF[1], target[1], 61001, 22, d.rng.randrange(1 << 31), 0,
            0x02)))
    # 05:00 a SYN scan of Home Assistant: 200 distinct ports in 10 s;
    # closed ports answer RST/ACK, open ones SYN/ACK (and the scanner
    # resets those half-open connections, as nmap -sS does)
    open_ports = {22, 80, 8123}
    closed = d.rng.sample([p for p in range(1, 10000)
                           if p not in open_ports], 197)
    for i, port in enumerate(sorted(closed + sorted(open_ports))):
        at = 300 + i * 0.05
        seq = d.rng.randrange(1 << 31)
        d.pcap.add(d.t(at), frame(SPOOF, HA, tcp(SPOOF[1], HA[1], 61000,
                                                 port, seq, 0, 0x02)))
        if port in open_ports:
            iss = d.rng.randrange(1 << 31)
            d.pcap.add(d.t(at + 0.001), frame(HA, SPOOF, tcp(
                HA[1], SPOOF[1], port, 61000, iss, seq + 1, 0x12)))
            d.pcap.add(d.t(at + 0.0012), frame(SPOOF, HA, tcp(
                SPOOF[1], HA[1], 61000, port, seq + 1, 0, 0x04)))
        else:
            d.pcap.add(d.t(at + 0.001), frame(HA, SPOOF, tcp(
                HA[1], SPOOF[1], port, 61000, 0, seq + 1, 0x14)))
    # 07:00 a connection burst: 300 new outbound connections to 300
    # distinct public addresses in 30 s
    servers = []
    while len(servers) < 300:
        server = f"{d.rng.choice((23, 45, 91, 185))}." \
                 f"{d.rng.randrange(256)}.{d.rng.randrange(256)}." \
                 f"{d.rng.randrange(1, 255)}"
        if server not in servers:
            servers.append(server)
    for i, server in enumerate(servers):
        d.session(420 + i * 0.1, BURST, server, segments=1, size=200)
    # 08:00 the phone comes back with a new random MAC: same hostname
    # and DHCP fingerprint, so it is the same device, not a new one
    d.dhcp_exchange(480, PHONE_LATER, "Pixel-8", [1, 3, 6, 15, 26, 28, 51,
                                                  58, 59, 43],
                    "android-dhcp-14")
    d.lookup(483, PHONE_LATER, "connectivitycheck.gstatic.com")
    # 08:30 the laptop looks up names it never did before
    for i, name in enumerate(["ollama.com", "registry.ollama.ai",
                              "civitai.com", "lmstudio.ai"]):
        d.lookup(510 + i * 5, LAPTOP, name)
        d.lookup(510 + i * 5 + 0.002, LAPTOP, name, "AAAA")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default="pcaps/demo.pcap")
    args = ap.parse_args()
    d = Demo()
    background(d)
    trouble(d)
    count = d.pcap.write(args.output)
    print(f"{args.output}: {count} packets")


if __name__ == "__main__":
    main()
