"""Bearer JWTs (PyJWT): verified for signature, issuer, audience and expiry; minted locally.

Two ways to trust a token, chosen by `COMPLAINTS_AUTH_ALGORITHM`:
- HS256, the embedded default: a random secret generated once into `auth_secret_file` and
  shared by the services of one installation; `complaints token` mints with it.
- RS256, for production: the identity provider's public key, from a PEM file or a JWKS URL
  (keys fetched and cached by `PyJWKClient`, so key rotation at the provider just works).

Only the configured algorithm is accepted, so `alg=none` and algorithm-confusion tokens
(an HS256 token signed with the RS256 public key) fail signature checking.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from shared.kernel.principal import ClaimsRefused, Principal, Role
from shared.platform.secrets import installation_secret
from shared.platform.settings import AuthSettings

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]

#: Verified tokens remembered, by their text. A client sends the same token with every
#: request of its session, and checking its signature and claims again each time was a
#: few percent of every service's CPU under load.
REMEMBERED = 1024
#: How long a verification is trusted at most, however long the token runs: the lifespan of
#: `PyJWKClient`'s key cache, so a key withdrawn at the provider stops being trusted no later
#: than it would be without the memo.
REMEMBER_SECONDS = 300


def wall_clock() -> datetime:
    """Token times are real time, not the business clock.

    PyJWT checks `exp` against the system clock, and a drill that starts the business clock
    elsewhere (`COMPLAINTS_CLOCK_SHIFT_SECONDS`) must not make every token expired or not yet valid.
    """
    return datetime.now(UTC)


class Unauthenticated(Exception):
    """No token, or a token that is not genuine, current and meant for us."""


@dataclass(frozen=True)
class Verified:
    """A token that passed every check, and the wall-clock span (epoch seconds) in which
    the same checks would pass again: from its `iat`/`nbf` to its `exp`, with the leeway,
    and no longer than `REMEMBER_SECONDS` after it was checked."""

    principal: Principal
    valid_from: float
    valid_until: float

    def current(self, now: float) -> bool:
        return self.valid_from <= now < self.valid_until


class TokenVerifier:
    def __init__(self, auth: AuthSettings) -> None:
        self.algorithm = auth.algorithm
        self.issuer = auth.issuer
        self.audience = auth.audience
        self.leeway = auth.leeway_seconds
        self._key: Any = None
        self._jwks: jwt.PyJWKClient | None = None
        if self.algorithm == "HS256":
            self._key = installation_secret(auth.secret_file)
        elif auth.public_key_file is not None:
            self._key = auth.public_key_file.read_bytes()
        else:
            self._jwks = jwt.PyJWKClient(str(auth.jwks_url), cache_keys=True)
        self._remembered: dict[str, Verified] = {}
        self._lock = threading.Lock()  # verify may run in worker threads (JWKS fetches)

    @property
    def fetches_keys(self) -> bool:
        """Whether verifying may fetch keys over the network (so it must not block the loop)."""
        return self._jwks is not None

    def verify(self, token: str) -> Principal:
        """The token's principal, from the memo while the checks it passed still hold
        (a clock set back before the token's start is checked again, in full)."""
        now = wall_clock().timestamp()
        remembered = self._remembered.get(token)
        if remembered is not None and remembered.current(now):
            return remembered.principal
        principal, claims = self._checked(token)
        verified = Verified(
            principal,
            valid_from=max(_number(claims, "iat"), _number(claims, "nbf")) - self.leeway,
            valid_until=min(_number(claims, "exp") + self.leeway, now + REMEMBER_SECONDS),
        )
        with self._lock:
            if token not in self._remembered and len(self._remembered) >= REMEMBERED:
                del self._remembered[next(iter(self._remembered))]  # the oldest
            self._remembered[token] = verified
        return principal

    def _checked(self, token: str) -> tuple[Principal, dict[str, Any]]:
        try:
            key = self._key
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
            return Principal.from_claims(claims), claims
        except (jwt.PyJWTError, ValueError) as error:
            raise Unauthenticated(str(error)) from None


def _number(claims: dict[str, Any], name: str) -> float:
    """A time claim PyJWT has accepted (a number), or 0 when it is absent (only `nbf` may be)."""
    return float(claims.get(name, 0))


#: The longest a minted token may live: the CLI's tokens are for people and tests, not for ever.
MAX_MINTED_LIFETIME = timedelta(days=366)


def mint(
    auth: AuthSettings,
    subject: str,
    role: Role | str,
    ttl: timedelta = timedelta(hours=8),
    private_key: bytes | None = None,
    **bindings: str,
) -> str:
    """A token for local use: the CLI, tests, and a service reading another's feed.

    HS256 signs with the installation's secret; RS256 needs the private key (in production
    tokens come from the identity provider, not from here).
    """
    if not timedelta(0) < ttl <= MAX_MINTED_LIFETIME:
        raise ClaimsRefused(
            f"a token's lifetime must be above zero and at most {MAX_MINTED_LIFETIME.days} days"
        )
    now = wall_clock()
    claims = {
        "iss": auth.issuer,
        "aud": auth.audience,
        "sub": subject,
        "role": Role(role).value,
        "iat": now,
        "exp": now + ttl,
        **bindings,
    }
    Principal.from_claims(claims)  # what the services would refuse is not signed
    if auth.algorithm == "HS256":
        return jwt.encode(claims, installation_secret(auth.secret_file), algorithm="HS256")
    if private_key is None:
        raise ValueError("RS256 tokens need the private key")
    return jwt.encode(claims, private_key, algorithm="RS256")


class ServiceCredentials:
    """The bearer header a service sends when it reads another service's feed.

    With HS256 the service mints its own short-lived `service` token; otherwise it presents
    the token configured in `COMPLAINTS_SERVICE_TOKEN_FILE` (issued by the identity provider).
    """

    LIFETIME = timedelta(minutes=15)

    def __init__(self, auth: AuthSettings) -> None:
        self.auth = auth
        self._token: str | None = None
        self._expires = wall_clock()
        self._read_at = 0

    def headers(self) -> dict[str, str]:
        if self.auth.service_token_file is not None:
            return {"Authorization": f"Bearer {self._configured_token()}"}
        if self._token is None or wall_clock() > self._expires - self.LIFETIME / 3:
            self._expires = wall_clock() + self.LIFETIME
            self._token = mint(
                self.auth, f"service:{self.auth.service.value}", Role.service, self.LIFETIME
            )
        return {"Authorization": f"Bearer {self._token}"}

    def _configured_token(self) -> str:
        """The configured token, re-read only when the file changes (a sidecar renews it)."""
        path = self.auth.service_token_file
        assert path is not None
        changed = path.stat().st_mtime_ns
        if self._token is None or changed != self._read_at:
            self._token = path.read_text(encoding="utf-8").strip()
            self._read_at = changed
        return self._token
