"""An OpenWrt router as labwarden's openwrt backend sees it: uhttpd's
ubus JSON-RPC endpoint (POST /ubus) in front of rpcd's session, file and
uci objects, with fw4's nft sets and /etc/config/firewall behind them.

What it checks (a departure is a violation, and the reply is what the
real router would answer):
  - POST to /ubus only; a JSON-RPC 2.0 object with an integer id,
    method "call" and params [sid, object, method, {args}], args
    without ubus_rpc_session (uhttpd refuses that);
  - session.login with the null sid, username and password strings;
  - every other call with a live session whose ACL allows object.method,
    else error -32002 "Access denied" (uhttpd's answer for an unknown,
    expired or unauthorised session);
  - file.exec of /usr/sbin/nft only, with exactly the argv labwarden
    may send: list set / add element / delete element on table inet
    fw4, elements in canonical text ("{ 10.0.0.5 timeout 600s }");
  - uci get/set/delete/commit on the firewall config, list values as
    lists of strings; changes are staged per session until commit.

Reply shapes follow uhttpd's ubus.c (legacy "result": [status, {data}]
or "error": {code, message}) and rpcd's file.c (exec gives code, stdout
and stderr, the last two only when not empty).
"""
import ipaddress
import re
import secrets
import threading
import time

from .base import FakeAPI, Reply, Sessions

NULL_SID = "0" * 32
NFT = "/usr/sbin/nft"
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")

# ubus status codes (libubus)
OK, INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED = 0, 2, 4, 6


def nft_duration(seconds):
    """Seconds as nft prints them: 1d2h3m4s500ms."""
    ms = int(round(seconds * 1000))
    out = ""
    for unit, size in (("d", 86400000), ("h", 3600000), ("m", 60000),
                       ("s", 1000), ("ms", 1)):
        if ms >= size:
            out += f"{ms // size}{unit}"
            ms %= size
    return out or "0s"


def canonical_entry(text, mac):
    if mac:
        return bool(MAC_RE.match(text))
    try:
        return str(ipaddress.ip_address(text)) == text
    except ValueError:
        return False


class NftSet:
    def __init__(self, kind):
        self.kind = kind            # ipv4_addr, ipv6_addr, ether_addr
        self.elems = {}             # value -> (timeout s, expires at)

    def canonical(self, value):
        try:
            if self.kind == "ipv4_addr":
                return str(ipaddress.IPv4Address(value)) == value
            if self.kind == "ipv6_addr":
                return str(ipaddress.IPv6Address(value)) == value
        except ValueError:
            return False
        return bool(MAC_RE.match(value))


