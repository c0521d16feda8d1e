#!/usr/bin/env python3
"""t225: scene events reach MQTT in order, and nothing is lost when the
broker goes away.

A capture of 200 DNS queries, 30 ms apart, makes a one-scene rules file
fire 200 times.  It is replayed at its own pace (--speed 1) while a
client with a persistent session (QoS 1) watches <root>/event; the
broker is killed (kill -9) a little way in and started again two
seconds later.
Checked:
  - every event published is the same JSON text `-o` wrote, and all
    200 arrive: nothing lost;
  - in the order -o wrote them (first deliveries), with no more
    duplicates than the unacknowledged window (QoS 1 is at least once);
  - labwarden says it lost the broker and found it again;
  - the same when the broker first hangs for a second (SIGSTOP: events
    sent but not acknowledged) and then dies: those are sent again;
  - with the broker down for a whole run (--state), the replay ends
    after mqtt.flush_timeout with exit 1, saying the events are kept in
    the spool; the next run sends them, in order, and the spool file is
    empty again.

usage: t225_mqtt_events.py LABWARDEN
"""
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

from lwtest import check, finish, run, sanitizer_report
from mqttlite import Broker, Client

N = 200
TOPIC = "labwarden/t225/event"
WINDOW = 16     # LW_LINK_WINDOW

RULES = """- name: t225-query
  description: a query under t225.example
  on: dns_query
  when:
    qname: { glob: "*.t225.example" }
  actions:
    - notify: { message: "{qname}" }
"""


def checksum(data):
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


def dns_query(i):
    name = f"e{i:04d}.t225.example"
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    dns = struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + q + b"\0" + \
        struct.pack("!HH", 1, 1)
    udp = struct.pack("!HHHH", 40000 + i, 53, 8 + len(dns), 0) + dns
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17,
                     0, bytes([192, 168, 1, 20]), bytes([192, 168, 1, 1]))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return (bytes.fromhex("0242c0a80142") + bytes.fromhex("3c22fb102030") +
            b"\x08\x00" + ip + udp)


def arp_frame():
    mac = bytes.fromhex("3c22fb102030")
    return (b"\xff" * 6 + mac + b"\x08\x06" +
            struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac,
                        bytes([192, 168, 1, 20]), b"\0" * 6,
                        bytes([192, 168, 1, 1])) + b"\0" * 18)


def write_pcap(path, frames, start=1763798400, gap_us=30000):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            t = start * 1000000 + i * gap_us
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000,
                                len(frame), len(frame)) + frame)


def write_config(path, port, extra=""):
    with open(path, "w") as f:
        f.write(f"mqtt:\n  port: {port}\n  sensor_id: t225\n"
                "  stats_interval: 1s\n  reconnect_max: 2s\n" + extra)


def order_report(lines, got):
    """(all there, first deliveries in -o order, duplicates)."""
    index = {line: n for n, line in enumerate(lines)}
    seen, order, dups = set(), [], 0
    for payload in got:
        if payload in seen:
            dups += 1
            continue
        seen.add(payload)
        order.append(index.get(payload, -1))
    return seen == set(lines), order == sorted(order) and -1 not in order, \
        dups


