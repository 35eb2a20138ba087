"""Without a mail server (the embedded default), emails land in a maildir any client reads."""

import mailbox

import pytest

from services.intake.contracts import to_integration as intake_contract
from services.notifications.channels import MaildirChannel
from tests.support.builders import clerk_meta, intake_app, registration
from tests.support.notifications_story import notifications_app, plan_all

pytestmark = pytest.mark.integration


async def test_an_email_lands_in_the_maildir_even_when_its_folder_exists_already(tmp_path):
    intake, notifications = intake_app(), notifications_app()
    complainant = {"name": "Li", "type": "consumer", "contact": "li@example.com"}
    intake.register(registration(complainant=complainant), clerk_meta())
    [delivery] = plan_all(notifications, (intake, "intake", intake_contract))
    (tmp_path / "mail").mkdir()

    outcome = await MaildirChannel(tmp_path / "mail").attempt(delivery)

    assert outcome.ok, outcome.detail
    [message] = mailbox.Maildir(tmp_path / "mail", create=False)
    assert message["Message-ID"] == delivery.content["message_id"]
    assert message["To"] == "li@example.com"