class FakeOpenWrt(Sessions, FakeAPI):
    name = "openwrt"

    def __init__(self, tls=None, users=None, acl=None, table="fw4",
                 sets=None, ipsets=None):
        super().__init__(tls)
        # user -> password; user -> allowed "object.method" (or "object.*")
        self.users = users or {"labwarden": "secret"}
        self.acl = acl or {u: {"file.exec", "uci.*"} for u in self.users}
        self.table = table
        self.sets = {name: NftSet(kind) for name, kind in (sets or {
            "lw_lockdown4": "ipv4_addr", "lw_lockdown6": "ipv6_addr",
            "lw_quarantine": "ether_addr"}).items()}
        # uci firewall: section id -> options (".type", "name", ...)
        self.firewall = {}
        for i, (name, family, match) in enumerate(ipsets or []):
            self.firewall[f"cfg{0x0a + i:02x}92bd"] = {
                ".type": "ipset", ".anonymous": True, "name": name,
                "family": family, "match": [match]}
        # sid -> {user, expires, timeout, staged}; logins counts every
        # session.login call, good or bad
        self.init_sessions()
        self.commits = 0
        self._garble = []           # (object.method, body, times)
        self._state = threading.Lock()

    # ---- for tests ----
    def garble(self, call, body, times=1):
        """Answer the next `times` calls of object.method with body (raw
        text, 200) instead of the real reply."""
        self._garble.append([call, body, times])

    def elements(self, set_name):
        with self._state:
            return dict(self.sets[set_name].elems)

    def entries(self, ipset):
        for sec in self.firewall.values():
            if sec.get("name") == ipset:
                return list(sec.get("entry", []))
        return None

    # ---- the API ----
    def handle(self, req):
        if req.method != "POST" or req.path != "/ubus":
            self.violation(req, "ubus is POST /ubus")
            return Reply(404, b"")
        msg = req.json()
        if not isinstance(msg, dict):
            self.violation(req, "body is not a JSON object")
            return self.error(None, -32700, "Parse error")
        rid = msg.get("id")
        params = msg.get("params")
        if msg.get("jsonrpc") != "2.0" or msg.get("method") != "call" or \
                not isinstance(rid, int):
            self.violation(req, f"not a JSON-RPC 2.0 call with an id: {msg}")
            return self.error(rid, -32600, "Invalid request")
        if not (isinstance(params, list) and len(params) == 4 and
                all(isinstance(p, str) for p in params[:3]) and
                isinstance(params[3], dict)):
            self.violation(req, f"params are not [sid, obj, method, {{}}]")
            return self.error(rid, -32602, "Invalid parameters")
        sid, obj, method, args = params
        if "ubus_rpc_session" in args:
            self.violation(req, "args carry ubus_rpc_session")
            return self.error(rid, -32602, "Invalid parameters")
        call = f"{obj}.{method}"
        for g in self._garble:
            if g[0] == call and g[2] > 0:
                g[2] -= 1
                return Reply(200, g[1], ctype="application/json")
        if call == "session.login":
            return self.login(req, rid, sid, args)
        user = self.session_user(sid)
        if user is None or not self.allowed(user, obj, method):
            return self.error(rid, -32002, "Access denied")
        if call == "file.exec":
            return self.result(rid, *self.exec(req, args))
        if obj == "uci" and method in ("get", "set", "delete", "commit"):
            return self.result(rid, *getattr(self, "uci_" + method)(
                req, sid, args))
        self.violation(req, f"labwarden has no business calling {call}")
        return self.error(rid, -32000, "Object not found")

    def error(self, rid, code, message):
        return Reply(200, {"jsonrpc": "2.0", "id": rid,
                           "error": {"code": code, "message": message}})

    def result(self, rid, status, data=None):
        res = [status] if data is None else [status, data]
        return Reply(200, {"jsonrpc": "2.0", "id": rid, "result": res})

    # ---- sessions ----
    def login(self, req, rid, sid, args):
        self.logins += 1
        if sid != NULL_SID:
            self.violation(req, "session.login without the null sid")
        user, pw = args.get("username"), args.get("password")
        timeout = args.get("timeout", 300)
        if not isinstance(user, str) or not isinstance(pw, str) or \
                not isinstance(timeout, int):
            self.violation(req, f"login args are not strings: {sorted(args)}")
            return self.result(rid, INVALID_ARGUMENT)
        if self.users.get(user) != pw:
            return self.result(rid, PERMISSION_DENIED)
        new = secrets.token_hex(16)
        with self._state:
            self.sessions[new] = {"user": user, "timeout": timeout,
                                  "expires": time.monotonic() + timeout,
                                  "staged": {}}
        return self.result(rid, OK, {
            "ubus_rpc_session": new, "timeout": timeout, "expires": timeout,
            "acls": {}, "data": {"username": user}})

    def session_user(self, sid):
        with self._state:
            s = self.live_session(sid)
            if s is None:
                return None
            s["expires"] = time.monotonic() + s["timeout"]   # idle timer
            return s["user"]

    def allowed(self, user, obj, method):
        acl = self.acl.get(user, set())
        return f"{obj}.{method}" in acl or f"{obj}.*" in acl

    # ---- file.exec: nft ----
    def exec(self, req, args):
        cmd, argv = args.get("command"), args.get("params")
        if cmd != NFT or not isinstance(argv, list) or \
                not all(isinstance(a, str) for a in argv):
            self.violation(req, f"file.exec of {cmd!r} {argv!r}")
            return NOT_FOUND, None
        code, out, err = self.nft(req, argv)
        data = {"code": code}
        if out:
            data["stdout"] = out
        if err:
            data["stderr"] = err
        return OK, data

    def nft(self, req, argv):
        line = " ".join(argv)
        if len(argv) < 5 or argv[2] != "inet":
            self.violation(req, f"nft {line}: not a set command on inet")
            return 1, "", f"Error: syntax error\n{line}\n"
        verb, what, _, table, name = argv[:5]
        s = self.sets.get(name) if table == self.table else None
        if s is None:
            return 1, "", (f"Error: No such file or directory; did you "
                           f"mean table 'fw4' in family inet?\n{line}\n")
        with self._state:
            now = time.monotonic()
            for v in [v for v, (_, exp) in s.elems.items() if exp <= now]:
                del s.elems[v]
            if verb == "list" and what == "set" and len(argv) == 5:
                return 0, self.listing(name, s, now), ""
            if what != "element" or len(argv) != 6:
                self.violation(req, f"nft {line}: not list set, add or "
                               f"delete element")
                return 1, "", "Error: syntax error\n"
            if verb == "add":
                m = re.match(r"^\{ (\S+) timeout ([1-9][0-9]*)s \}$", argv[5])
                if not m or not s.canonical(m.group(1)):
                    self.violation(req, f"nft {line}: element not canonical")
                    return 1, "", "Error: syntax error\n"
                if m.group(1) not in s.elems:   # add keeps an existing one
                    t = int(m.group(2))
                    s.elems[m.group(1)] = (t, now + t)
                return 0, "", ""
            if verb == "delete":
                m = re.match(r"^\{ (\S+) \}$", argv[5])
                if not m or not s.canonical(m.group(1)):
                    self.violation(req, f"nft {line}: element not canonical")
                    return 1, "", "Error: syntax error\n"
                if m.group(1) not in s.elems:
                    return 1, "", ("Error: Could not process rule: No such "
                                   "file or directory\n")
                del s.elems[m.group(1)]
                return 0, "", ""
        self.violation(req, f"nft {line}: unknown verb")
        return 1, "", "Error: syntax error\n"

    def listing(self, name, s, now):
        elems = ", ".join(
            f"{v} timeout {nft_duration(t)} expires {nft_duration(exp - now)}"
            for v, (t, exp) in sorted(s.elems.items()))
        body = (f"table inet {self.table} {{\n\tset {name} {{\n"
                f"\t\ttype {s.kind}\n\t\tflags timeout\n")
        if elems:
            body += f"\t\telements = {{ {elems} }}\n"
        return body + "\t}\n}\n"

    # ---- uci (firewall only) ----
    def staged_view(self, sid):
        """The firewall config as this session sees it."""
        view = {k: dict(v) for k, v in self.firewall.items()}
        for (sec, opt), val in self.sessions[sid]["staged"].items():
            if sec in view:
                if val is None:
                    view[sec].pop(opt, None)
                else:
                    view[sec][opt] = val
        return view

    def uci_args(self, req, args, need):
        if args.get("config") != "firewall":
            self.violation(req, f"uci on config {args.get('config')!r}")
            return False
        for k in need:
            if not isinstance(args.get(k), str):
                self.violation(req, f"uci args lack {k}")
                return False
        return True

    def uci_get(self, req, sid, args):
        if not self.uci_args(req, args, ()):
            return INVALID_ARGUMENT, None
        with self._state:
            view = self.staged_view(sid)
        sec = args.get("section")
        if sec is not None:
            if sec not in view:
                return NOT_FOUND, None
            if "option" in args:
                if args["option"] not in view[sec]:
                    return NOT_FOUND, None
                return OK, {"value": view[sec][args["option"]]}
            return OK, {"values": dict(view[sec], **{".name": sec})}
        match = args.get("match", {})
        if not isinstance(match, dict):
            self.violation(req, "uci get match is not an object")
            return INVALID_ARGUMENT, None
        found = {k: dict(v, **{".name": k}) for k, v in view.items()
                 if v[".type"] == args.get("type", v[".type"]) and
                 all(v.get(mk) == mv for mk, mv in match.items())}
        return OK, {"values": found}

    def uci_set(self, req, sid, args):
        values = args.get("values")
        if not self.uci_args(req, args, ("section",)) or \
                not isinstance(values, dict):
            return INVALID_ARGUMENT, None
        if args["section"] not in self.firewall:
            return NOT_FOUND, None
        for k, v in values.items():
            if not (isinstance(v, str) or (isinstance(v, list) and v and
                    all(isinstance(x, str) for x in v))):
                self.violation(req, f"uci set {k}: not text or a list of "
                               f"text: {v!r}")
                return INVALID_ARGUMENT, None
            sec = self.firewall[args["section"]]
            mac = any("mac" in m for m in sec.get("match", []))
            for x in (v if isinstance(v, list) else [v]):
                if not canonical_entry(x, mac):
                    self.violation(req, f"uci entry {x!r} not canonical")
        with self._state:
            for k, v in values.items():
                self.sessions[sid]["staged"][(args["section"], k)] = v
        return OK, None

    def uci_delete(self, req, sid, args):
        if not self.uci_args(req, args, ("section", "option")):
            return INVALID_ARGUMENT, None
        if args["section"] not in self.firewall:
            return NOT_FOUND, None
        with self._state:
            self.sessions[sid]["staged"][(args["section"],
                                          args["option"])] = None
        return OK, None

    def uci_commit(self, req, sid, args):
        if not self.uci_args(req, args, ()):
            return INVALID_ARGUMENT, None
        with self._state:
            self.firewall = self.staged_view(sid)
            for sec in self.firewall.values():
                sec.pop(".name", None)
            self.sessions[sid]["staged"].clear()
            self.commits += 1
            # fw4 reloads: runtime elements of its sets are gone
            for s in self.sets.values():
                s.elems.clear()
        return OK, None
