"""The configuration page is generated from the settings class and kept current."""

from shared.platform.settings_document import PAGE, render


def test_the_configuration_page_lists_every_setting_as_the_code_reads_it():
    assert PAGE.read_text() == render(), "stale: run python -m shared.platform.settings_document"
