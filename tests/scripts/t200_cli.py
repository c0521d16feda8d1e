#!/usr/bin/env python3
"""t200: the command line behaves as docs/interface.md says.

--help for every command (with an example), --version, exit statuses
0/1/2, --emit parsing and filtering, -o to a file, several files in
order, --stats on stderr, --progress only on a terminal, text format,
and clear messages for unreadable inputs.

usage: t200_cli.py LABWARDEN PCAP_DIR
"""
import os
import pty
import select
import subprocess
import sys
import tempfile

from lwtest import check, finish, json_lines, run

COMMANDS = ("run", "replay", "check", "release", "rotate")


def test_help(lw):
    res = run([lw, "--help"])
    check(res.returncode == 0 and "example:" in res.stdout,
          "labwarden --help: exit 0 with an example")
    for cmd in COMMANDS:
        check(f"\n  {cmd} " in res.stdout, f"--help lists '{cmd}'")
        res_c = run([lw, cmd, "--help"])
        check(res_c.returncode == 0 and "usage: labwarden " + cmd
              in res_c.stdout and "example:" in res_c.stdout,
              f"labwarden {cmd} --help: usage and example, exit 0")
    res = run([lw, "--version"])
    check(res.returncode == 0 and res.stdout.startswith("labwarden "),
          "--version prints the version")
    res = run([lw, "replai"])
    check(res.returncode == 2 and "unknown command 'replai'" in res.stderr,
          "unknown command: exit 2, named")
    res = run([lw])
    check(res.returncode == 2, "no command: exit 2")


def test_usage_errors(lw, pcap):
    cases = [
        ([lw, "replay"], "no capture files given"),
        ([lw, "replay", "--bogus", pcap], "unrecognized option"),
        ([lw, "replay", "--emit", "dns_qurey", pcap],
         "did you mean 'dns_query'"),
        ([lw, "replay", "--format", "xml", pcap], "json or text"),
        ([lw, "replay", "-r", "/nonexistent/rules", pcap], "-r"),
        ([lw, "replay", "--state", "/nonexistent/dir", pcap], "--state"),
        ([lw, "replay", "-c", "/nonexistent/labwarden.yaml", pcap],
         "/nonexistent/labwarden.yaml"),
    ]
    for argv, text in cases:
        res = run(argv)
        check(res.returncode == 2 and text in res.stderr,
              f"{' '.join(argv[1:3])}...: exit 2, message has '{text}'"
              + (f" [rc {res.returncode}: {res.stderr.strip()[:160]}]"
                 if res.returncode != 2 or text not in res.stderr else ""))


def test_runtime_errors(lw, root, tmp):
    missing = os.path.join(tmp, "missing.pcap")
    res = run([lw, "replay", missing])
    check(res.returncode == 1 and missing in res.stderr,
          "missing capture: exit 1, file named")
    text = os.path.join(tmp, "notes.pcap")
    with open(text, "w") as f:
        f.write("this is not a capture\n")
    res = run([lw, "replay", text])
    check(res.returncode == 1 and text in res.stderr
          and "not a readable pcap" in res.stderr,
          "text file named .pcap: exit 1, says why")
    good = os.path.join(root, "arkime", "dns-udp.pcap")
    unsupported = os.path.join(root, "tcpdump",
                               "unsupported-link-type-160.pcap")
    res = run([lw, "replay", "--emit", "stats", unsupported, good])
    events = json_lines(res.stdout, "unsupported+good")
    check(res.returncode == 1 and "is not supported; file skipped"
          in res.stderr and events and events[-1]["packets"] == 5,
          "unsupported link type: skipped with a message, next file "
          "still read, exit 1")
    res = run([lw, "replay", "-o", "/nonexistent/dir/out.jsonl", good])
    check(res.returncode == 1 and "/nonexistent/dir/out.jsonl"
          in res.stderr, "-o into a missing directory: exit 1, named")


