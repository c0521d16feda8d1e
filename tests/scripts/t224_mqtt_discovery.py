#!/usr/bin/env python3
"""t224: Home Assistant discovery over MQTT, against a real mosquitto.

The demo is replayed with an mqtt: section (sensor_id t224) while a
client watches every topic; then the broker's retained messages are
read back.  Checked:
  - every config under homeassistant/device/ is valid JSON with what
    device discovery requires: dev (identifiers), o (name), cmps, each
    component with p and a unique_id, and its platform's keys (sensor:
    state_topic; event: state_topic and event_types, which are the
    scene names; button and switch: command_topic; device_tracker:
    state_topic); unique_ids are unique, hosts carry their MAC as a
    connection and come via the sensor's device;
  - availability: "online" while running, "offline" retained after;
    events are never retained;
  - a second run gives the same unique_ids on the same topics;
  - Home Assistant's birth message (homeassistant/status online)
    makes labwarden publish its configs again;
  - lowering max_hosts removes the hosts beyond it with empty retained
    payloads (config and states), and a later run that no longer knows
    a host clears it from the list a past run left in state_dir.

usage: t224_mqtt_discovery.py LABWARDEN PCAPS_DIR RULES_DIR
"""
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

from lwtest import check, finish, run, sanitizer_report
from mqttlite import Broker, Client, retained

PREFIX, ROOT = "homeassistant", "labwarden/t224"
SENSOR_CFG = f"{PREFIX}/device/labwarden_t224/config"
PLATFORM_NEEDS = {
    "sensor": ["state_topic"],
    "event": ["state_topic", "event_types"],
    "button": ["command_topic"],
    "switch": ["command_topic", "state_topic"],
    "device_tracker": ["state_topic"],
}


def write_config(path, port, pcaps, max_hosts):
    with open(path, "w") as f:
        f.write(f"inventory:\n  known_devices: {pcaps}/demo-known.txt\n"
                f"mqtt:\n  port: {port}\n  sensor_id: t224\n"
                f"  max_hosts: {max_hosts}\n  stats_interval: 1s\n"
                "  birth_delay: 0s\n  flush_timeout: 10s\n")


def configs(snap):
    return {t: p for t, p in snap.items()
            if t.startswith(PREFIX + "/device/") and t.endswith("/config")}


def scene_names(rules):
    names = []
    for path in sorted(glob.glob(os.path.join(rules, "*.yaml"))):
        with open(path) as f:
            names += re.findall(r"^- name: *([a-z0-9_-]+)", f.read(), re.M)
    return names


def check_component(topic, key, cmp, problems):
    p = cmp.get("p")
    if not isinstance(cmp.get("unique_id"), str):
        problems.append(f"{topic} {key}: no unique_id")
    for need in PLATFORM_NEEDS.get(p, [None]):
        if need is None:
            problems.append(f"{topic} {key}: unknown platform {p!r}")
        elif not cmp.get(need):
            problems.append(f"{topic} {key}: {p} without {need}")
    if p == "event" and not all(isinstance(t, str)
                                for t in cmp.get("event_types", [])):
        problems.append(f"{topic} {key}: event_types not strings")


def check_configs(cfgs, rules):
    """Every config valid; returns {topic: sorted unique_ids}."""
    problems, uids, by_topic = [], [], {}
    for topic, payload in sorted(cfgs.items()):
        try:
            doc = json.loads(payload)
        except ValueError as e:
            problems.append(f"{topic}: not JSON ({e})")
            continue
        dev, origin, cmps = doc.get("dev"), doc.get("o"), doc.get("cmps")
        if not (isinstance(dev, dict) and dev.get("identifiers")):
            problems.append(f"{topic}: no dev.identifiers")
        if not (isinstance(origin, dict) and origin.get("name")):
            problems.append(f"{topic}: no o.name (origin)")
        if not (isinstance(cmps, dict) and cmps):
            problems.append(f"{topic}: no cmps")
            continue
        if doc.get("availability_topic") != ROOT + "/status":
            problems.append(f"{topic}: availability_topic")
        for key, cmp in cmps.items():
            check_component(topic, key, cmp, problems)
        ids = sorted(c.get("unique_id", "") for c in cmps.values())
        uids += ids
        by_topic[topic] = ids
        m = re.search(r"labwarden_t224_([0-9a-f]{12})/config$", topic)
        if m:
            mac = ":".join(m.group(1)[i:i + 2] for i in range(0, 12, 2))
            if dev.get("connections") != [["mac", mac]]:
                problems.append(f"{topic}: connections {dev.get('connections')}")
            if dev.get("via_device") != "labwarden_t224":
                problems.append(f"{topic}: via_device")
    check(not problems, "every config is valid for Home Assistant's device "
          "discovery" + (f": {problems[:5]}" if problems else ""))
    check(len(uids) == len(set(uids)), f"{len(uids)} unique_ids, all "
          "different")
    sensor = json.loads(cfgs.get(SENSOR_CFG, b"{}"))
    types = sensor.get("cmps", {}).get("scene", {}).get("event_types")
    check(types is not None and sorted(types) == sorted(scene_names(rules)),
          f"the event entity's types are the scene names ({types})")
    return by_topic


def host_topics(cfgs):
    return {t for t in cfgs if t != SENSOR_CFG}


