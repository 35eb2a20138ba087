"""Intake's codes: channels, natures, statuses and the classification schemes."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """受理渠道 (docs/domain §2)."""

    phone = "phone"
    letter = "letter"
    fax = "fax"
    email = "email"
    walk_in = "walk_in"
    comment_book = "comment_book"
    web_form = "web_form"
    chat = "chat"
    social_media = "social_media"
    regulator = "regulator"
    consumer_association = "consumer_association"
    media = "media"
    head_office = "head_office"


class Nature(StrEnum):
    """Nature of the complaint (seeds 000, 002): quality-related or not, and which kind."""

    quality = "quality"
    transport = "transport"
    repair = "repair"
    delivery = "delivery"
    service = "service"
    billing = "billing"
    network = "network"
    other = "other"


class Status(StrEnum):
    registered = "registered"  # recorded, validity not yet judged
    in_handling = "in_handling"  # judged valid; routing and settlement at work
    not_valid = "not_valid"  # closed with an explained reply (委婉答复)
    settled = "settled"  # the settlement is complete; awaiting the customer's word
    confirmed = "confirmed"  # the customer confirmed the outcome (书面确认)
    withdrawn = "withdrawn"  # the customer withdrew the complaint


CLOSED = {Status.not_valid, Status.confirmed, Status.withdrawn}

#: Classification schemes a clerk may set, checked against the taxonomies.
CLASSIFICATION_SCHEMES = ("nature", "fault_class", "online_level", "severity", "cause")