def test_emit_and_output(lw, root, tmp):
    first = os.path.join(root, "arkime", "dns-udp.pcap")
    second = os.path.join(root, "arkime", "twovlan.pcap")
    out = os.path.join(tmp, "events.jsonl")
    res = run([lw, "replay", "--emit", "packet,stats", "-o", out,
               first, second])
    check(res.returncode == 0 and res.stdout == "",
          "-o FILE: exit 0, nothing on stdout")
    with open(out) as f:
        events = json_lines(f.read(), "-o file")
    packets = [e for e in events if e["type"] == "packet"]
    check(len(packets) == 5 + 6, f"both files' packets written "
          f"({len(packets)} of 11)")
    check([e["src_ip"] for e in packets[:1]] == ["10.180.156.141"]
          and packets[5].get("vlan") == 201,
          "files replayed in the order given")
    stats = events[-1]
    check(stats["type"] == "stats" and stats["files"] == 2
          and stats["packets"] == 11 and stats["protocols"]["udp"] == 5
          and stats["protocols"]["tcp"] == 6
          and stats["link_types"] == {"EN10MB": 11},
          "stats event counts both files by protocol and link type")
    check(all(e["ts"].endswith("Z") and len(e["ts"]) == 27
              for e in events), "ts is RFC 3339 UTC with microseconds")
    check(packets[0]["ts"] == "2013-11-25T17:30:47.217572Z",
          "ts is the packet's own time")

    res = run([lw, "replay", first])
    types = {e["type"] for e in json_lines(res.stdout, "default")}
    check(res.returncode == 0 and types and types <= {
          "scene", "new_mac", "new_domain", "dhcp", "mac_ip_change",
          "table_pressure"}, f"default --emit writes only the default "
          f"types ({sorted(types)})")
    res = run([lw, "replay", "--emit", "none", first])
    check(res.returncode == 0 and res.stdout == "", "--emit none: nothing")
    res = run([lw, "replay", "--emit", "all,-packet", first])
    types = {e["type"] for e in json_lines(res.stdout, "all,-packet")}
    check("packet" not in types and "stats" in types,
          "--emit all,-packet leaves packet events out")
    res = run([lw, "replay", "--format", "text", "--emit", "packet",
               first])
    lines = res.stdout.splitlines()
    check(res.returncode == 0 and len(lines) == 5 and "packet" in lines[0]
          and "src_ip=10.180.156.141" in lines[0],
          "--format text: one readable line per event")


def test_stats(lw, root):
    path = os.path.join(root, "arkime", "twovlan.pcap")
    res = run([lw, "replay", "--emit", "none", "--stats", path])
    err = res.stderr
    for word in ("packets", "bytes", "seconds", "packets/s",
                 "link types: EN10MB=6", "tcp=6", "malformed: 0"):
        check(word in err, f"--stats on stderr shows '{word}'")
    check(res.stdout == "", "--stats writes nothing on stdout")
    bad = os.path.join(root, "zeek", "arp-leak.pcap")
    if os.path.exists(bad):
        res = run([lw, "replay", "--stats", bad])
        check("bad_arp" in res.stderr, "--stats lists malformed by reason")


def pty_stderr(argv):
    """Run argv with stderr on a pseudo-terminal; return what it wrote."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode(errors="replace")


def test_progress(lw, root):
    path = os.path.join(root, "ndpi", "iphone.pcap")
    res = run([lw, "replay", "--progress", path])
    check(res.returncode == 0 and res.stderr == "",
          "--progress prints nothing when stderr is not a terminal")
    rc, text = pty_stderr([lw, "replay", "--progress", path])
    check(rc == 0 and "100.0%" in text and "\r" in text
          and "packets/s" in text,
          "--progress on a terminal: one refreshing line reaching 100%")


def main():
    lw, root = sys.argv[1], sys.argv[2]
    pcap = os.path.join(root, "arkime", "dns-udp.pcap")
    with tempfile.TemporaryDirectory() as tmp:
        test_help(lw)
        test_usage_errors(lw, pcap)
        test_runtime_errors(lw, root, tmp)
        test_emit_and_output(lw, root, tmp)
        test_stats(lw, root)
        test_progress(lw, root)
    finish()


if __name__ == "__main__":
    main()
