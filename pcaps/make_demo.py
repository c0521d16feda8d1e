#!/usr/bin/env python3
"""Make pcaps/demo.pcap: ten minutes of a home lab with trouble in it.

Deterministic (fixed seed, fixed start time): the same bytes every run.
Ordinary traffic from a laptop, a TV, a Home Assistant box and an LLM
box, with IPv6 neighbour discovery and a host on VLAN 20; into it a new
phone with a randomized MAC, a chatty IP camera, an ARP spoofer, a DNS
tunnel, a port scan and a connection burst.  pcaps/demo.md tells the
story with times.  Checksums are correct (tshark verifies them).

usage: make_demo.py [-o pcaps/demo.pcap]
"""
import argparse
import random
import struct

START = 1763798400.0            # 2025-11-22T08:00:00Z
GW = ("00:1d:7e:00:00:01", "192.168.1.1")       # gateway and resolver
LAPTOP = ("3c:22:fb:10:20:30", "192.168.1.20")
TUNNEL = ("3c:22:fb:10:20:23", "192.168.1.23")  # the exfiltrating box
HA = ("b8:27:eb:aa:bb:10", "192.168.1.10")      # Raspberry Pi
TV = ("a8:23:fe:01:02:03", "192.168.1.15")
LLM = ("9c:6b:00:30:30:30", "192.168.1.30")
BURST = ("3c:22:fb:10:20:40", "192.168.1.40")
SPOOF = ("02:42:c0:a8:01:42", "192.168.1.66")   # attacker
PHONE = ("da:a1:19:5c:7e:01", "192.168.1.57")   # randomized MAC
PHONE_LATER = ("6e:0b:5d:21:44:02", "192.168.1.58")  # same phone, new MAC
CAMERA = ("c0:56:e3:7f:3a:01", "192.168.1.61")  # Hikvision OUI
VLAN_HOST = ("00:0c:29:20:20:20", "192.168.20.5")
RESOLVER = GW[1]


def mac(text):
    return bytes(int(b, 16) for b in text.split(":"))


def ip4(text):
    return bytes(int(b) for b in text.split("."))


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


def ipv4(src, dst, proto, payload, ident=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                      0x4000, 64, proto, 0, ip4(src), ip4(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def l4_checksum(src, dst, proto, segment):
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(segment))
    return csum(pseudo + segment)


def udp(src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_checksum(src, dst, 17, seg) or 0xffff
    return ipv4(src, dst, 17, seg[:6] + struct.pack("!H", c) + seg[8:])


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags,
                      64240, 0, 0) + payload
    c = l4_checksum(src, dst, 6, seg)
    return ipv4(src, dst, 6, seg[:16] + struct.pack("!H", c) + seg[18:])


def frame(host, dst_host, l3, vlan=None):
    return ether(host[0], dst_host[0], 0x0800, vlan) + l3


# ---- DNS ----

def qname(name):
    return b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) \
        + b"\0"


TYPES = {"A": 1, "AAAA": 28, "TXT": 16, "PTR": 12}


def dns_query(txid, name, qtype):
    return struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0) + qname(name) \
        + struct.pack("!HH", TYPES[qtype], 1)


def dns_answer(txid, name, qtype, rdata):
    q = qname(name) + struct.pack("!HH", TYPES[qtype], 1)
    ans = b"\xc0\x0c" + struct.pack("!HHIH", TYPES[qtype], 1, 300,
                                     len(rdata)) + rdata
    return struct.pack("!HHHHHH", txid, 0x8180, 1, 1, 0, 0) + q + ans


