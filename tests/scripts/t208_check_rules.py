#!/usr/bin/env python3
"""t208: `labwarden check` finds every mistake in broken rule files.

tests/rules-broken/ holds rule files with one mistake of each kind the
loader knows (unknown keys with near misses, wrong types, unknown fact
types, fields, actions, backends and keys, bad durations, addresses,
networks and regexes, templates naming absent fields, duplicate names,
schedules, a YAML syntax error); expected.txt is the exact report, every
line with file:line:col.  Also: the default ruleset checks clean, and
replay refuses to start on broken rules.

usage: t208_check_rules.py LABWARDEN REPO_DIR
"""
import difflib
import os
import sys

from lwtest import check, finish, run


def main():
    lw, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    broken = os.path.join("tests", "rules-broken")
    with open(os.path.join(repo, broken, "expected.txt")) as f:
        want = f.read()
    res = run([lw, "check", "-r", broken], cwd=repo)
    check(res.returncode == 2, f"check on broken rules exits 2 "
          f"({res.returncode})")
    if res.stderr != want:
        print("\n".join(difflib.unified_diff(
            want.splitlines(), res.stderr.splitlines(), "expected",
            "check printed", lineterm="")))
    check(res.stderr == want, "every error, with file:line:col, as "
          "expected.txt")
    lines = want.splitlines()
    check(len(lines) >= 20 and all(l.startswith(broken) or
                                   l.startswith("labwarden:")
                                   for l in lines),
          f"{len(lines) - 1} errors, each naming its file")
    res = run([lw, "check", "-r", "rules"], cwd=repo)
    check(res.returncode == 0 and "scenes" in res.stdout,
          f"the default ruleset checks clean: {res.stdout.strip()}")
    demo = os.path.join(repo, "pcaps", "demo.pcap")
    res = run([lw, "replay", "-r", broken, demo], cwd=repo)
    check(res.returncode == 2 and res.stdout == "" and
          "error(s) in the rules" in res.stderr,
          "replay refuses broken rules (exit 2, nothing written)")
    res = run([lw, "replay", "-r", os.path.join(broken, "10-keys.yaml"),
               "-r", "rules", demo], cwd=repo)
    check(res.returncode == 2, "one broken file among good ones: refused")
    finish()


if __name__ == "__main__":
    main()
