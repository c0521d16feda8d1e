"""A stateful emulation of HashiCorp Vault's KV version 2 engine.

What it follows (hashicorp/vault website/content/api-docs/secret/kv/kv-v2.mdx):

    GET    /v1/MOUNT/data/PATH[?version=N]   {"data":{"data":{},"metadata":{}}}
    POST   /v1/MOUNT/data/PATH               {"options":{"cas":N},"data":{}}
    GET    /v1/MOUNT/metadata/PATH           current_version, versions{}...
    POST   /v1/MOUNT/destroy/PATH            {"versions":[N]} -> 204
    POST   /v1/MOUNT/delete/PATH             soft delete -> 204

Every request needs X-Vault-Token (403 "permission denied" otherwise);
errors are {"errors":[...]}; a missing secret is 404 with "errors":[].
Check-and-set: with options.cas, cas 0 writes only a new secret and
cas N only when N is the current version, else 400 "check-and-set
parameter did not match the current version"; cas_required (per secret)
makes a write without cas a 400 "check-and-set parameter required for
this call".  max_versions drops the oldest versions.  A request outside
this list is a violation (the client used an API Vault does not have).

For tests: put(path, data) writes like another client would; value(),
version(), destroyed(); every value ever written is kept in .written
(even destroyed ones) so a test can search logs for them; race(path,
data) makes the next write to path lose a check-and-set race.
"""
import threading
import time

from .base import FakeAPI, Reply


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())


class Secret:
    def __init__(self):
        self.versions = {}          # n -> {"data", "created_time", ...}
        self.current = 0
        self.oldest = 0
        self.cas_required = False
        self.max_versions = 0       # 0: Vault's default of 10

    def metadata(self):
        return {
            "cas_required": self.cas_required,
            "created_time": self.versions[min(self.versions)]
            ["created_time"] if self.versions else _now(),
            "current_version": self.current,
            "custom_metadata": None,
            "delete_version_after": "0s",
            "max_versions": self.max_versions,
            "oldest_version": self.oldest,
            "updated_time": _now(),
            "versions": {str(n): {"created_time": v["created_time"],
                                  "deletion_time": v["deletion_time"],
                                  "destroyed": v["destroyed"]}
                         for n, v in self.versions.items()},
        }


