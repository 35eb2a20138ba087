"""Repeat detection knows a customer by its id, else by name and contact, in a bounded key."""

from services.intake.read_models import CUSTOMER_KEY_LENGTH, customer_key


def test_a_customer_id_is_the_key_whatever_the_name():
    assert customer_key({"customer_id": "C-1001", "name": "Zhang San"}) == "id:C-1001"


def test_names_and_contacts_match_whatever_their_case_and_spacing():
    one = customer_key({"name": "Li  Na", "contact": "LI.NA@example.com"})
    assert one == customer_key({"name": "li na", "contact": " li.na@example.com "})
    assert one == "name:li na|li.na@example.com", "short keys stay readable"


def test_a_name_and_contact_at_their_limits_give_a_digest_that_fits_the_column():
    longest = {"name": "ß" * 200, "contact": "c" * 200}  # `ß` folds to `ss`
    key = customer_key(longest)
    assert key.startswith("name#")
    assert len(key) <= CUSTOMER_KEY_LENGTH
    assert key == customer_key({"name": "SS" * 200, "contact": "C" * 200}), "same customer"
    assert key != customer_key({**longest, "contact": "d" * 200})