def one_arp_pcap(path, mac, ip, when=1763798400):
    """One ARP request from mac/ip: a capture that knows one host."""
    m = bytes.fromhex(mac.replace(":", ""))
    frame = (b"\xff" * 6 + m + b"\x08\x06" +
             struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, m,
                         bytes(map(int, ip.split("."))), b"\0" * 6,
                         bytes([192, 168, 1, 1])) + b"\0" * 18)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        f.write(struct.pack("<IIII", when, 0, len(frame), len(frame)) + frame)


def replay(lw, cfg, state, *pcaps, speed=None, wait=True):
    argv = [lw, "replay", "-c", cfg, "--state", state, "--emit", "none"]
    if speed:
        argv += ["--speed", str(speed)]
    argv += list(pcaps)
    if not wait:
        return subprocess.Popen(argv, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    res = run(argv)
    check(res.returncode == 0 and not sanitizer_report(res.stderr),
          f"replay exits 0, clean ({res.stderr.strip()[:300]})")
    return res


def test_birth(lw, cfg, state, demo, watch):
    """Run 1, paced so it lives long enough to get a birth message."""
    proc = replay(lw, cfg, state, demo, speed=100, wait=False)
    first = watch.wait(lambda m: m.topic == SENSOR_CFG, timeout=15)
    check(bool(first), "the sensor's config arrives while replaying")
    hosts = watch.wait(lambda m: "/device/labwarden_t224_" in m.topic,
                       timeout=10)
    time.sleep(0.5)
    mark = watch.mark()
    watch.publish(PREFIX + "/status", "online")
    again = watch.wait(lambda m: m.topic == SENSOR_CFG, since=mark,
                       timeout=5)
    hosts_again = watch.wait(lambda m: "/device/labwarden_t224_" in m.topic,
                             since=mark, timeout=5)
    check(bool(again) and bool(hosts_again) and bool(hosts),
          f"after homeassistant/status online the configs come again "
          f"({len(again)} sensor, {len(hosts_again)} host configs)")
    online = [m.text() for m in watch.on(ROOT + "/status")]
    out, err = proc.communicate(timeout=60)
    check(proc.returncode == 0 and not sanitizer_report(err),
          f"paced replay exits 0, clean ({err.strip()[:300]})")
    check("online" in online, "availability was online while running")


def main():
    lw, pcaps, rules = (os.path.abspath(a) for a in sys.argv[1:4])
    demo = os.path.join(pcaps, "demo.pcap")
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(tmp).start()
        try:
            watch = Client(broker.port, "t224-watch").connect()
            watch.subscribe("#")
            state = os.path.join(tmp, "state")
            os.mkdir(state)
            cfg = os.path.join(tmp, "lw.yaml")
            write_config(cfg, broker.port, pcaps, 20)

            test_birth(lw, cfg, state, demo, watch)
            snap1 = retained(broker.port)
            cfgs1 = configs(snap1)
            ids1 = check_configs(cfgs1, rules)
            hosts1 = host_topics(cfgs1)
            check(len(hosts1) == 12, f"the demo's 12 devices are hosts "
                  f"({len(hosts1)})")
            check(snap1.get(ROOT + "/status") == b"offline",
                  "availability is offline (retained) after the run")
            check(not any(t.startswith(ROOT + "/event") or
                          t.startswith(ROOT + "/scene") for t in snap1),
                  "events are never retained")
            check(watch.on(ROOT + "/event") and all(
                not m.retain for m in watch.on(ROOT + "/event")),
                  f"scene events were published "
                  f"({len(watch.on(ROOT + '/event'))})")
            states = [t for t in snap1 if "/host/" in t]
            check(len(states) == 3 * len(hosts1) and all(
                snap1[t] in (b"home", b"not_home")
                for t in states if t.endswith("/presence")),
                  f"each host has presence, attrs and quarantine states "
                  f"({len(states)})")

            replay(lw, cfg, state, demo)
            ids2 = check_configs(configs(retained(broker.port)), rules)
            check(ids1 == ids2, "a second run: the same unique_ids on the "
                  "same topics")

            write_config(cfg, broker.port, pcaps, 5)
            mark = watch.mark()
            replay(lw, cfg, state, demo)
            snap3 = retained(broker.port)
            hosts3 = host_topics(configs(snap3))
            gone = hosts1 - hosts3
            emptied = {m.topic for m in watch.where(
                lambda m: m.payload == b"", since=mark)}
            check(len(hosts3) == 5 and hosts3 <= hosts1,
                  f"max_hosts 5: five hosts stay ({len(hosts3)})")
            check(gone and gone <= emptied,
                  f"the {len(gone)} hosts beyond it got empty retained "
                  "configs")
            check(len([t for t in snap3 if "/host/" in t]) == 15,
                  "and their states are gone too")

            fresh = os.path.join(tmp, "fresh")
            os.mkdir(fresh)
            shutil.copy(os.path.join(state, "mqtt-retained.json"), fresh)
            one = os.path.join(tmp, "one.pcap")
            one_arp_pcap(one, "3c:22:fb:10:20:30", "192.168.1.20")
            mark = watch.mark()
            replay(lw, cfg, fresh, one)
            snap4 = retained(broker.port)
            hosts4 = host_topics(configs(snap4))
            emptied = {m.topic for m in watch.where(
                lambda m: m.payload == b"", since=mark)}
            check(hosts4 == {f"{PREFIX}/device/labwarden_t224_3c22fb102030/"
                             "config"},
                  f"a run that knows one host keeps only it ({hosts4})")
            check((hosts3 - hosts4) <= emptied,
                  "hosts the list from a past run names are cleared with "
                  "empty retained payloads")
            watch.close()
        finally:
            broker.stop()
    finish()


if __name__ == "__main__":
    main()
