"""Network namespaces for the live tests (t211, t212, t213, t228, t230)
and the live benchmark: namespaces joined by veth pairs, made and
removed by the test, with the test's number in every name so parallel
runs never meet; and the small waits and /proc readings they share.
"""
import os
import shutil
import subprocess
import sys
import time


def sh(*argv, check_rc=True, timeout=120):
    """Run a command; raise with its stderr when it fails."""
    res = subprocess.run(list(argv), capture_output=True, text=True,
                         timeout=timeout)
    if check_rc and res.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {res.stderr.strip()}")
    return res


def netns_missing(probe_name, tools=()):
    """Why namespaces cannot be made here (no root, a tool missing, no
    namespaces), or None.  probe_name is tried and removed."""
    if os.geteuid() != 0:
        return "needs root"
    for tool in tools:
        if not shutil.which(tool):
            return f"needs {tool}"
    probe = sh("ip", "netns", "add", probe_name, check_rc=False)
    sh("ip", "netns", "del", probe_name, check_rc=False)
    if probe.returncode != 0:
        return f"no network namespaces here ({probe.stderr.strip()})"
    return None


def skip_unless_netns(probe_name, tools=()):
    """Exit 77 (ctest: skipped) without root, a tool, or namespaces."""
    why = netns_missing(probe_name, tools)
    if why:
        print(f"skipped: {why}")
        sys.exit(77)


def netns_add(*names):
    """Fresh namespaces (one left by an earlier run is removed first),
    each with lo up."""
    netns_del(*names)
    for ns in names:
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")


def netns_del(*names):
    for ns in names:
        sh("ip", "netns", "del", ns, check_rc=False)


def veth(ns_a, dev_a, ns_b, dev_b):
    """A veth pair: dev_a in ns_a, dev_b in ns_b (both down)."""
    sh("ip", "link", "add", dev_a, "netns", ns_a, "type", "veth", "peer",
       "name", dev_b, "netns", ns_b)


class VethPair:
    """Namespaces a and b, joined by veth devices dev_a and dev_b.

    addrs: optional (addr_a, addr_b) pairs such as ("10.0.0.1/24",
    "10.0.0.2/24"); IPv6 addresses are added without duplicate address
    detection.  Without IPv6 addresses IPv6 is off on the veth, so the
    wire under test carries only what the test sends.
    """

    def __init__(self, ns_a, ns_b, dev_a, dev_b, addrs=()):
        self.ns_a, self.ns_b = ns_a, ns_b
        self.dev_a, self.dev_b = dev_a, dev_b
        self.addrs = list(addrs)

    def up(self):
        netns_add(self.ns_a, self.ns_b)
        veth(self.ns_a, self.dev_a, self.ns_b, self.dev_b)
        v6 = any(":" in a for pair in self.addrs for a in pair)
        for ns, dev, side in ((self.ns_a, self.dev_a, 0),
                              (self.ns_b, self.dev_b, 1)):
            if not v6:
                sh("ip", "netns", "exec", ns, "sysctl", "-qw",
                   f"net.ipv6.conf.{dev}.disable_ipv6=1")
            for pair in self.addrs:
                extra = ["nodad"] if ":" in pair[side] else []
                sh("ip", "-n", ns, "addr", "add", pair[side], "dev", dev,
                   *extra)
            sh("ip", "-n", ns, "link", "set", dev, "up")
        return self

    def down(self):
        netns_del(self.ns_a, self.ns_b)

    def mac(self, side):
        """The MAC of dev_a (side 0) or dev_b (side 1)."""
        ns, dev = ((self.ns_a, self.dev_a), (self.ns_b, self.dev_b))[side]
        out = sh("ip", "-n", ns, "-o", "link", "show", dev).stdout
        return out.split("link/ether", 1)[1].split()[0].lower()

    def run_in(self, side, *argv, **kw):
        ns = (self.ns_a, self.ns_b)[side]
        return sh("ip", "netns", "exec", ns, *argv, **kw)

    def popen_in(self, side, argv, **kw):
        ns = (self.ns_a, self.ns_b)[side]
        return subprocess.Popen(["ip", "netns", "exec", ns] + list(argv),
                                **kw)

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        self.down()
        return False


def wait_for(path, text, seconds):
    """Whether text turns up in the file at path within seconds."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open(path) as f:
            if text in f.read():
                return True
        time.sleep(0.05)
    return False


def proc_status(pid):
    """/proc/PID/status as a dict of its fields (strings)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def child_pid(pid, name):
    """The pid of the process called name under pid (ip netns exec
    execs in place, so usually pid itself)."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() == name:
                return pid
    except OSError:
        return None
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if int(fields[1]) == pid and comm == name:
            return int(entry)
    return None
