"""An emulated MikroTik RouterOS v7 REST API (/rest), for t215.

What it holds to (RouterOS "REST API" manual; integrations.md 2.2):
  - HTTP Basic on every request, the console user's name and password;
    a wrong one is 401.
  - GET menu[?field=value...] prints (a JSON array), GET menu/<.id> one
    item, PUT menu adds (answers the new item with its .id), PATCH
    menu/<.id> sets, DELETE menu/<.id> removes, POST menu/<command>
    runs a command (here: dhcp-server lease make-static {".id"}).
  - Request bodies are JSON objects whose values are all strings;
    replies write every value as a string.
  - Address-list entries with a timeout are dynamic and count down;
    they vanish when it runs out and on reboot().  Adding an entry that
    is there already is 400 "failure: already have such entry".
  - Errors are {"error": N, "message": "...", "detail": "..."}.
Assumptions (marked in docs/backends.md): a dynamic DHCP lease cannot be
changed until made static; make-static gives the lease a new .id.

Every departure from these rules that is the client's fault is a
violation (self.violations), which the test asserts is empty.
"""
import base64
import ipaddress
import re
import threading
import time

from .base import FakeAPI, Reply

ID_RE = re.compile(r"^\*[0-9A-F]+$")
DURATION_RE = re.compile(r"^(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?$")

ALIST_FIELDS = {"list", "address", "timeout", "comment", "disabled"}
LEASE_SET_FIELDS = {"address-lists", "block-access", "comment"}


def ros_duration(seconds):
    """Seconds as RouterOS prints them: 1d2h3m4s."""
    seconds = max(0, int(seconds))
    out = ""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600),
                       ("m", 60)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    if seconds or not out:
        out += f"{seconds}s"
    return out


def parse_duration(text):
    m = DURATION_RE.match(text or "")
    if not text or not m:
        return None
    sizes = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(g[:-1]) * sizes[g[-1]] for g in m.groups() if g)


