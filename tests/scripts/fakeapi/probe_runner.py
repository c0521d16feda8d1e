"""Run build/tests/backend_probe against a config and check what every
run must hold: no sanitizer report, one JSON result on stdout, and none
of the secrets anywhere in stdout or stderr."""
import json
import os
import time

import lwtest
from lwtest import check


class Prober:
    def __init__(self, probe, tmpdir, secrets):
        self.probe = probe
        self.tmpdir = tmpdir
        self.secrets = [s for s in secrets if s]
        self.count = 0

    def config(self, name, text):
        path = os.path.join(self.tmpdir, name + ".yaml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def secret_file(self, name, value):
        path = os.path.join(self.tmpdir, name)
        with open(path, "w") as f:
            f.write(value + "\n")
        os.chmod(path, 0o600)
        return path

    def raw(self, cfg, backend, *args, env=None, timeout=60):
        """Run the probe; the process and its wall time in seconds."""
        self.count += 1
        run_env = dict(os.environ)
        run_env.update(env or {})
        t0 = time.monotonic()
        p = lwtest.run([self.probe, cfg, backend, *args], timeout=timeout,
                       env=run_env)
        elapsed = time.monotonic() - t0
        what = f"probe {' '.join(args)}"
        report = lwtest.sanitizer_report(p.stderr)
        check(report is None, f"{what}: no sanitizer report ({report})")
        leaked = [s for s in self.secrets if s in p.stdout or s in p.stderr]
        check(not leaked, f"{what}: no secret in stdout/stderr")
        return p, elapsed

    def op(self, cfg, backend, *args, env=None, timeout=60):
        """An operation: its result object (status, detail, ...), the
        process and the wall time."""
        p, elapsed = self.raw(cfg, backend, *args, env=env, timeout=timeout)
        res = {}
        try:
            res = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            check(False, f"probe {' '.join(args)}: one JSON result, got "
                  f"{p.stdout[:200]!r} / {p.stderr[:300]!r}")
        want = 0 if res.get("status") == "ok" else 1
        check(p.returncode == want, f"probe {' '.join(args)}: exit "
              f"{p.returncode} matches status {res.get('status')}")
        return res, p, elapsed
