#!/usr/bin/env python3
"""t206: the sensor's facts on the demo capture, and its state.

The demo (pcaps/demo.md) holds one of each thing the sensor must
notice.  Checked: new_mac with vendor and randomized; a rejoining phone
linked by same_as; DHCP facts; the ARP spoof as a gratuitous
mac_ip_change; tunnel-shaped DNS (length, entropy, distinct subdomains,
TXT share); new_domain per host and network after the learning
period; conn_start with outbound; blocklisted names; known devices and
learning periods recorded silently; state kept in --state DIR (a second
run finds nothing new, the file is 0600, a corrupt file is moved aside);
the same replay twice gives the same bytes.

usage: t206_sensing.py LABWARDEN PCAPS_DIR RULES_DIR
"""
import json
import os
import stat
import sys
import tempfile

from lwtest import check, finish, json_lines, run


def replay(lw, demo, *args, config=None):
    argv = [lw, "replay"] + (["-c", config] if config else []) + \
        list(args) + [demo]
    res = run(argv)
    check(res.returncode == 0, f"replay {' '.join(args)} exits 0"
          + (f" [{res.stderr.strip()[:200]}]" if res.returncode else ""))
    return json_lines(res.stdout, "replay"), res


def by_type(events, kind):
    return [e for e in events if e["type"] == kind]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def test_devices(events):
    macs = {e["mac"]: e for e in by_type(events, "new_mac")}
    phone = macs.get("da:a1:19:5c:7e:01", {})
    check(phone.get("randomized") is True and phone.get("hostname") ==
          "Pixel-8" and "same_as" not in phone,
          "new phone: randomized, hostname from DHCP, not linked")
    again = macs.get("6e:0b:5d:21:44:02", {})
    check(again.get("same_as") == "da:a1:19:5c:7e:01" and
          again.get("same_as_reason") == "dhcp_hostname_fingerprint",
          "phone with a new random MAC is linked by same_as")
    cam = macs.get("c0:56:e3:7f:3a:01", {})
    check(cam.get("vendor", "").startswith("Hangzhou Hikvision") and
          cam.get("randomized") is False, "camera: IEEE vendor, not random")
    vlan = macs.get("00:0c:29:20:20:20", {})
    check(vlan.get("vlan") == 20 and vlan.get("ip") == "192.168.20.5",
          "VLAN host: vlan id and first inside IP")
    check(len(macs) == len(by_type(events, "new_mac")),
          "one new_mac per MAC")
    dhcp = by_type(events, "dhcp")
    acks = [e for e in dhcp if e["dhcp_type"] == "ack" and
            e.get("assigned_ip") == "192.168.1.57"]
    check(len(acks) == 1 and any(e["dhcp_type"] == "discover" and
          e.get("fingerprint") == "1,3,6,15,26,28,51,58,59,43" and
          e.get("vendor_class") == "android-dhcp-14" for e in dhcp),
          "DHCP facts: discover with fingerprint, ack with address")
    flips = by_type(events, "mac_ip_change")
    check(any(e["ip"] == "192.168.1.1" and e["new_mac"] ==
              "02:42:c0:a8:01:42" and e["gratuitous"] is True and
              e["old_mac"] == "00:1d:7e:00:00:01" for e in flips),
          "ARP spoof of the gateway: gratuitous mac_ip_change")
    check(not any(e["ip"] in ("192.168.1.57", "192.168.1.58")
                  for e in flips), "DHCP assignments are not flips")


def test_dns(events):
    queries = by_type(events, "dns_query")
    tunnel = [e for e in queries if e.get("domain") == "exfil-demo.net"]
    check(len(tunnel) == 150, f"150 tunnel queries ({len(tunnel)})")
    last = tunnel[-1] if tunnel else {}
    check(last.get("subdomains", 0) >= 140 and last.get("txt_share") == 1.0
          and last.get("entropy", 0) > 4.0 and
          last.get("longest_label") == 28 and last.get("qtype") == "TXT",
          f"tunnel shape: subdomains {last.get('subdomains')}, entropy "
          f"{last.get('entropy')}, txt_share {last.get('txt_share')}")
    normal = [e for e in queries if e.get("qname") == "github.com"]
    check(normal and normal[-1].get("subdomains") == 1 and
          normal[-1].get("txt_share") == 0.0, "ordinary names look ordinary")
    resp = [e for e in by_type(events, "dns_response")
            if e.get("qname") == "huggingface.co"]
    check(resp and resp[0].get("rcode") == "NOERROR" and
          resp[0]["answers"][0]["rrtype"] == "A",
          "responses carry rcode and answers")
    mdns = [e for e in queries if e.get("service") == "mdns"]
    check(mdns and mdns[0]["qname"] == "_hap._tcp.local",
          "mDNS tagged by service")
    new = by_type(events, "new_domain")
    laptop = {(e["domain"], e["scope"]) for e in new
              if e["src_ip"] == "192.168.1.20"}
    check(("ollama.com", "host") in laptop and ("ollama.com", "network")
          in laptop, "new_domain for the laptop's first ollama.com")
    check(not any(e["domain"] == "github.com" and e["ts"] > "2025-11-22T08:01"
                  for e in new), "a domain is new once")


