#!/usr/bin/env python3
"""t230: `labwarden run` reading an NFLOG group sees the flows a firewall
rule logs, with the rule's prefix, and reports NFLOG drops exactly.

First, without root: a replay of tcpdump's public NFLOG capture gives
the sender MAC and group that tshark reads from the same frames.

Then two network namespaces joined by a veth pair: "fw" (10.230.0.1,
fd30::1) holds an nft input chain with `log group 230 prefix "lw-test"`
for new connections and `log group 231 prefix "lw-other"` for port 9999;
labwarden runs in "fw" reading group 230 as user nobody.  From "cl"
(10.230.0.2, fd30::2) come TCP connections (IPv4 and IPv6), UDP flows
and a ping.  Checked:
  - every TCP and UDP flow is a conn_start with nflog_prefix "lw-test",
    the client's address and MAC (from the NFLOG hardware header);
  - the ping is a packet event with the prefix and group 230;
  - nothing of group 231 (port 9999) is seen;
  - a second labwarden cannot bind group 230: exit 1, the group named;
  - with labwarden stopped (SIGSTOP) while 40,000 logged packets arrive,
    the socket overruns; after SIGCONT, the packets read plus the
    packets counted lost (sequence gaps) are exactly the packets sent,
    in --stats and in the stats event.
Needs root, iproute2 and nft; exits 77 (skipped) without them.

usage: t230_nflog.py LABWARDEN PCAPS_DIR
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from lwtest import check, finish, json_lines, run
from lwnet import VethPair, skip_unless_netns

FW, CL = "lw-t230-fw", "lw-t230-cl"
FLOOD = 40000

NFT_RULES = """
table inet lwt230 {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 9999 log group 231 prefix "lw-other" accept
    udp dport 6000 log group 230 prefix "lw-flood" accept
    ct state new log group 230 prefix "lw-test"
  }
}
"""

# Run in "cl": TCP to six ports (two over IPv6), UDP from three sockets,
# one connection to the port of the other group.  Nothing listens; the
# SYNs are logged on the way in all the same.
CLIENT = r"""
import socket
def tcp(family, addr, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect((addr, port))
    except OSError:
        pass
    s.close()
for port in range(7001, 7005):
    tcp(socket.AF_INET, "10.230.0.1", port)
for port in (7005, 7006):
    tcp(socket.AF_INET6, "fd30::1", port)
tcp(socket.AF_INET, "10.230.0.1", 9999)
for port in (5001, 5002, 5003):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"hello", ("10.230.0.1", port))
    u.close()