class Demo:
    def __init__(self):
        self.pcap = Pcap()
        self.rng = random.Random(20251122)
        self.txid = 1000
        self.port = 40000

    def t(self, seconds):
        return START + seconds

    def next_port(self):
        self.port = self.port + 1 if self.port < 60000 else 40000
        return self.port

    def lookup(self, at, host, name, qtype="A", answer=None, vlan=None):
        """A DNS query from host and the resolver's answer."""
        self.txid += 1
        sport = self.next_port()
        gw = (GW[0], RESOLVER)
        self.pcap.add(self.t(at), frame(host, gw, udp(
            host[1], RESOLVER, sport, 53,
            dns_query(self.txid, name, qtype)), vlan))
        if qtype == "TXT":
            rdata = b"\x10" + self.rng.randbytes(8).hex().encode()
        elif qtype == "AAAA":
            rdata = bytes.fromhex("2606470000000000") + self.rng.randbytes(8)
        else:
            rdata = ip4(answer or f"104.16.{self.rng.randrange(256)}."
                        f"{self.rng.randrange(1, 255)}")
        self.pcap.add(self.t(at + 0.012), frame(gw, host, udp(
            RESOLVER, host[1], 53, sport,
            dns_answer(self.txid, name, qtype, rdata)), vlan))

    def session(self, at, host, server, dport=443, segments=4, size=1200,
                vlan=None):
        """A TCP connection with a handshake, data, and a FIN."""
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
        for _ in range(segments):
            data = bytes(self.rng.randrange(256) for _ in range(size))
            add(self.t(at), frame(gw, host, tcp(server, host[1], dport, sport,
                                                ss + 1, cs + 1, 0x18, data),
                                  vlan))
            ss += size
            add(self.t(at + 0.001), frame(host, gw, tcp(
                host[1], server, sport, dport, cs + 1, ss + 1, 0x10), vlan))
            at += 0.01
        add(self.t(at), frame(host, gw, tcp(host[1], server, sport, dport,
                                            cs + 1, ss + 1, 0x11), vlan))
        add(self.t(at + 0.02), frame(gw, host, tcp(
            server, host[1], dport, sport, ss + 1, cs + 2, 0x11), vlan))

    # ---- ARP and IPv6 neighbour discovery ----

    def arp(self, at, sender, target_ip, op=1, target_mac=None, dst=None):
        body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op,
                           mac(sender[0]), ip4(sender[1]),
                           mac(target_mac or "00:00:00:00:00:00"),
                           ip4(target_ip))
        dst_mac = dst or ("ff:ff:ff:ff:ff:ff" if op == 1 else target_mac)
        self.pcap.add(self.t(at), ether(sender[0], dst_mac, 0x0806) + body
                      + b"\0" * 18)

    def ndp(self, at, host, icmp_type, target, dst_ip, dst_mac):
        src = link_local(host[0])
        body = struct.pack("!I", 0x60000000 if icmp_type == 136 else 0)
        body += target + struct.pack("!BB", 1 if icmp_type == 135 else 2, 1) \
            + mac(host[0])
        msg = struct.pack("!BBH", icmp_type, 0, 0) + body
        pseudo = src + dst_ip + struct.pack("!I3xB", len(msg), 58)
        msg = msg[:2] + struct.pack("!H", csum(pseudo + msg)) + msg[4:]
        ip6 = struct.pack("!IHBB", 0x60000000, len(msg), 58, 255) + src + dst_ip
        self.pcap.add(self.t(at), mac(dst_mac) + mac(host[0])
                      + b"\x86\xdd" + ip6 + msg)

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
        for i, name in enumerate(usual):
            d.lookup(at + i * 7, LAPTOP, name)
            d.session(at + i * 7 + 0.1, LAPTOP,
                      f"140.82.{112 + i}.{10 + minute}", segments=3)
        # the TV streams in long flows
        d.lookup(at + 2, TV, "nflxvideo.net")
        d.session(at + 2.2, TV, "45.57.90.1", segments=30, size=1400)
        # Home Assistant: mDNS and its cloud
        d.pcap.add(d.t(at + 11), frame(HA, ("01:00:5e:00:00:fb", ""), udp(
            HA[1], "224.0.0.251", 5353, 5353,
            struct.pack("!HHHHHH", 0, 0, 1, 0, 0, 0)
            + qname("_hap._tcp.local") + struct.pack("!HH", 12, 1))))
        d.lookup(at + 13, HA, "version.home-assistant.io")
        d.session(at + 13.2, HA, "104.26.4.10", segments=2)
        # ARP for the gateway, answered
        d.arp(at + 20, LAPTOP, GW[1])
        d.arp(at + 20.001, GW, LAPTOP[1], op=2, target_mac=LAPTOP[0])
        # the VLAN 20 host talks to its own DNS
        d.lookup(at + 30, VLAN_HOST, "deb.debian.org", vlan=20)
    # the LLM box pulls a model: one big download
    d.lookup(40, LLM, "huggingface.co")
    d.lookup(41, LLM, "cdn-lfs.huggingface.co")
    d.session(41.5, LLM, "18.244.20.62", segments=250, size=1448)
    # IPv6 neighbour discovery between the laptop and the gateway
    all_nodes = bytes.fromhex("ff0200000000000000000001ff000001")
    d.ndp(50, LAPTOP, 135, link_local(GW[0]), all_nodes, "33:33:ff:00:00:01")
    d.ndp(50.001, GW, 136, link_local(GW[0]), link_local(LAPTOP[0]),
          LAPTOP[0])


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
    # 03:00 a DNS tunnel: long high-entropy TXT names under one domain
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    for i in range(150):
        chunk = "".join(d.rng.choice(alphabet) for _ in range(56))
        name = f"{chunk[:28]}.{chunk[28:]}.{i:04x}.t.exfil-demo.net"
        d.lookup(180 + i * 0.8, TUNNEL, name, "TXT")
    # 05:00 a SYN scan of Home Assistant from the spoofer
    open_ports = {22, 80, 8123}
    ports = sorted(d.rng.sample(range(1, 10000), 197) + sorted(open_ports))
    for i, port in enumerate(ports):
        at = 300 + i * 0.05
        seq = d.rng.randrange(1 << 31)
        d.pcap.add(d.t(at), frame(SPOOF, HA, tcp(SPOOF[1], HA[1], 61000,
                                                 port, seq, 0, 0x02)))
        reply = 0x12 if port in open_ports else 0x14
        d.pcap.add(d.t(at + 0.001), frame(HA, SPOOF, tcp(
            HA[1], SPOOF[1], port, 61000, 0 if reply == 0x14 else 7,
            seq + 1, reply)))
    # 04:30 the same attacker sweeps 40 addresses of the LAN for SSH
    for i in range(40):
        target = (f"02:00:00:00:01:{i:02x}", f"192.168.1.{100 + i}")
        d.pcap.add(d.t(270 + i * 0.2), frame(SPOOF, target, tcp(
            SPOOF[1], target[1], 61001, 22, d.rng.randrange(1 << 31), 0,
            0x02)))
    # 07:00 a connection burst: 300 new outbound connections in 30 s
    for i in range(300):
        server = f"{d.rng.choice((23, 45, 91, 185))}.{d.rng.randrange(256)}." \
                 f"{d.rng.randrange(256)}.{d.rng.randrange(1, 255)}"
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
