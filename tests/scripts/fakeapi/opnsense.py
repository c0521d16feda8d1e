"""An emulated OPNsense firewall API (alias_util), for t216.

What it holds to (opnsense/core AliasUtilController.php and
ApiControllerBase.php; integrations.md 2.4):
  - HTTP Basic with the API key as the user and its secret as the
    password; a wrong pair is 401.
  - POST /api/firewall/alias_util/add/<alias> and .../delete/<alias>
    with the field `address` (a form, or a JSON object when the
    Content-Type says application/json); a GET or no address answers
    {"status": "failed"}; an address with a character outside
    [0-9a-f:./_] answers {"status": "not_an_address"}; an alias that
    does not exist answers {"status": "failed", "status_msg": ...};
    otherwise {"status": "done"}.
  - GET /api/firewall/alias_util/list/<alias> answers
    {"total", "rowCount", "current", "rows": [{"ip": ...}]} (20.x on),
    or with legacy=True the older sorted array of addresses.
Every departure that is the client's fault is a violation.
"""
import base64
import ipaddress
import json
import re
import threading
import urllib.parse

from .base import FakeAPI, Reply

NOT_ADDRESS = re.compile(r"[^0-9a-f:./_]")
PREFIX = "/api/firewall/alias_util/"


class OPNsense(FakeAPI):
    name = "opnsense"

    def __init__(self, tls, key, secret, aliases=("lw_lockdown",
                                                   "lw_quarantine")):
        super().__init__(tls)
        self.key = key
        self.secret = secret
        self.legacy = False
        self.state_lock = threading.Lock()
        self.tables = {a: set() for a in aliases}

    def entries(self, alias):
        with self.state_lock:
            return set(self.tables.get(alias, ()))

    def _authorized(self, req):
        auth = req.headers.get("authorization", "")
        if not auth.startswith("Basic "):
            self.violation(req, "no HTTP Basic authorization")
            return False
        user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
        return user == self.key and pw == self.secret

    def _address(self, req):
        ctype = req.headers.get("content-type", "").replace(" ", "").lower()
        if ctype.startswith("application/json"):
            body = req.json() or {}
            return body.get("address") if isinstance(body, dict) else None
        if not self.require(
                req, ctype.startswith("application/x-www-form-urlencoded"),
                f"body of type {ctype!r}: OPNsense reads a form or JSON"):
            return None
        form = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"))
        return form.get("address", [None])[-1]

    def handle(self, req):
        if not self._authorized(req):
            return Reply(401, {"status": 401,
                               "message": "Authentication Failed"})
        if not req.path.startswith(PREFIX):
            self.violation(req, "not an alias_util path")
            return Reply(404, {"errorMessage": "Endpoint not found"})
        action, _, alias = req.path[len(PREFIX):].partition("/")
        with self.state_lock:
            if action == "list":
                self.require(req, req.method == "GET", "list is a GET")
                rows = sorted(self.tables.get(alias, ()))
                if self.legacy:
                    return Reply(200, rows)
                return Reply(200, {"total": len(rows), "rowCount": 9999,
                                   "current": 1,
                                   "rows": [{"ip": r} for r in rows]})
            if action not in ("add", "delete"):
                self.violation(req, f"no action {action!r}")
                return Reply(404, {"errorMessage": "Endpoint not found"})
            if not self.require(req, req.method == "POST",
                                f"{action} is a POST"):
                return Reply(200, {"status": "failed"})
            address = self._address(req)
            if not self.require(req, address is not None, "no address"):
                return Reply(200, {"status": "failed"})
            if NOT_ADDRESS.search(address):
                self.violation(req, f"address {address!r} would be "
                               "not_an_address")
                return Reply(200, {"status": "not_an_address"})
            try:
                ipaddress.ip_address(address)
            except ValueError:
                self.violation(req, f"{address!r} is not a host address")
            if alias not in self.tables:
                return Reply(200, {"status": "failed", "status_msg":
                                   f"non existing alias {alias}"})
            if action == "add":
                self.tables[alias].add(address)
            else:
                self.tables[alias].discard(address)
            return Reply(200, {"status": "done"})


def form_or_json(req):
    """The body as a dict, for tests' assertions."""
    ctype = req.headers.get("content-type", "")
    if "json" in ctype:
        return json.loads(req.body or b"{}")
    return {k: v[-1] for k, v in urllib.parse.parse_qs(
        req.body.decode()).items()}
