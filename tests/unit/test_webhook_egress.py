"""Webhooks are not sent to networks no receiver has (the cloud's metadata service, link-local,
multicast): a URL written as such an address is refused when the subscription is created, in
whichever form a resolver would read it; a name is let through, to be checked on what it
resolves to at each attempt."""

import pytest
from pydantic import ValidationError

from services.notifications.egress import Egress
from shared.kernel.errors import Invalid
from shared.platform.settings import Settings

DEFAULT = Egress(Settings(service="notifications").refused_networks)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",  # the same address as one number
        "http://0xa9.0xfe.0xa9.0xfe/",  # and in hexadecimal parts
        "http://[::ffff:169.254.169.254]/",  # and mapped into IPv6
        "http://[fd00:ec2::254]/",  # the IPv6 metadata address
        "http://[fe80::1]:8080/",
        "http://0.0.0.0:8080/",
        "https://224.0.0.1/",
    ],
)
def test_a_url_written_as_a_refused_address_is_refused_naming_the_rule(url):
    with pytest.raises(Invalid) as refused:
        DEFAULT.check_url(url)
    assert (refused.value.field, refused.value.rule) == ("url", "refused_network")


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hooks",  # a name: checked when it is resolved
        "http://127.0.0.1:9000/hooks",  # loopback and private networks are allowed by default
        "http://10.1.2.3/hooks",
        "http://[::1]:9000/hooks",
    ],
)
def test_names_private_and_loopback_addresses_pass_by_default(url):
    DEFAULT.check_url(url)


def test_an_installation_refusing_private_networks_lists_them():
    settings = Settings(
        service="notifications", webhook_refused_networks="10.0.0.0/8, 127.0.0.0/8,::1/128"
    )
    egress = Egress(settings.refused_networks)

    assert egress.refuses("10.1.2.3")
    assert egress.refuses("::ffff:127.0.0.1")
    assert not egress.refuses("169.254.169.254"), "what is listed replaces the default"
    with pytest.raises(Invalid):
        egress.check_url("http://127.1/")  # 127.0.0.1, shortened


def test_no_network_refused_is_a_choice_an_empty_list_makes():
    assert Settings(service="notifications", webhook_refused_networks="").refused_networks == ()


def test_a_network_written_with_host_bits_is_refused_at_start():
    with pytest.raises(ValidationError, match="is not a network"):
        Settings(service="notifications", webhook_refused_networks="10.0.0.1/8")
