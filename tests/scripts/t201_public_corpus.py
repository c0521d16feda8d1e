#!/usr/bin/env python3
"""t201: every capture in pcaps/public replays with --emit all.

Run against the sanitizer build in `make test` (and the normal build):
for each file, no sanitizer or leak report, every output line a JSON
object with ts and type, a stats event at the end, no hang (timeout),
and the exit status we expect: 0, or 1 with a message naming the file
for the captures we cannot read (listed below with the reason).

usage: t201_public_corpus.py LABWARDEN PCAP_DIR
"""
import os
import subprocess
import sys

from lwtest import check, finish, json_lines, run, sanitizer_report

# file -> (expected exit status, text the message must contain)
UNREADABLE = {
    "tcpdump/unsupported-link-type-160.pcap":
        (1, "link type 160 (USER13, private use) is not supported"),
    "zeek/arp-who-has-radiotap.pcap":
        (1, "link type 127 (IEEE802_11_RADIO) is not supported"),
    "zeek/echo-connections.pcap.gz": (1, "gzip"),
    # A fuzzer-made file whose record header is damaged part way.
    "suricata-verify/bug-6875-01/fuzz.pcap": (1, "damaged"),
}


def captures(root):
    for dirpath, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            if name.endswith((".pcap", ".pcapng", ".pcap.gz", ".cap")):
                full = os.path.join(dirpath, name)
                yield os.path.relpath(full, root), full


def main():
    binary, root = sys.argv[1], sys.argv[2]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    seen = 0
    for rel, path in captures(root):
        seen += 1
        try:
            res = run([binary, "replay", "--emit", "all", "--stats", path],
                      timeout=300, env=env)
        except subprocess.TimeoutExpired:
            check(False, f"{rel}: no exit within 300 s (hang)")
            continue
        report = sanitizer_report(res.stderr)
        check(report is None, f"{rel}: no sanitizer report"
              + (f" ({report})" if report else ""))
        want_rc, want_msg = UNREADABLE.get(rel, (0, None))
        check(res.returncode == want_rc,
              f"{rel}: exit {res.returncode}, expected {want_rc}"
              + (f" [{res.stderr.strip()[:200]}]"
                 if res.returncode != want_rc else ""))
        if want_msg:
            check(want_msg in res.stderr and path in res.stderr,
                  f"{rel}: message names the file and says '{want_msg}'")
        events = json_lines(res.stdout, rel)
        check(bool(events) and events[-1]["type"] == "stats",
              f"{rel}: {len(events)} JSON events ending with stats")
    check(seen >= 40, f"{seen} captures found under {root}")
    finish()


if __name__ == "__main__":
    main()
