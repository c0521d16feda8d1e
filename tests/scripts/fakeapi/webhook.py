"""A webhook receiver that checks labwarden's signature, for t217.

What it holds to (docs/backends.md, webhook):
  - POST only, to the configured path, Content-Type application/json;
  - X-Labwarden-Signature: sha256=<hex HMAC-SHA256 of the exact body
    with the shared secret>;
  - the body is JSON;
  - Authorization: Bearer <token> when a token is set (401 otherwise).
Each accepted body is kept in self.bodies.  Every departure is a
violation.
"""
import hashlib
import hmac
import json

from .base import FakeAPI, Reply


class Webhook(FakeAPI):
    name = "webhook"

    def __init__(self, tls, path, secret, token=None):
        super().__init__(tls)
        self.path = path
        self.secret = secret
        self.token = token
        self.bodies = []

    def handle(self, req):
        self.require(req, req.method == "POST", "not a POST")
        self.require(req, req.path == self.path, "not the webhook's path")
        self.require(req, req.headers.get("content-type") ==
                     "application/json", "Content-Type is not "
                     "application/json")
        want = "sha256=" + hmac.new(self.secret.encode(), req.body,
                                    hashlib.sha256).hexdigest()
        self.require(req, req.headers.get("x-labwarden-signature") == want,
                     "X-Labwarden-Signature is not the HMAC of the body")
        if self.token and req.headers.get("authorization") != \
                "Bearer " + self.token:
            return Reply(401, {"message": "who are you?"})
        try:
            body = json.loads(req.body)
        except ValueError:
            self.violation(req, "the body is not JSON")
            return Reply(400, {"message": "not JSON"})
        self.bodies.append(body)
        return Reply(200, {"ok": True})
