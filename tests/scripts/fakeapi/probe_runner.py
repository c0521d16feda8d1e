"""What the router-backend tests (t215-t219) share.

Prober runs build/tests/backend_probe (and labwarden itself) with the
checks every run gets: no crash, no sanitizer report, one JSON result
whose status agrees with the exit status, and none of the secrets
anywhere in stdout or stderr.  The check_* functions are the behaviours
every HTTP backend must show the same way (TLS, transient faults,
garbage replies, bad targets, the audit log), asserted the same way.
"""
import contextlib
import json
import os
import sys
import tempfile
import time

import lwtest
from fakeapi.base import make_pki
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

    def _checked(self, what, p):
        """A finished run: no crash, no sanitizer report, no secret."""
        report = lwtest.sanitizer_report(p.stderr)
        check(report is None and p.returncode >= 0,
              f"{what}: exit {p.returncode}, no crash, no sanitizer report"
              f"{f' ({report})' if report else ''}")
        leaked = [s for s in self.secrets if s in p.stdout or s in p.stderr]
        check(not leaked, f"{what}: no secret in stdout/stderr")

    def raw(self, cfg, backend, *args, env=None, timeout=60):
        """Run the probe; the process and its wall time in seconds."""
        self.count += 1
        run_env = dict(os.environ)
        run_env.update(env or {})
        t0 = time.monotonic()
        p = lwtest.run([self.probe, cfg, backend, *args], timeout=timeout,
                       env=run_env)
        elapsed = time.monotonic() - t0
        self._checked(f"probe {backend} {' '.join(args)}", p)
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

    def bound(self, cfg):
        """op() on one config: f(backend, *args, env=None)."""
        return lambda backend, *args, **kw: self.op(cfg, backend, *args,
                                                    **kw)

    def labwarden(self, argv, timeout=120):
        """Run labwarden (argv[0]) with the same checks as the probe."""
        p = lwtest.run(argv, timeout=timeout)
        self._checked(f"labwarden {argv[1]}", p)
        return p


@contextlib.contextmanager
def lab(name, secrets):
    """A test's temporary directory with a CA in pki/, and a Prober for
    backend_probe (argv[1]) that looks for secrets: (pr, pki)."""
    with tempfile.TemporaryDirectory(prefix=f"lw-{name}-") as tmp:
        pki = make_pki(os.path.join(tmp, "pki"))
        pr = Prober(os.path.abspath(sys.argv[1]), tmp, secrets)
        yield pr, pki
        print(f"     {pr.count} probe runs")


def check_api(what, *servers):
    """The fakes saw no request outside the vendor's documented API."""
    seen = [v for srv in servers for v in srv.violations]
    check(not seen, f"{what}: no request outside the documented API "
          f"{seen[:5]}")


def check_config_errors(pr, cfg, backend, want, env=None):
    """`check` of a broken section exits 1 and names each mistake: want
    holds (line, col or None, text or texts, what it is)."""
    res, _ = pr.raw(cfg, backend, "check", env=env)
    name = os.path.basename(cfg)
    check(res.returncode == 1, f"check: {name} fails")
    for line, col, texts, what in want:
        where = f"{name}:{line}:" + (f"{col}:" if col else "")
        texts = (texts,) if isinstance(texts, str) else texts
        check(where in res.stderr and all(t in res.stderr for t in texts),
              f"check: {what}, at {where.rstrip(':')}")
    return res


def section(name, keys):
    """A backends.NAME section: keys in order, one per line."""
    return f"  {name}:\n" + "".join(f"    {k}: {v}\n" for k, v in
                                    keys.items())


def backends(sections):
    """backends: with one section per name ({name: {key: value}})."""
    return "backends:\n" + "".join(section(name, keys) for name, keys in
                                   sections.items())


def replay_config(pcaps, state, backend, keys):
    """labwarden's config for `replay --act` of the demo with backend as
    the default backend (the demo's gateway protected)."""
    return ("networks:\n  protected: [192.168.1.1]\n"
            f"inventory:\n  known_devices: {pcaps}/demo-known.txt\n"
            f"state_dir: {state}\n"
            f"actions:\n  default_backend: {backend}\n" +
            backends({backend: keys}))


