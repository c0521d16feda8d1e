#!/usr/bin/env python3
"""t207: scene test cases, like `cscli hubtest` but for packets.

Each directory under tests/scenes/ is one case, described by case.json:
  behaviour   what the case shows (printed)
  capture     a capture under pcaps/ ("captures": several in one replay,
              in order; "each": several, each replayed on its own)
  generate    or: a script in the case directory that writes the capture
  config      optional configuration (path relative to the case)
  rules       optional rules paths (relative to the case); default: the
              repository's rules/
  expect      the scene firings, in order: scene, key, and optionally
              ts and the actions' statuses
Every case is replayed twice: the firings must match and the two outputs
must be byte-identical.  A failure prints a diff.

usage: t207_scene_cases.py LABWARDEN CASES_DIR PCAPS_DIR RULES_DIR
"""
import difflib
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

from lwtest import check, finish, run


def prepare_captures(case_dir, case, pcaps, tmp):
    if "generate" in case:
        out = os.path.join(tmp, "generated.pcap")
        subprocess.run([sys.executable, os.path.join(case_dir,
                        case["generate"]), out], check=True)
        return [out]
    paths = []
    for rel in case.get("captures", [case.get("capture")]):
        path = os.path.join(pcaps, rel)
        if path.endswith(".gz"):
            plain = os.path.join(tmp, os.path.basename(path)[:-3])
            with gzip.open(path) as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
            path = plain
        paths.append(path)
    return paths


def firings(output, want_detail):
    got = []
    for line in output.splitlines():
        ev = json.loads(line)
        item = {"scene": ev["scene"], "key": ev["key"]}
        for extra in want_detail:
            if extra == "ts":
                item["ts"] = ev["ts"]
            elif extra == "statuses":
                item["statuses"] = [a["status"] for a in ev["actions"]]
        got.append(item)
    return got


def one_case(lw, case_dir, pcaps, rules):
    name = os.path.basename(case_dir)
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    print(f"---- {name}: {case['behaviour']}")
    if "each" in case:
        for capture in case.pop("each"):
            case["capture"] = capture
            one_replay(lw, f"{name} ({os.path.basename(capture)})",
                       case_dir, case, pcaps, rules)
    else:
        one_replay(lw, name, case_dir, case, pcaps, rules)


def one_replay(lw, name, case_dir, case, pcaps, rules):
    with tempfile.TemporaryDirectory() as tmp:
        captures = prepare_captures(case_dir, case, pcaps, tmp)
        argv = [lw, "replay", "--emit", "scene"]
        if "config" in case:
            argv += ["-c", os.path.join(case_dir, case["config"])]
        for r in case.get("rules", []):
            argv += ["-r", os.path.join(case_dir, r)]
        if "rules" not in case:
            argv += ["-r", rules]
        first = run(argv + captures)
        second = run(argv + captures)
    if not check(first.returncode == 0, f"{name}: replay exits 0"):
        print(first.stderr)
        return
    extras = {k for e in case["expect"] for k in e if k in ("ts",
                                                             "statuses")}
    got = firings(first.stdout, sorted(extras))
    want = [{k: e[k] for k in ("scene", "key", "ts", "statuses") if k in e}
            for e in case["expect"]]
    got = [{k: g[k] for k in ("scene", "key", "ts", "statuses")
            if k in g and (k in ("scene", "key") or
                           any(k in w for w in want))} for g in got]
    same = got == want
    if not same:
        diff = difflib.unified_diff(
            [json.dumps(w, sort_keys=True) for w in want],
            [json.dumps(g, sort_keys=True) for g in got],
            "expected", "replayed", lineterm="")
        print("\n".join(diff))
    check(same, f"{name}: {len(want)} firings as expected")
    check(first.stdout == second.stdout,
          f"{name}: the same replay twice gives the same bytes")


def main():
    lw, cases, pcaps, rules = (os.path.abspath(a) for a in sys.argv[1:5])
    names = sorted(d for d in os.listdir(cases)
                   if os.path.isfile(os.path.join(cases, d, "case.json")))
    for name in names:
        one_case(lw, os.path.join(cases, name), pcaps, rules)
    check(len(names) >= 8, f"{len(names)} cases")
    finish()


if __name__ == "__main__":
    main()
