#!/usr/bin/env python3
"""t227: commands from Home Assistant over MQTT change the nft sets.

In a network namespace (lw-t227) with its own mosquitto on 127.0.0.1,
`labwarden run` captures on a quiet veth (l227a) with the demo's devices
in its inventory (from a replay with --state) and the nft backend.
Checked, each on <root>/result and in the nft sets:
  - a lockdown left retained on the broker before the start is refused
    as retained, never carried out, and taken off the broker;
  - {"action":"lockdown"} on <root>/cmd puts the address in lockdown4
    for mqtt.lockdown_for; {"action":"release"} takes it out;
  - a host's "lock down" button locks its address down; its
    "quarantined" switch puts its MAC in quarantine_mac and the switch's
    state follows (ON, then OFF), as does the stats sensor;
  - the protected gateway is refused, through <root>/cmd and its button;
  - malformed JSON, unknown keys and commands, a bad target, binary
    bytes: an error on the result topic each, and labwarden goes on;
  - the pause switch's state follows; release all empties the sets;
  - a key's rotate button rotates it through the key rotator (the file
    store changes, a key_rotation event with origin mqtt follows; all
    keys at once right after is refused) and the key is in no message;
  - -o holds the action events with origin "mqtt"; SIGTERM ends it
    cleanly (no sanitizer report).
Needs root and network namespaces (exits 77 without).

usage: t227_mqtt_commands.py LABWARDEN PCAPS_DIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from lwtest import check, finish, run, sanitizer_report

NS = "lw-t227"
ROOT = "labwarden/t227"
TV_MAC, TV_IP = "a8:23:fe:01:02:03", "192.168.1.15"
GW_MAC = "02:42:c0:a8:01:42"


def mac12(mac):
    return mac.replace(":", "")


def nft_set(name):
    res = subprocess.run(["nft", "-j", "list", "set", "inet", "labwarden",
                          name], capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        return {}
    out = {}
    for item in json.loads(res.stdout)["nftables"]:
        for e in item.get("set", {}).get("elem", []):
            inner = e.get("elem", e) if isinstance(e, dict) else {"val": e}
            out[inner["val"]] = inner.get("expires", 0)
    return out


class Commands:
    """Send a command, wait for its answer on <root>/result."""

    def __init__(self, watch):
        self.watch = watch

    def send(self, topic, payload, retain=False, timeout=10):
        mark = self.watch.mark()
        self.watch.publish(ROOT + "/" + topic, payload, qos=1, retain=retain)
        got = self.watch.wait(lambda m: m.topic == ROOT + "/result",
                              since=mark, timeout=timeout)
        if not got:
            return {}
        try:
            return json.loads(got[0].payload)
        except ValueError:
            return {"unparsed": got[0].text()}

    def state(self, topic, value, since, timeout=10):
        return bool(self.watch.wait(lambda m: m.topic == ROOT + "/" + topic
                                    and m.text() == value, since=since,
                                    timeout=timeout))


def config(tmp, pcaps, port, state):
    path = os.path.join(tmp, "run.yaml")
    with open(path, "w") as f:
        f.write(f"networks:\n  protected: [192.168.1.1]\n"
                f"inventory:\n  known_devices: {pcaps}/demo-known.txt\n"
                f"sources:\n  - pcap: l227a\nstate_dir: {state}\n"
                "backends:\n  local: { type: nft }\n"
                f"mqtt:\n  port: {port}\n  sensor_id: t227\n"
                "  stats_interval: 1s\n  birth_delay: 0s\n"
                "  lockdown_for: 1h\n"
                f"keys:\n  lab-llm: {{ store: file, path: {tmp}/llm.key }}\n")
    with open(os.path.join(tmp, "llm.key"), "w") as f:
        f.write("old-key-0123456789abcdef\n")
    return path


def test_blocks(cmds, watch):
    res = cmds.send("cmd", '{"action":"lockdown","target":"192.168.1.66"}')
    left = nft_set("lockdown4").get("192.168.1.66", 0)
    check(res.get("ok") is True and res.get("status") == "done" and
          3500 <= left <= 3600,
          f"cmd lockdown: 192.168.1.66 in lockdown4 for an hour ({left} s; "
          f"{res})")
    res = cmds.send("cmd", '{"action":"release","target":"192.168.1.66"}')
    check(res.get("ok") is True and
          "192.168.1.66" not in nft_set("lockdown4"),
          f"cmd release: it is out again ({res})")

    res = cmds.send(f"host/{mac12(TV_MAC)}/lockdown", "PRESS")
    check(res.get("ok") is True and TV_IP in nft_set("lockdown4"),
          f"the TV's lock-down button locks {TV_IP} down ({res})")

    mark = watch.mark()
    res = cmds.send(f"host/{mac12(TV_MAC)}/quarantine/set", "ON")
    check(res.get("ok") is True and TV_MAC in nft_set("quarantine_mac"),
          f"the TV's quarantined switch ON: its MAC in quarantine_mac ({res})")
    check(cmds.state(f"host/{mac12(TV_MAC)}/quarantine", "ON", mark),
          "and the switch's state says ON")
    stats = watch.wait(lambda m: m.topic == ROOT + "/stats" and
                       json.loads(m.payload).get("quarantines") == 1,
                       since=mark)
    check(bool(stats), "the stats sensor counts one quarantine")
    mark = watch.mark()
    res = cmds.send(f"host/{mac12(TV_MAC)}/quarantine/set", "OFF")
    check(res.get("ok") is True and TV_MAC not in nft_set("quarantine_mac")
          and cmds.state(f"host/{mac12(TV_MAC)}/quarantine", "OFF", mark),
          f"OFF: out of quarantine_mac, state OFF ({res})")

    res = cmds.send("cmd", '{"action":"lockdown","target":"192.168.1.1"}')
    check(res.get("ok") is False and res.get("status") == "refused" and
          "protected" in res.get("error", "") and
          "192.168.1.1" not in nft_set("lockdown4"),
          f"the protected gateway is refused ({res.get('error')})")
    res = cmds.send(f"host/{mac12(GW_MAC)}/lockdown", "PRESS")
    check(res.get("ok") is False and res.get("status") == "refused",
          f"and so is its lock-down button ({res.get('error')})")


def test_bad_input(cmds, proc):
    cases = [
        ("cmd", "{not json", "malformed JSON"),
        ("cmd", "[1,2]", "not an object"),
        ("cmd", '{"action":"lockdown","target":"192.168.1.66","x":1}',
         "unknown key"),
        ("cmd", '{"action":"explode","target":"192.168.1.66"}', "action"),
        ("cmd", '{"action":"lockdown","target":"1.2.3"}', "target"),
        ("cmd", '{"action":"lockdown","target":"192.168.1.66","for":"-1"}',
         "for"),
        ("cmd/self_destruct", "PRESS", "unknown command"),
        ("pause/set", "MAYBE", "ON or OFF"),
        ("host/zz/lockdown", "PRESS", "12 hex"),
        ("cmd", b"\xff\xfe\x00\x01garbage", "NUL"),
        ("cmd", "x" * 5000, "longer than"),
    ]
    for topic, payload, want in cases:
        res = cmds.send(topic, payload)
        check(res.get("ok") is False and want in res.get("error", ""),
              f"{topic} {str(payload)[:30]!r}: error on the result topic "
              f"({res.get('error')})")
    check(proc.poll() is None, "labwarden is still running")
    check("192.168.1.66" not in nft_set("lockdown4"),
          "and none of them locked anything down")


def test_rotate(cmds, watch, tmp, retained_config):
    """The key's button: the rotator's worker does it, the event comes."""
    key_path = os.path.join(tmp, "llm.key")
    with open(key_path) as f:
        before = f.read().strip()
    cfg = json.loads(retained_config() or b"{}")
    button = cfg["cmps"].get("rotate_lab-llm", {})
    check(button.get("payload_press") == "lab-llm",
          "the sensor device has a rotate button for the configured key")
    mark = watch.mark()
    res = cmds.send("cmd/rotate_keys", "lab-llm")
    done = watch.wait(lambda m: m.topic == ROOT + "/event" and
                      json.loads(m.payload).get("type") == "key_rotation",
                      since=mark)
    ev = json.loads(done[0].payload) if done else {}
    with open(key_path) as f:
        after = f.read().strip()
    check(res.get("ok") is True and res.get("status") == "pending" and
          ev.get("status") == "done" and ev.get("origin") == "mqtt" and
          after != before,
          f"rotate lab-llm: queued, done, the key file changed "
          f"({res.get('status')}, {ev.get('status')})")
    res = cmds.send("cmd/rotate_keys", "PRESS")
    check(res.get("ok") is False and res.get("status") == "refused",
          f"all keys again at once: refused by min_interval "
          f"({res.get('error')})")
    seen = " ".join(m.text() for m in watch.messages)
    check(after not in seen and before not in seen,
          "the key is in no MQTT message")


def test_switches(cmds, watch):
    mark = watch.mark()
    res = cmds.send("pause/set", "ON")
    check(res.get("ok") is True and cmds.state("pause", "ON", mark),
          "pause ON: the switch's state is ON")
    mark = watch.mark()
    cmds.send("pause/set", "OFF")
    check(cmds.state("pause", "OFF", mark), "pause OFF: OFF again")
    check(bool(watch.wait(lambda m: m.topic == ROOT + "/stats")),
          "stats are published")
    cmds.send("cmd", '{"action":"quarantine","target":"' + TV_MAC + '"}')
    res = cmds.send("cmd/release_all", "PRESS")
    check(res.get("ok") is True and res.get("released", 0) >= 2 and
          not nft_set("lockdown4") and not nft_set("quarantine_mac"),
          f"release all empties the sets ({res})")


def inside(lw, pcaps):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from mqttlite import Broker, Client, retained
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "link", "add", "l227a", "type", "veth", "peer",
                    "name", "l227b"], check=True)
    for dev in ("l227a", "l227b"):
        subprocess.run(["ip", "link", "set", dev, "up"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state")
        os.mkdir(state)
        known = os.path.join(tmp, "known.yaml")
        with open(known, "w") as f:
            f.write(f"inventory:\n  known_devices: {pcaps}/demo-known.txt\n")
        res = run([lw, "replay", "-c", known, "--state", state, "--emit",
                   "none", os.path.join(pcaps, "demo.pcap")])
        check(res.returncode == 0, "the demo's devices are in the inventory")
        broker = Broker(tmp).start()
        watch = Client(broker.port, "t227-watch").connect()
        watch.subscribe(ROOT + "/#")
        cmds = Commands(watch)
        watch.publish(ROOT + "/cmd", '{"action":"lockdown","target":'
                      '"192.168.1.66"}', qos=1, retain=True)
        time.sleep(0.3)
        out = os.path.join(tmp, "events.jsonl")
        cfg = config(tmp, pcaps, broker.port, state)
        proc = subprocess.Popen([lw, "run", "--user", "root", "-c", cfg,
                                 "-o", out, "--emit", "action"],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            got = watch.wait(lambda m: m.topic == ROOT + "/result",
                             timeout=15)
            answer = json.loads(got[0].payload) if got else {}
            check(answer.get("ok") is False and "retained" in
                  answer.get("error", "") and
                  "192.168.1.66" not in nft_set("lockdown4"),
                  f"a retained lockdown is refused, not carried out "
                  f"({answer.get('error')})")
            time.sleep(0.5)
            check(not retained(broker.port, ROOT + "/cmd"),
                  "and taken off the broker")
            check(bool(watch.wait(lambda m: m.topic == ROOT + "/host/" +
                                  mac12(TV_MAC) + "/quarantine")),
                  "the TV is published as a host")
            test_blocks(cmds, watch)
            test_bad_input(cmds, proc)
            test_switches(cmds, watch)
            test_rotate(cmds, watch, tmp, lambda: retained(
                broker.port, "homeassistant/device/labwarden_t227/config"
            ).get("homeassistant/device/labwarden_t227/config"))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            watch.close()
            broker.stop()
        check(proc.returncode == 0 and not sanitizer_report(err),
              f"SIGTERM: exit 0, clean ({err.strip()[-300:]})")
        with open(out) as f:
            actions = [json.loads(line) for line in f if line.strip()]
        check(any(a.get("type") == "action" and a.get("origin") == "mqtt"
                  for a in actions),
              f"-o has the commands' action events ({len(actions)})")
    finish()


def main():
    if len(sys.argv) > 3 and sys.argv[3] == "--inside":
        inside(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]))
        return
    lw, pcaps = (os.path.abspath(a) for a in sys.argv[1:3])
    if os.geteuid() != 0 or not shutil.which("nft"):
        print("skipped: needs root and nft")
        sys.exit(77)
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    probe = subprocess.run(["ip", "netns", "add", NS], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        print(f"skipped: cannot make network namespaces here "
              f"({probe.stderr.strip()})")
        sys.exit(77)
    try:
        res = subprocess.run(["ip", "netns", "exec", NS, sys.executable,
                              os.path.abspath(__file__), lw, pcaps,
                              "--inside"], timeout=300)
        sys.exit(res.returncode)
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)


if __name__ == "__main__":
    main()
