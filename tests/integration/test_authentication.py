"""Only genuine, current tokens meant for us, naming a usable role, get in.

Each forged or stale token is refused with 401 and a `WWW-Authenticate: Bearer` challenge;
the refused request reaches no route. RS256 is checked with a key file and with a JWKS URL,
and the classic algorithm-confusion forgery (HS256 signed with the public key) fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from services.intake.main import create_app
from shared.platform.auth.tokens import mint, wall_clock
from shared.platform.settings import Settings
from tests.support.auth import bearer, token

pytestmark = pytest.mark.integration


def desk_with(tmp_path, **settings) -> TestClient:
    return TestClient(
        create_app(
            Settings(service="intake", data_dir=tmp_path, consumers_enabled=False, **settings)
        )
    )


@pytest.fixture
def desk(tmp_path):
    with desk_with(tmp_path) as client:
        yield client


def claims(**changes):
    now = wall_clock()
    values = {
        "iss": "complaints",
        "aud": "complaints-api",
        "sub": "clerk-wang",
        "role": "clerk",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def secret() -> bytes:
    return Settings(service="intake").auth_secret_file.read_bytes()


def segment(value) -> str:
    raw = json.dumps(value, default=lambda d: int(d.timestamp())).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unsigned(payload) -> str:
    """An `alg=none` token: header and payload, no signature."""
    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(payload)}."


def hs256_signed_with(key: bytes, payload) -> str:
    """The algorithm-confusion forgery, by hand (PyJWT itself refuses to make it)."""
    signed = f"{segment({'alg': 'HS256', 'typ': 'JWT'})}.{segment(payload)}"
    mac = hmac.new(key, signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


FORGERIES = {
    "alg=none": lambda: unsigned(claims()),
    "wrong signature": lambda: jwt.encode(claims(), b"x" * 32, algorithm="HS256"),
    "expired": lambda: jwt.encode(
        claims(exp=wall_clock() - timedelta(minutes=5)), secret(), algorithm="HS256"
    ),
    "not yet valid": lambda: jwt.encode(
        claims(nbf=wall_clock() + timedelta(minutes=5)), secret(), algorithm="HS256"
    ),
    "wrong audience": lambda: jwt.encode(claims(aud="someone-else"), secret(), algorithm="HS256"),
    "wrong issuer": lambda: jwt.encode(claims(iss="evil"), secret(), algorithm="HS256"),
    "missing role": lambda: jwt.encode(claims(role=None), secret(), algorithm="HS256"),
    "unknown role": lambda: jwt.encode(claims(role="root"), secret(), algorithm="HS256"),
    "missing expiry": lambda: jwt.encode(claims(exp=None), secret(), algorithm="HS256"),
    "handler without unit": lambda: jwt.encode(claims(role="handler"), secret(), "HS256"),
    "not a token": lambda: "garbage",
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_bad_token_is_refused_with_a_bearer_challenge(desk, forgery):
    token = FORGERIES[forgery]()
    response = desk.get("/complaints", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


def test_no_token_is_refused_and_a_genuine_one_admitted(desk):
    assert desk.get("/complaints").status_code == 401
    assert desk.get("/complaints", headers=bearer("clerk")).status_code == 200
    assert desk.get("/health").status_code == 200  # probes stay open


def test_the_rate_limit_is_per_token_subject(tmp_path):
    with desk_with(tmp_path, rate_limit_per_minute=3) as desk:
        wang = bearer("clerk")
        assert [desk.get("/taxonomies", headers=wang).status_code for _ in range(3)] == [200] * 3
        refused = desk.get("/taxonomies", headers=wang)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert desk.get("/taxonomies", headers=bearer("clerk", "clerk-li")).status_code == 200


@pytest.fixture(scope="module")
def rsa_keys():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public, key.public_key()


def test_rs256_with_a_key_file_admits_the_providers_tokens_and_not_confused_ones(
    tmp_path, rsa_keys
):
    private, public, _ = rsa_keys
    key_file = tmp_path / "idp.pem"
    key_file.write_bytes(public)
    production = {"auth_algorithm": "RS256", "auth_public_key_file": key_file}
    with desk_with(tmp_path, **production) as desk:
        settings = Settings(service="intake", **production)
        genuine = mint(settings.auth, "clerk-wang", "clerk", private_key=private)
        confused = hs256_signed_with(public, claims())
        hs256 = token("clerk")
        for refused in (confused, hs256):
            answer = desk.get("/complaints", headers={"Authorization": f"Bearer {refused}"})
            assert answer.status_code == 401
        answer = desk.get("/complaints", headers={"Authorization": f"Bearer {genuine}"})
        assert answer.status_code == 200


def test_rs256_keys_come_from_the_providers_jwks_url(tmp_path, rsa_keys):
    private, _, public_key = rsa_keys
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
    document = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})

    class Provider(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document.encode())

        def log_message(self, *_):
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
        with desk_with(tmp_path, auth_algorithm="RS256", auth_jwks_url=url) as desk:
            genuine = jwt.encode(claims(), private, algorithm="RS256", headers={"kid": "k1"})
            answer = desk.get("/complaints", headers={"Authorization": f"Bearer {genuine}"})
            assert answer.status_code == 200, answer.text
            unknown = jwt.encode(claims(), private, algorithm="RS256", headers={"kid": "k2"})
            answer = desk.get("/complaints", headers={"Authorization": f"Bearer {unknown}"})
            assert answer.status_code == 401
    finally:
        server.shutdown()
        server.server_close()


def test_rs256_without_a_key_stops_the_service_naming_the_variables():
    from shared.platform.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="COMPLAINTS_AUTH_PUBLIC_KEY_FILE"):
        load_settings(service="intake", auth_algorithm="RS256")


def test_the_cli_mints_tokens_the_services_accept_and_refuses_unbound_roles(desk, capsys):
    from cli.main import main

    main(["token", "handler", "qa-zhao", "--unit", "logistics", "--hours", "1"])
    minted = capsys.readouterr().out.strip()
    assert desk.get("/complaints", headers={"Authorization": f"Bearer {minted}"}).is_success
    with pytest.raises(SystemExit, match="--unit"):
        main(["token", "handler", "qa-zhao"])


def test_a_service_presents_the_configured_token_and_notices_its_renewal(tmp_path):
    import os

    from shared.platform.auth.tokens import ServiceCredentials

    path = tmp_path / "service.token"
    path.write_text("first\n")
    credentials = ServiceCredentials(Settings(service="routing", service_token_file=path).auth)
    assert credentials.headers() == {"Authorization": "Bearer first"}
    path.write_text("renewed\n")
    os.utime(path, ns=(1, 10**18))
    assert credentials.headers() == {"Authorization": "Bearer renewed"}
