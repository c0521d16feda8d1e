"""Small helpers shared by the script tests (numbered tNNN_*.py)."""
import json
import os
import subprocess
import sys

failures = []


def run(argv, timeout=120, **kw):
    """Run a command; return CompletedProcess with text output."""
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, **kw)


def check(cond, what):
    """Record one assertion; print it so the ctest log tells the story."""
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
    return cond


def json_lines(text, what):
    """Parse JSON lines; every line must be an object with ts and type."""
    events = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            ev = json.loads(line)
        except ValueError as e:
            check(False, f"{what}: line {n} is not JSON: {e}: {line[:120]}")
            continue
        if not (isinstance(ev, dict) and "ts" in ev and "type" in ev):
            check(False, f"{what}: line {n} lacks ts/type: {line[:120]}")
            continue
        events.append(ev)
    return events


def sanitizer_report(stderr):
    """The first line of an ASan/UBSan/LSan report in stderr, or None."""
    for line in stderr.splitlines():
        if ("ERROR: AddressSanitizer" in line or "runtime error:" in line
                or "ERROR: LeakSanitizer" in line):
            return line
    return None


def finish():
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
