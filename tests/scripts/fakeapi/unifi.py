"""A UniFi Network controller as labwarden's unifi backend sees it:
classic (POST /api/login, cookie unifises) or UniFi OS (POST
/api/auth/login, cookie TOKEN holding a JWT, X-CSRF-Token on writes,
Network paths under /proxy/network), or an API key (X-API-KEY, UniFi OS
paths, no session).

What it checks (a departure is a violation):
  - the login path and body of the variant ({username, password});
  - Network API paths with the right prefix and site;
  - on UniFi OS with a session: X-CSRF-Token on every POST/PUT/DELETE,
    equal to the current token (it rotates through X-Updated-CSRF-Token
    when rotate_csrf is on);
  - JSON bodies (Content-Type application/json) with exactly the fields
    labwarden may send: stamgr {cmd, mac}, rest/user and upd/user
    {_id, virtual_network_override_enabled, virtual_network_override_id};
  - MACs in canonical lowercase text, a known network _id.

Replies use the envelope {"meta": {"rc": "ok"|"error", "msg"}, "data": []};
an expired or missing session is HTTP 401 api.err.LoginRequired.
"""
import base64
import json
import re
import secrets
import threading
import time

from .base import FakeAPI, Reply, Sessions

MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
ID_RE = re.compile(r"^[0-9a-f]{24}$")


