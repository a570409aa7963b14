"""The test toolkit: drivers that talk to the bot on each platform with one API (`say()` then
`expect()`), story builders that bring a case to any stage in one call, the shared texts, fake
servers and file makers, and waiting without fixed sleeps.

    chat (ChatDriver)          the real engine through the in-memory adapter   tests.kit.engine
    start_rig (TelegramDriver) python-telegram-bot against a fake Bot API      tests.kit.telegram
    world (DiscordDriver)      discord.py against a fake Discord               tests.kit.discord
    ConsoleDriver              a `mediator console --json` process             tests.kit.console
    case_at(driver, stage)     a case opened, agreed, delivered, disputed...   tests.kit.stories
    quiet(), until()           poll until settled / until true, with timeouts  tests.kit.wait

The fixtures are registered for every test module by `pytest_plugins` in tests/conftest.py.
"""

from tests.kit.replies import Turn, expect
from tests.kit.stories import STAGES, Case, case_at
from tests.kit.texts import CREEP, JPEG_STUB, SOAP_BRIEF
from tests.kit.wait import quiet, until

__all__ = ["CREEP", "JPEG_STUB", "SOAP_BRIEF", "STAGES", "Case", "Turn", "case_at", "expect", "quiet", "until"]
