"""WireGuard peers on emulated routers, for the key rotation tests.

MikroTikWG - RouterOS v7 REST (help.mikrotik.com REST API; the peer's
properties as terraform-routeros names them): HTTP Basic; every value a
JSON string; /rest/interface/wireguard/peers with GET (print, filtered
by query parameters), GET .../ID and PATCH .../ID; errors as
{"error":N,"message":...,"detail":...}.

OpenWrtWG - ubus over HTTP (openwrt.org ubus docs, rpcd uci): POST /ubus
JSON-RPC "call" with [sid, object, method, args]; session login; uci
get (by type, or section and option), set (staged per session), commit
(applies; what netifd would use); a lost session answers JSON-RPC error
-32002 "Access denied"; results are [status, data].

Both keep the preshared key each peer really uses (.psk(public_key)) and
the time of every change, so a test can check what was switched when.
"""
import base64
import binascii
import copy
import secrets
import threading
import time

from .base import FakeAPI, Reply


def valid_psk(text):
    """A WireGuard key: 44 characters of base64 for 32 bytes."""
    if not isinstance(text, str) or len(text) != 44:
        return False
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


class MikroTikWG(FakeAPI):
    name = "mikrotik"

    def __init__(self, tls=None, user="labwarden", password="pw", peers=()):
        super().__init__(tls=tls)
        self.user, self.password = user, password
        self.peers = [dict(p) for p in peers]   # each with ".id"
        self.changes = []       # (time, .id, property, value)
        self._state = threading.Lock()

    def psk(self, public_key):
        for p in self.peers:
            if p["public-key"] == public_key:
                return p.get("preshared-key", "")
        return None

    def handle(self, req):
        want = "Basic " + base64.b64encode(
            f"{self.user}:{self.password}".encode()).decode()
        if req.headers.get("authorization") != want:
            self.require(req, "authorization" in req.headers,
                         "no HTTP Basic credentials")
            return Reply(401, {"error": 401, "message": "Unauthorized"})
        base = "/rest/interface/wireguard/peers"
        if not req.path.startswith(base):
            self.violation(req, "not a WireGuard peers path")
            return Reply(400, {"error": 400, "message": "Bad Request",
                               "detail": "no such command prefix"})
        ident = req.path[len(base):].lstrip("/")
        with self._state:
            if req.method == "GET" and not ident:
                return Reply(200, [p for p in self.peers if all(
                    p.get(k) == v[0] for k, v in req.query.items())])
            peer = next((p for p in self.peers if p[".id"] == ident), None)
            if peer is None:
                return Reply(404, {"error": 404, "message": "Not Found"})
            if req.method == "GET":
                return Reply(200, peer)
            if req.method == "PATCH":
                return self._patch(req, peer)
        self.violation(req, f"{req.method} is not used for peers here")
        return Reply(400, {"error": 400, "message": "Bad Request"})

    def _patch(self, req, peer):
        self.require(req, (req.headers.get("content-type") or "")
                     .startswith("application/json"),
                     "PATCH without Content-Type: application/json")
        body = req.json()
        if not self.require(req, isinstance(body, dict) and body and
                            all(isinstance(v, str) for v in body.values()),
                            "RouterOS wants an object of string values"):
            return Reply(400, {"error": 400, "message": "Bad Request"})
        for k, v in body.items():
            if k == "preshared-key" and not valid_psk(v):
                return Reply(400, {"error": 400, "message": "Bad Request",
                                   "detail": "invalid value of "
                                   "preshared-key"})
            if not self.require(req, k in peer or k == "preshared-key",
                                f"unknown property {k}"):
                return Reply(400, {"error": 400, "message": "Bad Request"})
        for k, v in body.items():
            peer[k] = v
            self.changes.append((time.monotonic(), peer[".id"], k, v))
        return Reply(200, peer)


