"""Messages on the bus signed with the shared keys: the first signs, any verifies."""

import pytest

from shared.platform.bus.signing import HEADER, BusKeys

NEW, OLD = b"n" * 32, b"o" * 32
MESSAGE = b'{"type": "routing.RemedyApproved"}'


def test_unset_keys_sign_and_check_nothing():
    assert BusKeys.load(None) is None


def test_a_message_signed_with_the_first_key_verifies_under_any_listing_it():
    signed = BusKeys((NEW, OLD)).sign(MESSAGE)
    assert BusKeys((NEW,)).refusal(MESSAGE, [(HEADER, signed)]) is None
    assert BusKeys((OLD, NEW)).refusal(MESSAGE, [(HEADER, signed)]) is None, "mid-rotation"


def test_an_unsigned_altered_or_foreign_message_is_refused():
    keys = BusKeys((NEW,))
    signed = keys.sign(MESSAGE)
    assert "unsigned" in keys.refusal(MESSAGE, [("type", b"x")])
    assert "does not match" in keys.refusal(MESSAGE + b" ", [(HEADER, signed)])
    assert "does not match" in keys.refusal(MESSAGE, [(HEADER, BusKeys((OLD,)).sign(MESSAGE))])
    assert "not hmac-sha256" in keys.refusal(MESSAGE, [(HEADER, b"md5=00")])


def test_keys_are_read_one_a_line_and_short_ones_refused(tmp_path):
    path = tmp_path / "keys"
    path.write_text(f"{NEW.decode()}\n\n  {OLD.decode()}  \n")
    assert BusKeys.load(path) == BusKeys((NEW, OLD))
    path.write_text("short\n")
    with pytest.raises(ValueError, match="at least 32 characters"):
        BusKeys.load(path)
    path.write_text("\n")
    with pytest.raises(ValueError, match="one signing key a line"):
        BusKeys.load(path)
