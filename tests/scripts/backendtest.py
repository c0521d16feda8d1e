"""What the router-backend tests (t215-t217) share: running
backend_probe, and the checks every run gets (no sanitizer report, no
crash, no secret in its output)."""
import json
import os
import time

from lwtest import check, run, sanitizer_report


class Probe:
    """Runs `backend_probe CONFIG NAME ...` and keeps every output, so
    a test can assert no secret ever appeared in any of them."""

    def __init__(self, binary, config, secrets):
        self.binary = binary
        self.config = config
        self.secrets = [s for s in secrets if s]
        self.outputs = []

    def __call__(self, name, *args, env=None):
        """One run: returns (result dict or None, CompletedProcess,
        seconds it took)."""
        started = time.monotonic()
        res = run([self.binary, self.config, name, *args], timeout=60,
                  env=env)
        took = time.monotonic() - started
        self.outputs.append(res.stdout + res.stderr)
        what = f"{name} {' '.join(args)}"
        report = sanitizer_report(res.stderr)
        check(report is None and res.returncode in (0, 1, 2),
              f"{what}: exit status {res.returncode}, no crash, no "
              f"sanitizer report{f' ({report})' if report else ''}")
        result = None
        if res.stdout.strip():
            try:
                result = json.loads(res.stdout.strip().splitlines()[-1])
            except ValueError:
                check(False, f"{what}: stdout is not JSON: {res.stdout!r}")
        return result, res, took

    def secrets_kept(self):
        """No run printed a secret."""
        for n, secret in enumerate(self.secrets, 1):
            leaked = [o for o in self.outputs if secret in o]
            check(not leaked, f"secret {n} of {len(self.secrets)} never "
                  f"appears in stdout or stderr ({len(self.outputs)} runs)")


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path
