"""Who acts in a test story: bearer tokens for each role, signed like the services check.

Tests and the service processes they start share the installation secret under `var/auth/`
(the embedded default), so a token minted here is accepted there.
"""

from __future__ import annotations

from datetime import timedelta

from shared.kernel.principal import Role
from shared.platform.auth.tokens import mint
from shared.platform.settings import Settings

#: The people of the stories, and what binds their role.
PEOPLE: dict[str, tuple[str, dict[str, str]]] = {
    "clerk": ("clerk-wang", {}),
    "handler": ("qa-liu", {"unit": "quality_management"}),
    "manager": ("mgr-li", {"authority": "manager"}),
    "finance": ("fin-zhou", {}),
    "auditor": ("aud-he", {}),
    "admin": ("adm-root", {}),
    "customer": ("portal-c1001", {"customer_id": "C-1001"}),
    "service": ("service:test", {}),
    "quality_engineer": ("cqe-ma", {}),
    "product_manager": ("pm-gao", {}),
}


def token(role: str, subject: str | None = None, ttl: timedelta = timedelta(hours=1), **bound):
    person, bindings = PEOPLE[role]
    return mint(
        Settings(service="intake").auth, subject or person, Role(role), ttl, **{**bindings, **bound}
    )


def bearer(role: str, subject: str | None = None, **bound: str) -> dict[str, str]:
    """The Authorization header of `role` (its usual person unless `subject` is given)."""
    return {"Authorization": f"Bearer {token(role, subject, **bound)}"}


class SigningProxy:
    """A loopback reverse proxy that adds a bearer token, as an SSO gateway does for browsers.

    Browsers cannot send an Authorization header from a plain link; in production an
    identity-aware proxy in front of the dashboard does, and this stands in for it.
    """

    def __init__(self, upstream: str, headers: dict[str, str]) -> None:
        import http.server
        import threading

        import httpx

        class Forward(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answer = httpx.get(upstream + self.path, headers=headers, timeout=30)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", ""))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *_: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
