"""The pieces of tamper evidence and case replay that need no store."""

from __future__ import annotations

import json

from shared.audit.chain import GENESIS, link, seal, unseal
from shared.audit.checkpoints import Checkpoint
from shared.audit.history import case_history, causal_order
from shared.audit.signing import CheckpointSigner

KEY = b"k" * 32


def test_a_sealed_state_is_still_json_and_unseals_to_the_original():
    for state in (b"{}", b'{"reply":"noted","amount":"12.50"}'):
        chain_link = link(KEY, GENESIS, "stream", 1, "m:Complaint.Registered", state)
        sealed = seal(state, chain_link)
        assert json.loads(sealed)["_chain"] == chain_link.hex()
        assert unseal(sealed) == (state, chain_link)
    assert unseal(b'{"reply":"noted"}') == (b'{"reply":"noted"}', None)


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
