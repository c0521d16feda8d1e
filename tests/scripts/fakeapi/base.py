"""The shared part of every emulated vendor API used by the tests.

A FakeAPI is an HTTP(S) server on 127.0.0.1 and a free port, served
from a thread, that hands each request to a vendor class's handle()
(OpenWrt ubus, MikroTik REST, UniFi, OPNsense, Vault, webhooks).  The
vendor class checks every request against the vendor's documented API
and records what is wrong in self.violations; a test asserts that list
is empty, so a request the real device would reject fails the test.

Faults are scripted per test: fail the next N matching requests with a
status, hang for S seconds (a router that stops answering), or expire
the session so the client must log in again.

    ca = make_pki(tmpdir)                 # CA + server certificate
    srv = MyVendor(tls=ca)                # subclass of FakeAPI
    srv.start(); ... srv.url ...; srv.stop()
    with MyVendor(tls=ca) as srv: ...     # the same, stopped on the way out
    srv.fault("PUT", "/rest/ip/firewall/address-list", status=500, times=1)
"""
import json
import os
import ssl
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Request:
    """One request as the server saw it."""

    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path            # without the query
        self.query = query          # dict of lists
        self.headers = headers      # dict, lower-case names
        self.body = body            # bytes
        self.time = time.monotonic()

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError:
            return None

    def form(self):
        return urllib.parse.parse_qs(self.body.decode("utf-8", "replace"))

    def __repr__(self):
        return f"{self.method} {self.path}"


class Reply:
    def __init__(self, status=200, body=b"", headers=None, ctype=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            ctype = ctype or "application/json"
        elif isinstance(body, str):
            body = body.encode()
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        if ctype:
            self.headers.setdefault("Content-Type", ctype)


def make_pki(directory, names=("127.0.0.1", "localhost")):
    """A CA and a server certificate for names, made with openssl.

    Returns a dict: ca (CA certificate), cert, key (server), and
    other_ca (a second, unrelated CA for wrong-certificate tests)."""
    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True,
                       timeout=60)
    os.makedirs(directory, exist_ok=True)
    p = {k: os.path.join(directory, k + ".pem") for k in
         ("ca", "ca_key", "cert", "key", "csr", "other_ca", "other_key")}
    for ca, key, cn in ((p["ca"], p["ca_key"], "labwarden test CA"),
                        (p["other_ca"], p["other_key"], "some other CA")):
        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=" + cn, "-keyout", key, "-out", ca)
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + names[0],
         "-keyout", p["key"], "-out", p["csr"])
    ext = os.path.join(directory, "san.cnf")
    with open(ext, "w") as f:
        sans = ",".join(("IP:" if n[0].isdigit() else "DNS:") + n
                        for n in names)
        f.write("subjectAltName=" + sans + "\n")
    ossl("x509", "-req", "-in", p["csr"], "-CA", p["ca"], "-CAkey",
         p["ca_key"], "-CAcreateserial", "-days", "2", "-out", p["cert"],
         "-extfile", ext)
    return p


class FakeAPI:
    """Subclass and define handle(req) -> Reply; call self.violation()
    for every way a request departs from the documented API."""

    name = "fake"

    def __init__(self, tls=None):
        self.tls = tls
        self.requests = []
        self.violations = []
        self._faults = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self.port = None

    # ---- for tests ----
    @property
    def url(self):
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self):
        handler = self._handler_class()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.tls["cert"], self.tls["key"])
            self._server.socket = ctx.wrap_socket(self._server.socket,
                                                  server_side=True)
        # A client that gave up on a hanging reply leaves a closed
        # socket behind; writing the late reply to it is no failure.
        self._server.handle_error = lambda request, address: None
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self if self._server else self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def fault(self, method=None, path=None, status=None, times=1,
              hang=None, body=None):
        """The next `times` requests matching method and path prefix get
        `status` (with body), or hang `hang` seconds before answering
        normally."""
        with self._lock:
            self._faults.append({"method": method, "path": path,
                                 "status": status, "times": times,
                                 "hang": hang, "body": body})

    def seen(self, method=None, path=None):
        """Requests so far matching method and path prefix."""
        with self._lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and
                    (path is None or r.path.startswith(path))]

    def clear(self):
        with self._lock:
            self.requests.clear()

    def violation(self, req, what):
        with self._lock:
            self.violations.append(f"{req.method} {req.path}: {what}")

    # ---- for subclasses ----
    def handle(self, req):
        raise NotImplementedError

    def require(self, req, cond, what):
        """Record a violation unless cond; returns cond."""
        if not cond:
            self.violation(req, what)
        return cond

    # ---- plumbing ----
    def _take_fault(self, req):
        with self._lock:
            for f in self._faults:
                if ((f["method"] is None or f["method"] == req.method) and
                        (f["path"] is None or
                         req.path.startswith(f["path"])) and f["times"] > 0):
                    f["times"] -= 1
                    return dict(f)
        return None

    def _dispatch(self, req):
        with self._lock:
            self.requests.append(req)
        fault = self._take_fault(req)
        if fault and fault["hang"]:
            time.sleep(fault["hang"])
        elif fault and fault["status"]:
            return Reply(fault["status"], fault["body"] or
                         {"error": fault["status"], "message": "injected"})
        try:
            return self.handle(req)
        except Exception as e:      # a bug in the fake is a test failure
            self.violation(req, f"fake server raised {e!r}")
            return Reply(500, {"error": 500, "message": repr(e)})

    def _handler_class(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urllib.parse.urlsplit(self.path)
                req = Request(self.command, urllib.parse.unquote(url.path),
                              urllib.parse.parse_qs(url.query),
                              {k.lower(): v for k, v in
                               self.headers.items()}, body)
                reply = api._dispatch(req)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    if isinstance(v, list):
                        for one in v:
                            self.send_header(k, one)
                    else:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any
            do_HEAD = do_LIST = _any

        return Handler


class Sessions:
    """For a fake with logins: self.sessions maps a session key to a dict
    with "expires" (monotonic seconds); a test sets expire_after to let
    that many more requests through before every session dies."""

    def init_sessions(self):
        self.sessions = {}
        self.logins = 0
        self.expire_after = None

    def live_session(self, key):
        """The session for key, or None when there is none, it timed
        out, or expire_after has run out.  Call holding the fake's own
        state lock."""
        s = self.sessions.get(key)
        if s is None or s["expires"] < time.monotonic():
            return None
        if self.expire_after is not None:
            if self.expire_after <= 0:
                self.sessions.clear()
                self.expire_after = None
                return None
            self.expire_after -= 1
        return s
