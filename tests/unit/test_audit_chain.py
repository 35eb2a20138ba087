"""The pieces of tamper evidence and case replay that need no store."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from shared.platform.audit.chain import GENESIS, content_digest, link, seal, unseal
from shared.platform.audit.checkpoints import Checkpoint, log_step
from shared.platform.audit.history import case_history, causal_order
from shared.platform.audit.signing import CheckpointSigner

KEY = b"k" * 32
KEY_ID = "5eed" * 4


def test_a_sealed_state_is_still_json_and_unseals_to_the_original_with_its_key_id():
    for state in (b"{}", b'{"reply":"noted","amount":"12.50"}'):
        chain_link = link(KEY, GENESIS, "stream", 1, "m:Complaint.Registered", state)
        sealed = seal(state, KEY_ID, chain_link)
        assert json.loads(sealed)["_chain"] == f"{KEY_ID}:{chain_link.hex()}"
        assert unseal(sealed) == (state, KEY_ID, chain_link)
    assert unseal(b'{"reply":"noted"}') == (b'{"reply":"noted"}', None, None)


def test_a_link_from_before_key_ids_unseals_without_one():
    chain_link = link(KEY, GENESIS, "stream", 1, "m:Complaint.Registered", b'{"a":1}')
    before_key_ids = b'{"a":1,"_chain":"' + chain_link.hex().encode() + b'"}'
    assert unseal(before_key_ids) == (b'{"a":1}', None, chain_link)


def test_the_log_chain_of_format_2_hashes_each_event_s_content_and_format_1_did_not():
    digest = content_digest("s", 1, "m:Case.Approved", KEY_ID, b'{"a":1}')
    assert content_digest("s", 1, "m:Case.Approved", KEY_ID, b'{"a":2}') != digest
    assert content_digest("s", 1, "m:Case.Approved", "0" * 16, b'{"a":1}') != digest
    chain_link = b"\x07" * 32
    assert log_step(GENESIS, 1, chain_link, digest) != log_step(GENESIS, 1, chain_link)
    assert (
        log_step(GENESIS, 1, chain_link)
        == hashlib.sha256(GENESIS + (1).to_bytes(8, "big") + chain_link).digest()
    )


def test_checkpoints_signed_before_the_log_format_existed_keep_their_signature():
    signer = CheckpointSigner(b"s" * 32)
    keys = {signer.key_id: signer.public}
    signed = Checkpoint("intake", 10, "ab" * 32, 10, "2026-11-23T00:00:00+00:00").signed_by(signer)
    assert signed.log_format == 2
    format_1 = replace(signed, log_format=1, signature="")
    format_1 = replace(format_1, signature=signer.sign(format_1.message()))
    assert "log_format" not in format_1.fields()
    assert Checkpoint(**format_1.fields()).genuine(KEY, keys)
    assert not replace(format_1, log_format=2).genuine(KEY, keys)


def test_a_link_binds_the_predecessor_the_stream_the_version_the_type_and_the_state():
    base = ("s", 2, "m:Case.Approved", b'{"a":1}')
    reference = link(KEY, GENESIS, *base)
    assert link(KEY, b"\x01" * 32, *base) != reference
    assert link(KEY, GENESIS, "t", *base[1:]) != reference
    assert link(KEY, GENESIS, "s", 3, *base[2:]) != reference
    assert link(KEY, GENESIS, "s", 2, "m:Case.Rejected", b'{"a":1}') != reference
    assert link(KEY, GENESIS, "s", 2, "m:Case.Approved", b'{"a":2}') != reference
    assert link(b"x" * 32, GENESIS, *base) != reference


def test_a_checkpoint_signature_covers_every_field():
    signer = CheckpointSigner(b"s" * 32)
    keys = {signer.key_id: signer.public}
    checkpoint = Checkpoint("intake", 10, "ab" * 32, 10, "2026-11-23T00:00:00+00:00")
    signed = checkpoint.signed_by(signer)
    assert signed.genuine(KEY, keys)
    assert not Checkpoint(**{**signed.__dict__, "events": 11}).genuine(KEY, keys)
    assert not Checkpoint(**{**signed.__dict__, "key_id": "0" * 16}).genuine(KEY, keys)
    assert not signed.genuine(KEY, {signer.key_id: CheckpointSigner(b"t" * 32).public})


def test_a_checkpoint_from_before_public_keys_still_verifies_with_the_link_key():
    legacy = Checkpoint("intake", 10, "ab" * 32, 10, "2026-11-23T00:00:00+00:00").signed(KEY)
    assert legacy.genuine(KEY, {})
    assert not Checkpoint(**{**legacy.__dict__, "events": 11}).genuine(KEY, {})
    assert not legacy.genuine(b"x" * 32, {})


def test_merged_histories_never_put_an_effect_before_its_cause():
    registered = {"event_id": "a", "service": "intake", "version": 1, "at": "10:00:02"}
    opened = {
        "event_id": "b",
        "service": "routing",
        "version": 1,
        "at": "10:00:01",  # the routing host's clock runs a second behind
        "causation_id": "a",
    }
    acknowledged = {"event_id": "c", "service": "intake", "version": 2, "at": "10:00:03"}
    merged = causal_order([acknowledged, opened, registered])
    assert [e["event_id"] for e in merged] == ["a", "b", "c"]


def test_a_batch_alert_belongs_to_the_history_of_every_case_it_counts():
    from tests.support.builders import analytics_app, clerk_meta

    analytics = analytics_app()
    regions = {"East": ["2611-0001"], "West": ["2611-0007"], "North": ["2611-0009"]}
    analytics.raise_alert("2645", regions, 30, {**clerk_meta(), "case_number": "2611-0009"})
    for number in ("2611-0001", "2611-0007", "2611-0009"):
        [alert] = case_history(analytics, number)
        assert (alert["service"], alert["type"]) == ("analytics", "BatchAlert.Raised")
        assert alert["data"]["regions"] == regions
    assert case_history(analytics, "2611-0002") == []


def test_a_proof_too_large_for_one_answer_is_refused_before_it_is_read():
    from shared.kernel.errors import Invalid
    from shared.platform.audit.export import ORIGIN, check_bounded

    first = Checkpoint("intake", 900, "ab" * 32, 900, "2026-11-06T02:00:00+00:00")
    second = Checkpoint("intake", 2000, "cd" * 32, 1800, "2026-11-06T02:00:10+00:00")
    check_bounded("2611-0001", {(ORIGIN, first), (first, second)}, limit=1800)
    with pytest.raises(Invalid) as refused:
        check_bounded("2611-0001", {(ORIGIN, first), (first, second)}, limit=1799)
    assert (refused.value.field, refused.value.rule) == ("number", "proof_within_bounds")