def replay_act(pr, lw, cfg, state, pcap, emit, rules=None):
    """`labwarden replay --act --state` of pcap; the process and its
    lockdown and quarantine action events."""
    argv = [lw, "replay", "--act", "-c", cfg, "--state", state, "--emit",
            emit] + (["-r", rules] if rules else []) + [pcap]
    p = pr.labwarden(argv)
    check(p.returncode == 0, f"replay --act: exit 0 "
          f"({p.stderr.strip()[-200:]})")
    acts = [e for e in lwtest.json_lines(p.stdout, "replay")
            if e["type"] == "action" and e["action"] in ("lockdown",
                                                         "quarantine")]
    return p, acts


def check_audit(pr, state, names):
    """The audit log names the requests (names is in it), never a
    secret."""
    with open(os.path.join(state, "audit.jsonl")) as f:
        audit = f.read()
    check(names in audit and not any(s in audit for s in pr.secrets),
          f"the audit log names the requests ({names}), never a secret")


def check_tls(pr, srv, op, other_ca, insecure, system_ca=None):
    """The device's certificate is checked against ca_file only.  Each
    of other_ca (a config naming another CA), system_ca (one naming
    none), insecure (insecure: true) is (config, backend)."""
    n = len(srv.requests)
    for what, conf in (("another CA", other_ca), ("no ca_file",
                                                   system_ca)):
        if conf:
            res, _, _ = pr.op(*conf, *op)
            check(res.get("status") == "fail" and "TLS" in
                  res.get("detail", ""), f"{what}: refused with a TLS "
                  f"error ({res.get('detail')})")
    check(len(srv.requests) == n, "a refused certificate: no request "
          "reached the device")
    res, p, _ = pr.op(*insecure, *op)
    check(res.get("http_status") == 200 and "insecure: true" in p.stderr
          and "warning" in p.stderr, f"insecure: true talks to the device "
          f"and warns on stderr ({p.stderr.strip()[:120]})")
    return res


def check_transient(pr, srv, op, method, path, fast, slow, timeout,
                    status=500):
    """A 5xx is retry; a device that hangs is retry within the timeout
    (slow's, in seconds).  fast and slow are (config, backend)."""
    srv.fault(method, path, status=status, times=1)
    res, _, _ = pr.op(*fast, *op)
    check(res.get("status") == "retry" and res.get("http_status") ==
          status, f"HTTP {status}: retry ({res.get('detail')})")
    srv.fault(method, path, hang=4, times=1)
    res, _, took = pr.op(*slow, *op)
    print(f"     hanging device: back after {took:.2f} s (timeout "
          f"{timeout} s)")
    check(res.get("status") == "retry" and "timeout" in
          res.get("detail", "") and took < 2.5, f"hang: retry within the "
          f"{timeout} s timeout ({took:.2f} s, {res.get('detail')})")


def check_replies(pr, conf, op, cases, inject, what, ok=None):
    """Replies no device should give: for each case, inject(case)
    scripts it into the fake; op must then fail (or retry) with a
    detail, ok(detail) when given, and no crash."""
    for i, case in enumerate(cases):
        undo = inject(case)
        res, _, _ = pr.op(*conf, *op)
        if undo:
            undo()
        detail = res.get("detail", "")
        check(res.get("status") in ("fail", "retry") and detail and
              (ok is None or ok(detail)),
              f"{what} {i} ({repr(case)[:40]}): {res.get('status')}, "
              f"{detail[:90]}")


def check_bad_targets(pr, srv, conf, cases):
    """Targets that are no device's address: (kind, target, extra
    args, text the detail must hold or None).  Each fails before any
    request, and the device sees none."""
    n = len(srv.requests)
    for kind, target, extra, why in cases:
        res, _, _ = pr.op(*conf, "block", kind, target, *extra, "--for",
                          "60")
        detail = res.get("detail", "")
        asked = " ".join([kind, repr(target[:24]), *extra])
        check(res.get("status") == "fail" and res.get("requests") == 0 and
              (why is None or why in detail),
              f"{asked}: fail before any request ({detail[:70]})")
    check(len(srv.requests) == n, "bad targets: the device saw nothing")
