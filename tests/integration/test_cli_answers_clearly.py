"""The command line says in one line what is wrong, never with a traceback.

An auditor mistypes the case number; another runs the command while the system is down; a
developer mints a token the services would refuse, or one for a billion hours.
"""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cli.main import main
from shared.platform.audit.signing import public_pem
from tests.support.infra import free_port

pytestmark = pytest.mark.integration


def refusal(args: list[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert isinstance(stopped.value.code, str), stopped.value.code
    return stopped.value.code


def test_a_mistyped_case_number_is_named_with_the_expected_form():
    assert refusal(["audit", "show", "26-1"]) == (
        "'26-1' is not a case number; expected YYMM-NNNN, e.g. 2611-0042"
    )


@pytest.mark.parametrize("action", ["show", "export"])
def test_services_that_are_not_running_are_named_with_what_to_do(tmp_path, monkeypatch, action):
    port = free_port()  # nothing listens there
    for service in ("intake", "routing", "settlement", "analytics"):
        monkeypatch.setenv(f"COMPLAINTS_{service.upper()}_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("COMPLAINTS_DATA_DIR", str(tmp_path / "data"))
    extra = ["--out", str(tmp_path / "case.jsonl")] if action == "export" else []

    said = refusal(["audit", action, "2611-0001", *extra])

    assert said.startswith(f"cannot reach 127.0.0.1:{port} (")
    assert said.endswith("is the system running? (`make run`)")
    assert not (tmp_path / "case.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["clerk", "x" * 201], "the subject (sub) must be text of 1 to 200 characters"),
        (
            ["handler", "qa-liu", "--unit", "u" * 101],
            "a handler token must carry the 'unit' claim (1 to 100 characters)",
        ),
        (
            ["manager", "mgr-li", "--authority", "gm"],
            "authority level 'gm' is not one of manager, deputy_general_manager, general_manager",
        ),
    ],
)
def test_a_token_the_services_would_refuse_is_not_minted(args, said, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLAINTS_DATA_DIR", str(tmp_path / "data"))
    assert refusal(["token", *args]) == f"no token: {said}"


@pytest.mark.parametrize("hours", ["-5", "0", "1e9", "nan", "eight"])
def test_a_token_lifetime_out_of_bounds_is_named(hours, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["token", "clerk", "clerk-wang", "--hours", hours])
    assert stopped.value.code == 2
    assert "argument --hours:" in capsys.readouterr().err


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_checkpoints_verified_from_nowhere_are_not_a_silent_failure(folder, tmp_path):
    """It exited 1 without a word: an auditor could not tell a typo from a forgery."""
    key = tmp_path / "checkpoint-key.pem"
    key.write_bytes(public_pem(Ed25519PrivateKey.generate().public_key()))
    (tmp_path / "empty").mkdir()
    directory = tmp_path / folder

    said = refusal(["audit", "verify-checkpoints", str(directory), "--public-key", str(key)])

    assert (
        said
        == {
            "missing": f"{directory} is not a directory of checkpoint files",
            "empty": f"no checkpoint files (*.jsonl) in {directory}: nothing was verified",
        }[folder]
    )


def test_verifying_a_store_that_is_not_there_says_so_and_creates_none(
    tmp_path, monkeypatch, capsys
):
    """`complaints audit verify` run without the PostgreSQL settings looked at the embedded
    stores, created them empty, and reported the checkpoints' events gone."""
    monkeypatch.setenv("COMPLAINTS_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(SystemExit) as verified:
        main(["audit", "verify", "intake"])
    assert verified.value.code == 1
    said = json.loads(capsys.readouterr().out)
    assert said["ok"] is False
    assert said["problem"].startswith(f"no store at {tmp_path / 'data' / 'intake.sqlite'}")
    assert "COMPLAINTS_STORE=postgres" in said["problem"]
    assert not (tmp_path / "data" / "intake.sqlite").exists()
