# SPDX-License-Identifier: MIT
"""Client: the same methods as Context, against a running apcd over HTTP(S).

apcd holds the data directory's lock while it runs, so a second process reaches the store
through it: every action is a POST of a form body to /ajax (docs/api.md), with the token that
login returned. Only the standard library (urllib) is used.
"""
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

from .base import ApcError, BaseClient, param_items


class Client(BaseClient):
    """A session with apcd at `url` (http://host:port or https://...). Logs in at once; close()
    (or leaving a with block) logs out. Action failures raise ApcError as in Context; a server
    that cannot be reached raises OSError (urllib.error.URLError)."""

    def __init__(self, url: str, user: Optional[str] = None, password: Optional[str] = None,
                 cafile: Optional[str] = None, timeout: float = 300.0):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("url %r: expected http://HOST[:PORT] or https://HOST[:PORT]" % url)
        self._ajax = urllib.parse.urlunsplit((parts.scheme, parts.netloc,
                                              parts.path.rstrip("/") + "/ajax", "", ""))
        self._timeout = timeout
        # cafile: a CA bundle (or the server's own certificate) to trust instead of the system's.
        self._ssl = ssl.create_default_context(cafile=cafile) if parts.scheme == "https" else None
        self.token: Optional[str] = None
        if user is not None:
            self.token = self.call("login", username=user, password=password or "")

    def response(self, action: str, **params: Any) -> Dict[str, Any]:
        """The whole RESPONSE object of an action (docs/api.md)."""
        items = param_items(params)
        items.insert(0, ("action", action))
        if self.token is not None and action != "login":
            items.insert(1, ("token", self.token))
        body = urllib.parse.urlencode(items).encode()
        req = urllib.request.Request(self._ajax, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=self._timeout, context=self._ssl) as r:
                data = r.read()
        except urllib.error.HTTPError as e:
            # apcd answers every RESPONSE with 200; another status (413, a refused Host) may
            # still carry a RESPONSE body, else the status is the error.
            data = e.read()
            try:
                reply = json.loads(data)
            except ValueError:
                raise ApcError(1, "HTTP %d %s from %s" % (e.code, e.reason, self._ajax)) from None
            if isinstance(reply, dict) and "ErrorCode" in reply:
                return reply
            raise ApcError(1, "HTTP %d %s from %s" % (e.code, e.reason, self._ajax)) from None
        try:
            reply = json.loads(data)
        except ValueError:
            raise ApcError(1, "%s answered something that is not JSON" % self._ajax) from None
        if not isinstance(reply, dict) or "ErrorCode" not in reply:
            raise ApcError(1, "%s answered JSON that is not a RESPONSE" % self._ajax)
        return reply

    def logout(self) -> None:
        """Ends the session on the server; later calls go without a token."""
        if self.token is not None:
            try:
                self.call("logout")
            finally:
                self.token = None

    def close(self) -> None:
        self.logout()


def connect(url: str, user: Optional[str] = None, password: Optional[str] = None,
            cafile: Optional[str] = None, timeout: float = 300.0) -> Client:
    """A Client logged in to apcd at url (no login when user is None: apcd without auth)."""
    return Client(url, user, password, cafile=cafile, timeout=timeout)