def outage(lw, tmp, pcap, rules, broker, hang=False):
    """The broker dies mid-replay; with hang, it first stops answering
    for a second (events in flight, unacknowledged), then dies."""
    name = "hang" if hang else "kill"
    watch = Client(broker.port, "t225-watch-" + name, clean=False).connect()
    watch.subscribe(TOPIC)
    cfg = os.path.join(tmp, name + ".yaml")
    write_config(cfg, broker.port)
    out = os.path.join(tmp, name + ".jsonl")
    state = os.path.join(tmp, "state-" + name)
    os.mkdir(state)
    proc = subprocess.Popen([lw, "replay", "-c", cfg, "-r", rules, "--state",
                             state, "--speed", "1", "--emit", "scene", "-o",
                             out, pcap], stderr=subprocess.PIPE, text=True)
    watch.wait(lambda m: m.topic == TOPIC, count=40, timeout=20)
    if hang:
        time.sleep(1.1)         # the watcher's session autosaved
        broker.proc.send_signal(signal.SIGSTOP)
        time.sleep(1)
        broker.proc.send_signal(signal.SIGCONT)
    broker.stop(signal.SIGKILL)
    during = proc.poll() is None
    before = len(watch.on(TOPIC))
    time.sleep(2)
    broker.start()
    watch.reconnect()
    _, err = proc.communicate(timeout=120)
    check(during and 0 < before < N, f"{name}: the broker died mid-replay "
          f"(after {before} of {N} events)")
    check(proc.returncode == 0 and not sanitizer_report(err),
          f"{name}: the replay exits 0, clean ({err.strip()[-300:]})")
    check("lost the connection" in err and "again" in err,
          f"{name}: labwarden says it lost the broker and found it again")
    with open(out) as f:
        lines = f.read().splitlines()
    check(len(lines) == N, f"{name}: -o has the {N} scene events "
          f"({len(lines)})")
    watch.wait(lambda m: m.topic == TOPIC, count=N, timeout=20)
    got = [m.text() for m in watch.on(TOPIC)]
    complete, ordered, dups = order_report(lines, got)
    check(complete, f"{name}: every event arrived, as the JSON -o wrote "
          f"({len(set(got))} of {N})")
    check(ordered, f"{name}: in the order -o wrote them")
    check(dups <= WINDOW, f"{name}: {dups} duplicates, at most the "
          f"unacknowledged window ({WINDOW})")
    watch.close()


def spooled(lw, tmp, pcap, rules, broker):
    state = os.path.join(tmp, "state2")
    os.mkdir(state)
    cfg = os.path.join(tmp, "lw2.yaml")
    write_config(cfg, broker.port, "  flush_timeout: 1s\n")
    out = os.path.join(tmp, "events2.jsonl")
    broker.stop()
    res = run([lw, "replay", "-c", cfg, "-r", rules, "--state", state,
               "--emit", "scene", "-o", out, pcap])
    spool = os.path.join(state, "mqtt-spool")
    check(res.returncode == 1 and "kept in the spool" in res.stderr and
          os.path.getsize(spool) > 24,
          f"broker down: exit 1, events kept in the spool "
          f"({os.path.getsize(spool)} bytes; {res.stderr.strip()[-200:]})")
    broker.start()
    watch = Client(broker.port, "t225-later").connect()
    watch.subscribe(TOPIC)
    quiet = os.path.join(tmp, "quiet.pcap")
    write_pcap(quiet, [arp_frame()], start=1763799400)
    res = run([lw, "replay", "-c", cfg, "-r", rules, "--state", state,
               "--emit", "none", quiet])
    check(res.returncode == 0 and not sanitizer_report(res.stderr),
          f"the next run exits 0 ({res.stderr.strip()[-200:]})")
    watch.wait(lambda m: m.topic == TOPIC, count=N, timeout=10)
    with open(out) as f:
        lines = f.read().splitlines()
    complete, ordered, dups = order_report(lines, [m.text()
                                                   for m in watch.on(TOPIC)])
    check(complete and ordered and dups == 0,
          f"it sends the spooled events first, all {N}, in order")
    check(os.path.getsize(spool) == 24, "and the spool is empty again")
    watch.close()


def main():
    lw = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "queries.pcap")
        write_pcap(pcap, [dns_query(i) for i in range(N)])
        rules = os.path.join(tmp, "t225.yaml")
        with open(rules, "w") as f:
            f.write(RULES)
        broker = Broker(tmp, persistence=True).start()
        try:
            outage(lw, tmp, pcap, rules, broker)
            outage(lw, tmp, pcap, rules, broker, hang=True)
            spooled(lw, tmp, pcap, rules, broker)
        finally:
            broker.stop()
    finish()


if __name__ == "__main__":
    main()