class FakeVault(FakeAPI):
    name = "vault"

    def __init__(self, tls=None, token="s.labwarden-test", mounts=("secret",)):
        super().__init__(tls=tls)
        self.token = token
        self.mounts = set(mounts)
        self.secrets = {}           # (mount, path) -> Secret
        self.written = []           # every data dict ever stored
        self._races = {}
        self._state = threading.Lock()

    # ---- for tests ----
    def put(self, path, data, mount="secret"):
        """Write a version as another client would; returns its number."""
        with self._state:
            return self._write(mount, path, dict(data))

    def secret(self, path, mount="secret"):
        return self.secrets.get((mount, path))

    def version(self, path, mount="secret"):
        s = self.secret(path, mount)
        return s.current if s else 0

    def value(self, path, field, version=None, mount="secret"):
        s = self.secret(path, mount)
        if not s:
            return None
        v = s.versions.get(version or s.current)
        if not v or v["destroyed"] or v["data"] is None:
            return None
        return v["data"].get(field)

    def destroyed(self, path, version, mount="secret"):
        s = self.secret(path, mount)
        return bool(s and version in s.versions and
                    s.versions[version]["destroyed"])

    def race(self, path, data, mount="secret"):
        """Another writer stores data just before the next write to path
        is handled, so that write's check-and-set no longer matches."""
        with self._state:
            self._races[(mount, path)] = dict(data)

    # ---- the API ----
    def _write(self, mount, path, data):
        s = self.secrets.setdefault((mount, path), Secret())
        s.current += 1
        s.versions[s.current] = {"data": data, "created_time": _now(),
                                 "deletion_time": "", "destroyed": False}
        self.written.append(dict(data))
        keep = s.max_versions or 10
        while len(s.versions) > keep:
            del s.versions[min(s.versions)]
        s.oldest = min(s.versions)
        return s.current

    def _route(self, req):
        """(mount, api, path) of /v1/MOUNT/API/PATH, or None."""
        if not req.path.startswith("/v1/"):
            return None
        rest = req.path[4:]
        for mount in sorted(self.mounts, key=len, reverse=True):
            if rest.startswith(mount + "/"):
                tail = rest[len(mount) + 1:]
                api, _, path = tail.partition("/")
                return mount, api, path
        return None

    def handle(self, req):
        token = req.headers.get("x-vault-token")
        if not self.require(req, token is not None, "no X-Vault-Token"):
            return Reply(403, {"errors": ["permission denied"]})
        if token != self.token:
            return Reply(403, {"errors": ["permission denied"]})
        route = self._route(req)
        if not route or not route[2]:
            self.violation(req, "not a KV v2 path on a mounted engine")
            return Reply(404, {"errors": ["no handler for route"]})
        mount, api, path = route
        if req.method in ("POST", "PUT"):
            self.require(req, (req.headers.get("content-type") or "")
                         .startswith("application/json"),
                         "a JSON body without Content-Type: application/json")
        with self._state:
            if api == "data" and req.method == "GET":
                return self._read(req, mount, path)
            if api == "data" and req.method in ("POST", "PUT"):
                return self._post(req, mount, path)
            if api == "metadata" and req.method == "GET":
                s = self.secrets.get((mount, path))
                if not s:
                    return Reply(404, {"errors": []})
                return Reply(200, {"data": s.metadata()})
            if api in ("destroy", "delete") and req.method in ("POST", "PUT"):
                return self._versions(req, mount, path, api)
        self.violation(req, f"{req.method} on {api}/ is not in the KV v2 API")
        return Reply(405, {"errors": ["unsupported operation"]})

    def _read(self, req, mount, path):
        s = self.secrets.get((mount, path))
        want = req.query.get("version", ["0"])[0]
        if not want.isdigit():
            self.violation(req, "version is not a number")
            return Reply(400, {"errors": ["invalid version"]})
        n = int(want) or (s.current if s else 0)
        v = s.versions.get(n) if s else None
        if not v:
            return Reply(404, {"errors": []})
        meta = {"created_time": v["created_time"], "custom_metadata": None,
                "deletion_time": v["deletion_time"],
                "destroyed": v["destroyed"], "version": n}
        if v["destroyed"] or v["deletion_time"]:
            return Reply(404, {"data": {"data": None, "metadata": meta}})
        return Reply(200, {"data": {"data": v["data"], "metadata": meta}})

    def _post(self, req, mount, path):
        body = req.json()
        if not self.require(req, isinstance(body, dict) and
                            isinstance(body.get("data"), dict),
                            "the body has no data object"):
            return Reply(400, {"errors": ["no data provided"]})
        options = body.get("options") or {}
        cas = options.get("cas")
        if not self.require(req, cas is None or (isinstance(cas, int) and
                                                 cas >= 0),
                            "options.cas is not a whole number"):
            return Reply(400, {"errors": ["invalid cas"]})
        race = self._races.pop((mount, path), None)
        if race is not None:
            self._write(mount, path, race)
        s = self.secrets.get((mount, path))
        current = s.current if s else 0
        if cas is None and s and s.cas_required:
            return Reply(400, {"errors": [
                "check-and-set parameter required for this call"]})
        if cas is not None and cas != current:
            return Reply(400, {"errors": [
                "check-and-set parameter did not match the current "
                "version"]})
        n = self._write(mount, path, body["data"])
        v = self.secrets[(mount, path)].versions[n]
        return Reply(200, {"data": {"created_time": v["created_time"],
                                    "custom_metadata": None,
                                    "deletion_time": "", "destroyed": False,
                                    "version": n}})

    def _versions(self, req, mount, path, api):
        body = req.json()
        versions = body.get("versions") if isinstance(body, dict) else None
        if not self.require(req, isinstance(versions, list) and versions and
                            all(isinstance(n, int) for n in versions),
                            f"{api} needs versions: a list of numbers"):
            return Reply(400, {"errors": ["no version number provided"]})
        s = self.secrets.get((mount, path))
        for n in versions:
            v = s.versions.get(n) if s else None
            if v and api == "destroy":
                v["destroyed"] = True
                v["data"] = None
            elif v:
                v["deletion_time"] = _now()
        return Reply(204, b"")


class ReloadHook(FakeAPI):
    """A service's reload endpoint: records each call and answers 200."""
    name = "reload"

    def handle(self, req):
        return Reply(200, {"reloaded": True})