def envelope(data=None, msg=None):
    meta = {"rc": "error", "msg": msg} if msg else {"rc": "ok"}
    return {"meta": meta, "data": data if data is not None else []}


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class FakeUniFi(Sessions, FakeAPI):
    name = "unifi"

    def __init__(self, tls=None, variant="unifios", users=None, api_key=None,
                 site="default", csrf_header=True, rotate_csrf=False,
                 ignore_put=False, session_timeout=3600):
        super().__init__(tls)
        self.variant = variant
        self.users = users or {"labwarden": "secret"}
        self.api_key = api_key
        self.site = site
        self.csrf_header = csrf_header     # login reply carries the token
        self.rotate_csrf = rotate_csrf
        self.ignore_put = ignore_put       # PUT rest/user answers ok, does nothing
        self.session_timeout = session_timeout
        self.networks = {"5f0a1b2c3d4e5f6a7b8c9d0e": "LAN",
                         "65a1b2c3d4e5f6a7b8c9d0e1": "Quarantine"}
        self.clients = {}                  # mac -> record
        # sessions: cookie value -> {user, csrf, expires}
        self.init_sessions()
        self._garble = []                  # [method, path part, status, body, n]
        self._state = threading.Lock()

    # ---- for tests ----
    @property
    def prefix(self):
        return "/proxy/network" if self.variant == "unifios" else ""

    def add_client(self, mac, ip=None, network="5f0a1b2c3d4e5f6a7b8c9d0e"):
        rec = {"_id": secrets.token_hex(12), "mac": mac, "oui": "Test",
               "blocked": False, "network_id": network, "is_wired": False,
               "virtual_network_override_enabled": False, "name": "phone"}
        if ip:
            rec["last_ip"] = ip
        with self._state:
            self.clients[mac] = rec
        return rec

    def garble(self, method, part, body, status=200, times=1):
        """The next `times` requests with method and `part` in the path
        get this raw body and status."""
        self._garble.append([method, part, status, body, times])

    # ---- the API ----
    def handle(self, req):
        for g in self._garble:
            if g[0] == req.method and g[1] in req.path and g[4] > 0:
                g[4] -= 1
                return Reply(g[2], g[3], ctype="application/json")
        if req.method == "GET" and req.path == "/":
            if self.variant == "unifios":
                return Reply(200, "<html>UniFi OS</html>", ctype="text/html")
            return Reply(302, b"", {"Location": "/manage"})
        if req.method == "POST" and req.path in ("/api/login",
                                                 "/api/auth/login"):
            return self.login(req)
        if not req.path.startswith(self.prefix + "/api/s/"):
            self.violation(req, f"not a Network API path (prefix "
                           f"{self.prefix!r})")
            return Reply(404, {"error": "not found"})
        denied = self.authorise(req)
        if denied:
            return denied
        rest = req.path[len(self.prefix) + len("/api/s/"):]
        site, _, rest = rest.partition("/")
        if site != self.site:
            self.violation(req, f"site {site!r}")
            return Reply(400, envelope(msg="api.err.NoSiteContext"))
        reply = self.network(req, rest)
        if self.rotate_csrf and self.api_key is None and \
                self.variant == "unifios" and req.method != "GET":
            tok = self.session_of(req)
            if tok:
                new = secrets.token_hex(16)
                with self._state:
                    self.sessions[tok]["csrf"] = new
                reply.headers["X-Updated-CSRF-Token"] = new
        return reply

    def login(self, req):
        self.logins += 1
        want = "/api/auth/login" if self.variant == "unifios" else "/api/login"
        if req.path != want or self.api_key is not None:
            self.violation(req, f"login at {req.path} (this controller: "
                           f"{'API key' if self.api_key else want})")
            return Reply(404, {"error": "not found"})
        body = req.json()
        if not isinstance(body, dict) or not {"username", "password"} <= \
                set(body) or not set(body) <= {"username", "password",
                                               "remember", "rememberMe"}:
            self.violation(req, f"login body {sorted(body or {})}")
            return Reply(400, envelope(msg="api.err.Invalid"))
        if self.users.get(body["username"]) != body["password"]:
            if self.variant == "unifios":
                return Reply(401, {"code": "AUTHENTICATION_FAILED_INVALID_"
                                   "CREDENTIALS", "message": "Invalid "
                                   "username or password"})
            return Reply(400, envelope(msg="api.err.Invalid"))
        csrf = secrets.token_hex(16)
        if self.variant == "unifios":
            claims = json.dumps({"userId": "u1", "csrfToken": csrf,
                                 "exp": int(time.time()) + 3600}).encode()
            token = (b64url(b'{"alg":"HS256","typ":"JWT"}') + "." +
                     b64url(claims) + "." + b64url(secrets.token_bytes(32)))
            cookie = f"TOKEN={token}; path=/; samesite=none; secure; httponly"
            headers = {"Set-Cookie": cookie}
            if self.csrf_header:
                headers["X-CSRF-Token"] = csrf
            reply = Reply(200, {"unique_id": "u1", "username":
                                body["username"]}, headers)
        else:
            token = secrets.token_hex(16)
            reply = Reply(200, envelope(), {
                "Set-Cookie": f"unifises={token}; Path=/; Secure; HttpOnly"})
        with self._state:
            self.sessions[token] = {
                "user": body["username"], "csrf": csrf,
                "expires": time.monotonic() + self.session_timeout}
        return reply

    def session_of(self, req):
        name = "TOKEN" if self.variant == "unifios" else "unifises"
        for part in req.headers.get("cookie", "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == name and v in self.sessions:
                return v
        return None

    def authorise(self, req):
        """None when the request may go on, else the refusal."""
        if self.api_key is not None:
            if req.headers.get("x-api-key") != self.api_key:
                return Reply(401, {"error": {"code": 401, "message":
                                             "Unauthorized"}})
            if "x-csrf-token" in req.headers or "cookie" in req.headers:
                self.violation(req, "API key requests carry no session")
            return None
        gone = Reply(401, envelope(msg="api.err.LoginRequired"))
        tok = self.session_of(req)
        with self._state:
            s = self.live_session(tok)
            if s is None:
                return gone
            csrf = s["csrf"]
        if self.variant == "unifios" and req.method != "GET" and \
                req.headers.get("x-csrf-token") != csrf:
            self.violation(req, "write without the current X-CSRF-Token")
            return Reply(403, {"error": "csrf"})
        return None

    def json_body(self, req, keys):
        if req.headers.get("content-type") != "application/json":
            self.violation(req, "body is not application/json")
        body = req.json()
        if not isinstance(body, dict) or not set(body) <= keys:
            self.violation(req, f"body fields {sorted(body or {})} not in "
                           f"{sorted(keys)}")
            return None
        return body

    def network(self, req, rest):
        parts = rest.split("/")
        if req.method == "GET" and len(parts) == 3 and \
                parts[:2] == ["stat", "user"]:
            mac = parts[2]
            if not MAC_RE.match(mac):
                self.violation(req, f"MAC {mac!r} not canonical")
            with self._state:
                rec = self.clients.get(mac)
                rec = dict(rec) if rec else None
            if rec is None:
                return Reply(400, envelope(msg="api.err.UnknownUser"))
            return Reply(200, envelope([rec]))
        if req.method == "POST" and parts == ["cmd", "stamgr"]:
            return self.stamgr(req)
        if len(parts) == 3 and ((req.method, parts[:2]) in (
                ("PUT", ["rest", "user"]), ("POST", ["upd", "user"]))):
            return self.update_user(req, parts[2], parts[0] == "rest")
        self.violation(req, "labwarden has no business here")
        return Reply(404, envelope(msg="api.err.NotFound"))

    def stamgr(self, req):
        body = self.json_body(req, {"cmd", "mac"})
        if body is None:
            return Reply(400, envelope(msg="api.err.InvalidPayload"))
        cmd, mac = body.get("cmd"), body.get("mac")
        if cmd not in ("block-sta", "unblock-sta", "kick-sta") or \
                not isinstance(mac, str) or not MAC_RE.match(mac):
            self.violation(req, f"stamgr {cmd!r} {mac!r}")
            return Reply(400, envelope(msg="api.err.InvalidPayload"))
        with self._state:
            rec = self.clients.get(mac)
        if rec is None and cmd == "block-sta":
            rec = self.add_client(mac)
        if rec is None:
            return Reply(400, envelope(msg="api.err.UnknownUser"))
        with self._state:
            if cmd != "kick-sta":
                rec["blocked"] = cmd == "block-sta"
        return Reply(200, envelope([{"mac": mac}] if cmd != "kick-sta"
                                   else []))

    def update_user(self, req, uid, is_put):
        body = self.json_body(req, {"_id", "virtual_network_override_enabled",
                                    "virtual_network_override_id"})
        with self._state:
            rec = next((r for r in self.clients.values() if r["_id"] == uid),
                       None)
        if rec is None or body is None:
            return Reply(400, envelope(msg="api.err.InvalidObject"))
        if body.get("_id", uid) != uid or not isinstance(
                body.get("virtual_network_override_enabled"), bool):
            self.violation(req, f"user update {body}")
            return Reply(400, envelope(msg="api.err.InvalidPayload"))
        net = body.get("virtual_network_override_id")
        if net is not None and net not in self.networks:
            self.violation(req, f"unknown network {net!r}")
            return Reply(400, envelope(msg="api.err.InvalidNetwork"))
        if not (is_put and self.ignore_put):
            with self._state:
                rec["virtual_network_override_enabled"] = \
                    body["virtual_network_override_enabled"]
                if net is not None:
                    rec["virtual_network_override_id"] = net
        return Reply(200, envelope([dict(rec)]))