def test_connections(events):
    conns = by_type(events, "conn_start")
    burst = [e for e in conns if e["src_ip"] == "192.168.1.40"]
    check(len(burst) == 300 and all(e["outbound"] for e in burst),
          f"300 outbound conn_start from the burst ({len(burst)})")
    scan = [e for e in conns if e["src_ip"] == "192.168.1.66" and
            e["dest_ip"] == "192.168.1.10"]
    check(len(scan) == 200 and not any(e["outbound"] for e in scan),
          f"200 inside conn_start from the scan ({len(scan)})")
    check(not any(e["src_ip"] == "192.168.1.10" and e["proto"] == "TCP"
                  and e["src_port"] in (22, 80, 8123) for e in conns),
          "a SYN-ACK is not a new connection")


def test_lists_and_learning(lw, demo, rules, tmp):
    known = write(os.path.join(tmp, "known.txt"),
                  "# my devices\n3c:22:fb:10:20:30 laptop\nnot-a-mac x\n")
    cfg = write(os.path.join(tmp, "lists.yaml"), f"""
inventory:
  known_devices: {known}
dns:
  blocklists: [{rules}/blocklists/telemetry.txt]
""")
    events, res = replay(lw, demo, "--emit", "all,-packet", config=cfg)
    check(f"{known}:3: not a MAC address" in res.stderr,
          "a bad known_devices line is reported with file:line")
    check("3c:22:fb:10:20:30" not in {e["mac"] for e in
                                       by_type(events, "new_mac")},
          "a known device is recorded silently")
    blocked = [e for e in by_type(events, "dns_query")
               if e.get("blocklisted")]
    check(blocked and all(e["qname"] == "app-measurement.com" and
                          e["blocklisted"] == "telemetry.txt"
                          for e in blocked) and len(blocked) == 24,
          f"24 blocklisted queries named by list ({len(blocked)})")
    # a relative path in a config is taken from the config's directory
    os.mkdir(os.path.join(tmp, "lists"))
    with open(f"{rules}/blocklists/telemetry.txt") as f:
        write(os.path.join(tmp, "lists", "mine.txt"), f.read())
    rel = write(os.path.join(tmp, "relative.yaml"),
                "dns:\n  blocklists: [lists/mine.txt]\n")
    res = run([lw, "replay", "-c", rel, "--emit", "dns_query", demo],
              cwd="/")
    check(res.returncode == 0 and '"blocklisted":"mine.txt"' in res.stdout,
          "relative list paths are read from the config's directory")
    learn = write(os.path.join(tmp, "learn.yaml"),
                  "inventory:\n  learn_for: 5m\ndns:\n  learn_for: 20m\n")
    events, _ = replay(lw, demo, "--emit", "new_mac,new_domain",
                       config=learn)
    check(not by_type(events, "new_domain"),
          "no new_domain while dns.learn_for lasts")
    late = [e["ts"] for e in by_type(events, "new_mac")]
    check(late and min(late) >= "2025-11-22T08:05:00",
          "no new_mac during inventory.learn_for")


def test_state(lw, demo, tmp):
    state = os.path.join(tmp, "state")
    os.mkdir(state)
    first, _ = replay(lw, demo, "--state", state, "--emit",
                      "new_mac,new_domain")
    path = os.path.join(state, "sensor.json")
    check(os.path.exists(path) and stat.S_IMODE(os.stat(path).st_mode)
          == 0o600, "state saved in --state DIR, mode 0600")
    with open(path) as f:
        doc = json.load(f)
    check(doc.get("kind") == "sensor" and len(doc["inventory"]["devices"])
          == len(by_type(first, "new_mac")), "every announced MAC saved")
    second, _ = replay(lw, demo, "--state", state, "--emit",
                       "new_mac,new_domain")
    check(first and not second, "a second run finds nothing new")
    write(path, "{ this is not json")
    third, res = replay(lw, demo, "--state", state, "--emit", "new_mac")
    aside = [n for n in os.listdir(state) if n.startswith("sensor.json."
                                                          "corrupt-")]
    check(aside and "moved aside" in res.stderr and path in res.stderr,
          "a corrupt state file is moved aside with a message")
    check(len(third) == len(by_type(first, "new_mac")),
          "after a corrupt state the sensor starts fresh")


def test_determinism(lw, demo):
    a = run([lw, "replay", "--emit", "all", demo]).stdout
    b = run([lw, "replay", "--emit", "all", demo]).stdout
    a = "\n".join(l for l in a.splitlines() if '"type":"stats"' not in l)
    b = "\n".join(l for l in b.splitlines() if '"type":"stats"' not in l)
    check(a == b and len(a) > 100000, "the same replay twice: same bytes")


def main():
    lw, pcaps, rules = (os.path.abspath(a) for a in sys.argv[1:4])
    demo = os.path.join(pcaps, "demo.pcap")
    events, _ = replay(lw, demo, "--emit", "all,-packet")
    test_devices(events)
    test_dns(events)
    test_connections(events)
    with tempfile.TemporaryDirectory() as tmp:
        test_lists_and_learning(lw, demo, rules, tmp)
        test_state(lw, demo, tmp)
    test_determinism(lw, demo)
    finish()


if __name__ == "__main__":
    main()