class OpenWrtWG(FakeAPI):
    name = "openwrt"
    NULL_SID = "0" * 32

    def __init__(self, tls=None, user="root", password="pw", sections=None):
        super().__init__(tls=tls)
        self.user, self.password = user, password
        # network config: section name -> {".type": ..., options...}
        self.network = copy.deepcopy(sections or {})
        self.sessions = {}      # sid -> staged {section: {option: value}}
        self.logins = 0
        self.commits = []       # (time, {section: {option: value}})
        self.fail = {}          # "commit" -> times to answer status 9
        self._state = threading.Lock()

    def psk(self, public_key):
        for sec in self.network.values():
            if sec.get("public_key") == public_key:
                return sec.get("preshared_key", "")
        return None

    def expire(self):
        """Every session ends (rpcd timeout): the next call is denied."""
        with self._state:
            self.sessions.clear()

    def handle(self, req):
        if not self.require(req, req.method == "POST" and
                            req.path == "/ubus", "not POST /ubus"):
            return Reply(404, b"")
        rpc = req.json()
        ok = (isinstance(rpc, dict) and rpc.get("jsonrpc") == "2.0" and
              rpc.get("method") == "call" and
              isinstance(rpc.get("params"), list) and
              len(rpc["params"]) == 4 and isinstance(rpc["params"][3], dict))
        if not self.require(req, ok, "not a JSON-RPC ubus call"):
            return Reply(200, {"jsonrpc": "2.0", "id": None, "error": {
                "code": -32600, "message": "Invalid request"}})
        sid, obj, method, args = rpc["params"]
        with self._state:
            if (obj, method) == ("session", "login"):
                return self._reply(rpc, self._login(args))
            if sid not in self.sessions:
                return Reply(200, {"jsonrpc": "2.0", "id": rpc.get("id"),
                                   "error": {"code": -32002,
                                             "message": "Access denied"}})
            if obj != "uci" or method not in ("get", "set", "commit"):
                self.violation(req, f"{obj} {method} is not used here")
                return self._reply(rpc, [3])
            if self.require(req, args.get("config") == "network",
                            "WireGuard peers live in config network"):
                return self._reply(rpc, getattr(self, "_" + method)(
                    req, self.sessions[sid], args))
            return self._reply(rpc, [2])

    def _reply(self, rpc, result):
        return Reply(200, {"jsonrpc": "2.0", "id": rpc.get("id"),
                           "result": result})

    def _login(self, args):
        if (args.get("username"), args.get("password")) != (self.user,
                                                            self.password):
            return [6]          # UBUS_STATUS_PERMISSION_DENIED
        sid = secrets.token_hex(16)
        self.sessions[sid] = {}
        self.logins += 1
        return [0, {"ubus_rpc_session": sid, "timeout": 300,
                    "expires": 300, "acls": {}, "data": {}}]

    def _view(self, staged):
        view = copy.deepcopy(self.network)
        for name, opts in staged.items():
            view.setdefault(name, {}).update(opts)
        return view

    def _get(self, req, staged, args):
        view = self._view(staged)
        if "section" in args:
            sec = view.get(args["section"])
            if sec is None:
                return [4]      # UBUS_STATUS_NOT_FOUND
            if "option" in args:
                if args["option"] not in sec:
                    return [4]
                return [0, {"value": sec[args["option"]]}]
            return [0, {"values": dict(sec, **{".name": args["section"]})}]
        want = args.get("type")
        return [0, {"values": {
            name: dict(sec, **{".name": name, ".anonymous": True})
            for name, sec in view.items()
            if want is None or sec.get(".type") == want}}]

    def _set(self, req, staged, args):
        name, values = args.get("section"), args.get("values")
        if not self.require(req, name in self.network and
                            isinstance(values, dict), "set needs an "
                            "existing section and values"):
            return [2]
        if "preshared_key" in values and not valid_psk(
                values["preshared_key"]):
            return [2]          # UBUS_STATUS_INVALID_ARGUMENT
        staged.setdefault(name, {}).update(values)
        return [0]

    def _commit(self, req, staged, args):
        if self.fail.get("commit", 0) > 0:
            self.fail["commit"] -= 1
            return [9]          # UBUS_STATUS_UNKNOWN_ERROR
        applied = copy.deepcopy(staged)
        for name, opts in staged.items():
            self.network[name].update(opts)
        staged.clear()
        self.commits.append((time.monotonic(), applied))
        return [0]