class MikroTik(FakeAPI):
    name = "mikrotik"

    def __init__(self, tls, user, password):
        super().__init__(tls)
        self.user = user
        self.password = password
        self.state_lock = threading.Lock()
        self.menus = {"ip/firewall/address-list": [],
                      "ipv6/firewall/address-list": [],
                      "ip/dhcp-server/lease": []}
        self.next_id = 1

    # ---- for tests ----
    def new_id(self):
        self.next_id += 1
        return f"*{self.next_id:X}"

    def add_entry(self, menu, lst, address, comment=None, timeout=None):
        item = {".id": self.new_id(), "list": lst, "address": address,
                "disabled": "false"}
        if comment is not None:
            item["comment"] = comment
        self._set_timeout(item, timeout)
        with self.state_lock:
            self.menus[menu].append(item)
        return item[".id"]

    def add_lease(self, mac, address, dynamic=True, lists="",
                  blocked=False):
        item = {".id": self.new_id(), "mac-address": mac.upper(),
                "address": address, "server": "defconf",
                "dynamic": "true" if dynamic else "false",
                "block-access": "true" if blocked else "false",
                "status": "bound"}
        if lists:
            item["address-lists"] = lists
        with self.state_lock:
            self.menus["ip/dhcp-server/lease"].append(item)
        return item[".id"]

    def items(self, menu):
        with self.state_lock:
            self._expire()
            return [self._render(menu, it) for it in self.menus[menu]]

    def reboot(self):
        """Dynamic address-list entries live in RAM only."""
        with self.state_lock:
            for menu in ("ip/firewall/address-list",
                         "ipv6/firewall/address-list"):
                self.menus[menu] = [it for it in self.menus[menu]
                                    if "_until" not in it]

    # ---- the API ----
    def _set_timeout(self, item, timeout):
        if timeout:
            item["_until"] = time.monotonic() + parse_duration(timeout)
            item["dynamic"] = "true"
        else:
            item.pop("_until", None)
            item["dynamic"] = "false"

    def _expire(self):
        now = time.monotonic()
        for menu, items in self.menus.items():
            self.menus[menu] = [it for it in items
                                if it.get("_until", now + 1) > now]

    def _render(self, menu, item):
        out = {k: v for k, v in item.items() if not k.startswith("_")}
        if "_until" in item:
            out["timeout"] = ros_duration(item["_until"] - time.monotonic())
        if menu.endswith("address-list"):
            out.setdefault("creation-time", "2025-01-01 00:00:00")
        return out

    @staticmethod
    def _error(status, message, detail=None):
        body = {"error": status, "message": message}
        if detail:
            body["detail"] = detail
        return Reply(status, body)

    def _authorized(self, req):
        auth = req.headers.get("authorization", "")
        if not auth.startswith("Basic "):
            self.violation(req, "no HTTP Basic authorization")
            return False
        try:
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            self.violation(req, "Authorization is not base64 user:pass")
            return False
        return user == self.user and pw == self.password

    def _body(self, req):
        """The request's JSON object, all values strings, or None."""
        ctype = req.headers.get("content-type", "")
        self.require(req, ctype.startswith("application/json"),
                     f"Content-Type is {ctype!r}, not application/json")
        body = req.json()
        if not self.require(req, isinstance(body, dict),
                            "body is not a JSON object"):
            return None
        for k, v in body.items():
            self.require(req, isinstance(v, str),
                         f"value of {k!r} is {type(v).__name__}, not a "
                         "string")
        return body

    def _check_alist(self, req, menu, body, fields_required):
        for k in body:
            self.require(req, k in ALIST_FIELDS,
                         f"unknown address-list field {k!r}")
        for k in fields_required:
            self.require(req, k in body, f"no {k!r}")
        if "address" in body:
            try:
                addr = ipaddress.ip_address(body["address"])
                want = 6 if menu.startswith("ipv6") else 4
                self.require(req, addr.version == want,
                             f"IPv{addr.version} address in {menu}")
                self.require(req, str(addr) == body["address"],
                             "address not in canonical form")
            except ValueError:
                self.violation(req, f"address {body['address']!r} is not "
                               "an IP address")
        if "timeout" in body:
            self.require(req, parse_duration(body["timeout"]) is not None,
                         f"timeout {body['timeout']!r} is no duration")

    def _find(self, menu, iid):
        for it in self.menus.get(menu, []):
            if it[".id"] == iid:
                return it
        return None

    def handle(self, req):
        if not self._authorized(req):
            return self._error(401, "Unauthorized")
        if not req.path.startswith("/rest/"):
            self.violation(req, "not under /rest")
            return self._error(404, "Not Found")
        path = req.path[len("/rest/"):]
        with self.state_lock:
            self._expire()
            if path in self.menus:
                return self._on_menu(req, path)
            menu, _, last = path.rpartition("/")
            if menu in self.menus and ID_RE.match(last):
                return self._on_item(req, menu, last)
            if path == "ip/dhcp-server/lease/make-static":
                return self._make_static(req)
        self.violation(req, "no such menu")
        return self._error(404, "Not Found")

    def _on_menu(self, req, menu):
        if req.method == "GET":
            items = self.menus[menu]
            for field, values in req.query.items():
                if field.startswith("."):
                    continue
                items = [it for it in items if it.get(field) == values[-1]]
            return Reply(200, [self._render(menu, it) for it in items])
        if req.method == "PUT" and menu.endswith("address-list"):
            body = self._body(req)
            if body is None:
                return self._error(400, "Bad Request")
            self._check_alist(req, menu, body, ("list", "address"))
            for it in self.menus[menu]:
                if (it["list"] == body.get("list") and
                        it["address"] == body.get("address")):
                    return self._error(400, "Bad Request",
                                       "failure: already have such entry")
            item = {".id": self.new_id(), "disabled": "false"}
            item.update({k: v for k, v in body.items() if k != "timeout"})
            self._set_timeout(item, body.get("timeout"))
            self.menus[menu].append(item)
            return Reply(200, self._render(menu, item))
        self.violation(req, f"{req.method} on {menu}")
        return self._error(400, "Bad Request")

    def _on_item(self, req, menu, iid):
        item = self._find(menu, iid)
        if item is None:
            return self._error(404, "Not Found", "no such item")
        if req.method == "GET":
            return Reply(200, self._render(menu, item))
        if req.method == "DELETE":
            self.menus[menu].remove(item)
            return Reply(204, b"")
        if req.method == "PATCH":
            body = self._body(req)
            if body is None:
                return self._error(400, "Bad Request")
            if menu.endswith("address-list"):
                self._check_alist(req, menu, body, ())
                if "timeout" in body:
                    self._set_timeout(item, body["timeout"])
                item.update({k: v for k, v in body.items()
                             if k != "timeout"})
                return Reply(200, self._render(menu, item))
            for k in body:
                self.require(req, k in LEASE_SET_FIELDS,
                             f"unknown lease field {k!r}")
            if item["dynamic"] == "true":
                return self._error(400, "Bad Request",
                                   "failure: can not change dynamic lease")
            if "block-access" in body:
                v = body["block-access"]
                self.require(req, v in ("yes", "no", "true", "false"),
                             f"block-access {v!r}")
                item["block-access"] = ("true" if v in ("yes", "true")
                                        else "false")
            if "address-lists" in body:
                item["address-lists"] = body["address-lists"]
                if not item["address-lists"]:
                    del item["address-lists"]
            return Reply(200, self._render(menu, item))
        self.violation(req, f"{req.method} on an item")
        return self._error(400, "Bad Request")

    def _make_static(self, req):
        if not self.require(req, req.method == "POST",
                            "make-static is a POST command"):
            return self._error(400, "Bad Request")
        body = self._body(req)
        item = self._find("ip/dhcp-server/lease",
                          (body or {}).get(".id", ""))
        if item is None:
            self.violation(req, "make-static without a lease's .id")
            return self._error(400, "Bad Request", "no such item")
        item[".id"] = self.new_id()
        item["dynamic"] = "false"
        return Reply(200, [])