"""

FLOODER = r"""
import socket, sys
n = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    u.sendto(i.to_bytes(4, "big"), ("10.230.0.1", 6000))
"""


def replay_public(lw, pcaps):
    """The decoder on a public NFLOG capture agrees with tshark."""
    path = os.path.join(pcaps, "public", "tcpdump", "nflog.pcap")
    if not shutil.which("tshark") or not os.path.exists(path):
        check(False, "tshark and tcpdump/nflog.pcap are there")
        return
    res = run([lw, "replay", "--emit", "packet", path])
    events = json_lines(res.stdout, "replay nflog.pcap")
    # tshark names no field for the hardware address and header; their
    # raw values are the 12-byte NFULA_HWADDR and the 14-byte header
    ts = run(["tshark", "-r", path, "-T", "fields", "-E", "aggregator=|",
              "-e", "nflog.tlv_value", "-e", "nflog.res_id"])
    want = []
    for line in ts.stdout.splitlines():
        values, group = line.split("\t")
        hw = [v for v in values.split("|") if len(v) == 24]
        hdr = [v for v in values.split("|") if len(v) == 28]
        src = hw[0][8:20] if hw else None
        dst = hdr[0][0:12] if hdr else None
        want.append(tuple(":".join(x[i:i + 2] for i in range(0, 12, 2))
                          if x else None for x in (src, dst)) +
                    (int(group),))
    got = [(ev.get("src_mac"), ev.get("dest_mac"), ev.get("nflog_group"))
           for ev in events]
    check(res.returncode == 0 and got == want and len(got) == 4,
          f"replay of tcpdump/nflog.pcap: MACs and group as tshark reads "
          f"them ({got[:1]} ...)")


def start(fw, lw, cfg, out, err, *extra):
    return fw.popen_in(0, [lw, "run", "-c", cfg, "--user", "nobody", "-o",
                           out, "--emit", "conn_start,packet,stats",
                           "--stats", *extra], stderr=err)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=10)


def check_flows(events, client_mac):
    conns = [e for e in events if e["type"] == "conn_start" and
             e.get("dest_port") != 6000]
    flood_conn = [e for e in events if e["type"] == "conn_start" and
                  e.get("dest_port") == 6000]
    check(len(flood_conn) >= 1 and
          all(e.get("nflog_prefix") == "lw-flood" for e in flood_conn),
          "the flood's flow carries the flood rule's prefix lw-flood")
    tcp = sorted(e["dest_port"] for e in conns if e["proto"] == "TCP")
    udp = sorted(e["dest_port"] for e in conns if e["proto"] == "UDP")
    check(tcp == list(range(7001, 7007)),
          f"six TCP connections, IPv4 and IPv6, seen ({tcp})")
    check(udp == [5001, 5002, 5003], f"three UDP flows seen ({udp})")
    check(all(e.get("nflog_prefix") == "lw-test" for e in conns),
          "every conn_start carries nflog_prefix lw-test")
    check(all(e.get("src_mac") == client_mac for e in conns),
          f"every conn_start has the client's MAC {client_mac} from the "
          f"NFLOG hardware header")
    srcs = {e["src_ip"] for e in conns}
    check(srcs == {"10.230.0.2", "fd30::2"},
          f"the client's addresses ({sorted(srcs)})")
    pings = [e for e in events if e["type"] == "packet" and
             e.get("icmp_type") == 8]
    check(len(pings) == 1 and pings[0].get("nflog_prefix") == "lw-test"
          and pings[0].get("nflog_group") == 230 and
          pings[0].get("link") == "NFLOG",
          "the ping is a packet event with prefix lw-test, group 230")
    check(not any(e.get("dest_port") == 9999 for e in events),
          "nothing from group 231 (port 9999)")


def check_second_binder(fw, lw, cfg):
    res = fw.run_in(0, lw, "run", "-c", cfg, "--user", "nobody",
                    check_rc=False, timeout=20)
    check(res.returncode == 1 and "nflog group 230: cannot bind" in
          res.stderr,
          f"a second labwarden cannot bind group 230: exit "
          f"{res.returncode}, {res.stderr.strip()[:100]!r}")


def flood(fw, proc):
    """Stop labwarden, send FLOOD logged packets, let it go again."""
    proc.send_signal(signal.SIGSTOP)
    fw.run_in(1, sys.executable, "-c", FLOODER, str(FLOOD))
    time.sleep(0.3)
    proc.send_signal(signal.SIGCONT)
    time.sleep(1.0)
    # one more after the overrun, so a loss at the end is a gap too
    fw.run_in(1, sys.executable, "-c", FLOODER, "1")
    time.sleep(0.5)


def check_drops(events, stderr):
    sent = FLOOD + 1
    flood_pkts = [e for e in events if e["type"] == "packet" and
                  e.get("nflog_prefix") == "lw-flood"]
    stats = [e for e in events if e["type"] == "stats"]
    src = stats[-1]["sources"][0] if stats else {}
    m = re.search(r"source nflog:230: (\d+) received, (\d+) lost "
                  r"\(sequence gaps\), (\d+) socket overruns", stderr)
    check(m is not None, "--stats has a line for nflog:230")
    received, lost, overruns = (int(x) for x in m.groups()) if m else \
        (0, 0, 0)
    others = received - len(flood_pkts)
    check(overruns > 0 and lost > 0,
          f"the stopped reader overran the socket: {overruns} overruns, "
          f"{lost} packets lost")
    check(len(flood_pkts) + lost == sent,
          f"packets read ({len(flood_pkts)}) + lost ({lost}) == sent "
          f"({sent}); {others} others")
    check(src.get("kind") == "nflog" and src.get("dropped") == lost and
          src.get("overruns") == overruns and
          stats[-1].get("dropped") == lost,
          f"the stats event reports the same drops ({src})")


def main():
    lw, pcaps = (os.path.abspath(a) for a in sys.argv[1:3])
    replay_public(lw, pcaps)
    skip_unless_netns(FW, tools=("nft",))
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)        # nobody reads the rules after the drop
        cfg = os.path.join(tmp, "run.yaml")
        with open(cfg, "w") as f:
            f.write("sources:\n  - nflog: 230\n    buffer_mb: 1\n"
                    "stats_interval: 0s\n")
        out = os.path.join(tmp, "events.jsonl")
        errpath = os.path.join(tmp, "err")
        pair = VethPair(FW, CL, "l230a", "l230b",
                        [("10.230.0.1/24", "10.230.0.2/24"),
                         ("fd30::1/64", "fd30::2/64")])
        with pair as fw:
            subprocess.run(["ip", "netns", "exec", FW, "nft", "-f", "-"],
                           input=NFT_RULES, text=True, check=True)
            client_mac = fw.mac(1)
            with open(errpath, "w") as err:
                proc = start(fw, lw, cfg, out, err)
                time.sleep(1.0)
                fw.run_in(1, sys.executable, "-c", CLIENT)
                fw.run_in(1, "ping", "-c", "1", "-W", "1", "10.230.0.1",
                          check_rc=False)
                time.sleep(0.5)
                check_second_binder(fw, lw, cfg)
                flood(fw, proc)
                rc = stop(proc)
            with open(errpath) as f:
                stderr = f.read()
        check(rc == 0, f"labwarden run exits 0 ({rc}): {stderr[-300:]!r}")
        with open(out) as f:
            events = json_lines(f.read(), "events")
        check_flows(events, client_mac)
        check_drops(events, stderr)
    finish()


if __name__ == "__main__":
    main()
