#!/usr/bin/env python3
"""t205: DHCP facts from Zeek's dhcp.pcap match Zeek's dhcp.log baseline.

Zeek folds a DHCP exchange into one log line (message types in order,
the client's MAC, host name, requested and assigned address, lease
time); labwarden writes one dhcp event per message.  The test replays
the same capture and checks that the events, taken in order, carry the
same message types, MAC, host names and addresses as the baseline.

usage: t205_zeek_dhcp.py LABWARDEN PCAP_DIR
"""
import json
import os
import sys

from lwtest import check, finish, run


def baseline(path):
    rows, fields = [], []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif line and not line.startswith("#"):
                rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def main():
    binary, root = sys.argv[1], sys.argv[2]
    pcap = os.path.join(root, "zeek", "dhcp", "dhcp.pcap")
    rows = baseline(os.path.join(root, "zeek", "dhcp",
                                 "dhcp.expected.zeek.dhcp.log"))
    res = run([binary, "replay", "--emit", "dhcp", pcap])
    check(res.returncode == 0, f"replay exits 0 ({res.stderr.strip()})")
    events = [json.loads(line) for line in res.stdout.splitlines()]

    want_types = [t.lower() for row in rows
                  for t in row["msg_types"].split(",")]
    got_types = [e["dhcp_type"] for e in events]
    check(got_types == want_types,
          f"message types in order: {got_types} == {want_types}")
    macs = {row["mac"] for row in rows}
    check({e.get("mac") for e in events} == macs,
          f"every message names the client MAC {macs}")
    names = {row["host_name"] for row in rows if row["host_name"] != "-"}
    check({e["hostname"] for e in events if "hostname" in e} == names,
          f"host names {names}")
    first = rows[0]
    requested = {e["requested_ip"] for e in events if "requested_ip" in e}
    check(first["requested_addr"] in requested,
          f"requested address {first['requested_addr']} seen")
    acks = [e for e in events if e["dhcp_type"] == "ack"]
    check(len(acks) == 1 and acks[0].get("assigned_ip") ==
          first["assigned_addr"], f"the ACK assigns {first['assigned_addr']}")
    lease = int(float(first["lease_time"]))
    check(acks and acks[0].get("lease_time") == lease,
          f"the ACK's lease time is {lease} s")
    server = first["server_addr"]
    check(any(e.get("server_id") == server for e in events),
          f"server identifier {server}")
    finish()


if __name__ == "__main__":
    main()
