"""Parsing command lines: keyword values run to the next known key, so nothing needs quoting."""

from bot.commands import Spec, parse
from bot.handlers import build_registry


def spec(keys):
    return Spec("x", "", "", lambda *a: None, keys)


def test_values_run_to_the_next_key():
    cmd = parse(spec(("brief", "request")), " brief=8 photos, JPG, 1 week request=can you add two more? ")
    assert cmd.kv == {"brief": "8 photos, JPG, 1 week", "request": "can you add two more?"}
    assert cmd.text == ""


def test_free_text_before_keys_and_file_tokens():
    cmd = parse(spec(("amount", "currency", "role")), "Soap photos  amount=88 currency=USD role=client")
    assert cmd.text == "Soap photos" and cmd.kv["amount"] == "88" and cmd.kv["role"] == "client"
    line = 'two samples file=/tmp/a.jpg file="/tmp/my pics/b.jpg"'
    files = parse(spec(()), line, local_files=True)  # the console only
    assert files.files == ["/tmp/a.jpg", "/tmp/my pics/b.jpg"] and files.text == "two samples"
    remote = parse(spec(()), line)  # any chat platform: plain text, never a path to open
    assert remote.files == [] and "file=/tmp/a.jpg" in remote.text


def test_lookup_handles_groups_bot_suffix_and_fallbacks():
    reg = build_registry()
    assert reg.lookup("/brief agree")[0].word == "brief agree"
    s, rest = reg.lookup("/brief 8 pictures")
    assert s.word == "brief" and rest == "8 pictures"
    assert reg.lookup("/case@MediatorBot new X")[0].word == "case new"
    assert reg.lookup("/case frob")[0] is None
    assert reg.lookup("/nothing")[0] is None
