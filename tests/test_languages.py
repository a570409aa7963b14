"""Each reader in their own language: the founding story played in Spanish and in Russian on the
console and on both platform fakes, per-reader wording across chats, /lang and /tz, and requests the
English-only scope model cannot read. Whatever the language, the `data` payloads stay the same."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import pytest

from bot.render import Capabilities, render
from tests.kit import CREEP, case_at, filemakers
from tests.kit.console import ConsoleDriver
from tests.kit.discord import CLARA, MAYA
from tests.kit.texts import SOAP_BRIEF

# a phrase each step's answer has in each language, and the English one it must not have
STEPS = ("case_created", "joined", "brief", "agreed", "delivery", "dispute", "vote", "settled")
PHRASES = {
    "en": {
        "case_created": "Invite the client",
        "joined": "joined case",
        "brief": "As read (what /assess checks)",
        "agreed": "The brief is agreed",
        "delivery": "received for case",
        "dispute": "Best first.",
        "vote": "accepted P",
        "settled": "is settled",
    },
    "es": {
        "case_created": "Invita al cliente",
        "joined": "se unió al caso",
        "brief": "Tal como se lee (lo que comprueba /assess)",
        "agreed": "El brief está acordado",
        "delivery": "recibida en el caso",
        "dispute": "Primero la mejor.",
        "vote": "aceptó P",
        "settled": "está resuelto",
    },
    "ru": {
        "case_created": "Пригласите сторону «клиент»",
        "joined": "присоединяется к делу",
        "brief": "Как прочитано (что проверяет /assess)",
        "agreed": "Бриф согласован",
        "delivery": "получена",
        "dispute": "Сначала лучшее.",
        "vote": "приняла P",
        "settled": "урегулировано",
    },
}


def text_of(reply) -> str:
    """What a person reads of a reply (title, text, fields), from any driver."""
    if isinstance(reply, dict):
        return reply["text"]
    return render(reply, Capabilities(buttons=True))


def said(turn) -> str:
    return "\n".join(text_of(r) for r in turn)


def assert_story_in(lang: str, turns) -> None:
    """The eight turns of `case_at(..., "settled")`, each worded in `lang` and in no other language."""
    assert len(turns) >= len(STEPS)
    for step, turn in zip(STEPS, turns[-len(STEPS) :]):
        text = said(turn)
        assert PHRASES[lang][step] in text, f"{step}: no {PHRASES[lang][step]!r} in {text[:400]!r}"
        for other, phrases in PHRASES.items():
            if other != lang:
                assert phrases[step] not in text, f"{step}: {other} phrase {phrases[step]!r} in a {lang} answer"


def assert_payloads_english(turns) -> None:
    """The machine-readable payloads keep their English wording and codes."""
    flat = [r for t in turns for r in t]
    data = [r["data"] if isinstance(r, dict) else r.data for r in flat]
    proposals = next(d for d in data if d.get("type") == "proposals")
    assert proposals["items"][0]["title"] in ("Release the payment in full", "Escalate to a moderator") or proposals[
        "items"
    ][0]["title"].startswith(("Partial refund", "Full refund", "Release"))
    assert all(
        re.fullmatch(r"[\x00-\x7f’“”…—–×\s\S]*", i["rationale"]) and "Facts:" in i["rationale"]
        for i in proposals["items"]
    )
    settled = next(d for d in reversed(data) if d.get("type") == "case_status" and d.get("status") == "settled")
    assert settled["closing"]["how"].startswith("both accepted P")


# --- the founding story, three ways -----------------------------------------------------------


NOTE_ENGLISH = {"es": "sus motivos se dan en inglés", "ru": "обоснование приводится на английском"}


@pytest.mark.model  # the process loads the model at start-up
@pytest.mark.parametrize("lang", ["es", "ru"])
def test_the_story_on_the_console(tmp_path, lang):
    """`mediator console --lang`: the photographer's story, her client's new request flagged on the
    way (the model's reason in English, and a word that it is), settled by both accepting."""
    console = ConsoleDriver(tmp_path, f"sqlite:///{tmp_path}/m.db", "--lang", lang)
    pics = filemakers.photos(tmp_path / "shoot", 8)
    case = asyncio.run(case_at(console, "delivered", files=pics))
    flag = console.line(f"@clara {CREEP}")  # a plain message, scanned against the brief
    dispute = console.line("@clara /dispute I expected something else")
    first = dispute.expect("proposals")["items"][0]["id"]
    vote = console.line(f"@clara /accept {first}")
    settled = console.line(f"@maya /accept {first}")
    assert console.close() == ""
    story = console.turns[:5] + [dispute, vote, settled]
    assert_story_in(lang, story)
    assert_payloads_english(story)
    scope = flag.expect("scope")
    assert scope["out_of_scope"] is True and scope["request_id"] and scope["case_id"] == case.case_id
    assert NOTE_ENGLISH[lang] in flag[0]["text"] and scope["reason"] in flag[0]["text"]  # the reason, in English


async def test_the_story_on_telegram(start_rig, lang="es"):
    rig = await start_rig()
    rig.people["maya"]["language_code"] = "es-ES"
    rig.people["clara"]["language_code"] = "es"
    await case_at(rig, "settled")
    assert_story_in("es", rig.turns)
    assert_payloads_english(rig.turns)
    # what Telegram showed the group is Spanish too, buttons included
    shown = rig.fake.sent(rig.group["id"])
    assert any("Primero la mejor." in m.text for m in shown)
    assert any("Aceptar P1" in json.dumps(m.params, ensure_ascii=False) for m in shown)


async def test_the_story_on_telegram_in_russian(start_rig):
    rig = await start_rig()
    rig.people["maya"]["language_code"] = "ru"
    rig.people["clara"]["language_code"] = "ru"
    await case_at(rig, "settled")
    assert_story_in("ru", rig.turns)
    assert_payloads_english(rig.turns)


@pytest.mark.parametrize(("lang", "code"), [("es", "es-ES"), ("ru", "ru")])
async def test_the_story_on_discord(world, lang, code):
    world.fake.locales.update({MAYA.id: code, CLARA.id: code})
    await case_at(world, "settled")
    assert_story_in(lang, world.turns)
    assert_payloads_english(world.turns)
    seen = "\n".join(s.text for s in world.shown)
    assert PHRASES[lang]["settled"] in seen  # what the person saw on screen, not only what the engine said


async def test_discord_publishes_command_descriptions_in_each_language(world):
    """Slash command descriptions (not names) are localised; the message menu's name too."""
    help_ = next(c for c in world.fake.commands if c["name"] == "help")
    assert help_.get("description_localizations", {}).get("es-ES") == "Qué puede hacer Mediator aquí"
    assert help_["description_localizations"]["ru"] == "Что Mediator умеет здесь"
    assert "name_localizations" not in help_ or not help_["name_localizations"]
    menu = next(c for c in world.fake.commands if c.get("type") == 3)
    assert menu["name_localizations"]["es-ES"] == "Comprobar con el brief"


# --- each reader in their own language ----------------------------------------------------------


async def test_each_chat_reads_its_own_language_and_a_shared_one_the_case_language(chat):
    """Maya (Spanish) opens the case in her chat; Clara (Russian) joins from hers: a notice of the
    case reaches each in their language. In a chat both read, the case's language (the opener's)."""
    created = (
        await chat.say("maya", "/case new Fotos amount=88 currency=USD role=freelancer", chat="g-maya", locale="es")
    ).expect("case_created")
    joined = await chat.say("clara", f"/case join {created['invite_code']} role=client", chat="g-clara", locale="ru")
    here, there = joined[0], next(r for r in joined if r.to and r.to.chat_id == "g-maya")
    assert "присоединяется к делу" in here.text and here.locale == "ru"
    assert "se unió al caso" in there.text and there.locale == "es"
    assert here.data == there.data  # one payload, whoever reads it

    brief = await chat.say("clara", "/brief 8 product pictures, JPG, within 1 week.", chat="g-clara", locale="ru")
    assert {r.locale for r in brief} == {"ru", "es"}
    error = (await chat.say("clara", "/approve", chat="g-clara", locale="ru")).expect("error")
    assert error["message"] == "Say what you approve, e.g. /approve 2 samples"  # programs read English

    # a shared chat: both parties read it, so the case's language (Maya opened the case: Spanish)
    shared = (
        await chat.say("maya", "/case new Logo amount=300 currency=EUR role=freelancer", chat="team", locale="es")
    ).expect("case_created")
    turn = await chat.say("clara", f"/case join {shared['invite_code']} role=client", chat="team", locale="ru")
    assert turn[0].locale == "es" and "se unió al caso" in turn[0].text


async def test_a_choice_made_with_lang_beats_the_platform_and_is_kept(chat):
    shown = await chat.say("clara", "/lang", locale="ru-RU")
    assert shown.expect("preferences")["locale"] == "ru" and "Русский" in shown[0].text
    chosen = await chat.say("clara", "/lang es", locale="ru-RU")
    assert chosen.expect("preferences") == {"type": "preferences", "locale": "es", "chosen": "es"}
    assert "español" in chosen[0].text.lower()
    help_ = await chat.say("clara", "/help", locale="ru-RU")  # the app still says Russian
    assert help_[0].title == "Comandos de Mediator" and help_[0].locale == "es"
    assert (await chat.say("clara", "/lang klingon")).expect("error")["code"] == "unknown_language"
    back = await chat.say("clara", "/lang auto", locale="ru-RU")
    assert back.expect("preferences")["locale"] == "ru" and back[0].locale == "ru"
    assert (await chat.say("eve", "/help", locale="pt-BR"))[0].title == "Mediator commands"  # not spoken: English


async def test_tz_sets_a_valid_time_zone_only(chat):
    assert (await chat.say("clara", "/tz europe/madrid")).expect("preferences")["zone"] == "Europe/Madrid"
    assert (await chat.say("clara", "/tz")).expect("preferences")["zone"] == "Europe/Madrid"
    error = (await chat.say("clara", "/tz Mars/Olympus", locale="es")).expect("error")
    assert error["code"] == "unknown_zone"
    assert (await chat.say("clara", "/tz auto")).expect("preferences")["zone"] == "UTC"


# --- the scope model reads English only ----------------------------------------------------------

SPANISH_REQUEST = "¿Podrías añadir fotos con modelos en una playa? Las quiero para la campaña de verano."


async def test_a_request_in_another_language_gets_no_guessed_label(chat):
    await case_at(chat, "agreed", locale="es")
    scope = await chat.say("clara", f"/scope {SPANISH_REQUEST}", locale="es")
    data = scope.expect("scope")
    assert data["out_of_scope"] is None and data["kind"] is None and data["english"] is False
    assert "solo lee inglés" in scope[0].text and "confianza" not in scope[0].text  # no verdict, no label
    adhoc = await chat.say("eve", f"/scope brief=8 fotos de producto request={SPANISH_REQUEST}", locale="ru")
    assert adhoc.expect("scope")["kind"] is None and "только английский" in adhoc[0].text

    # the rest of the case goes on: the request is recorded, without a verdict
    recorded = await chat.say("clara", f"/request {SPANISH_REQUEST}", locale="es")
    assert recorded.expect("request")["scope"] is None and "solo lee inglés" in recorded[0].text
    # a plain message in Spanish: kept, told once per case that it is not checked
    first = await chat.say("clara", SPANISH_REQUEST + " Y otra foto más.", locale="es")
    assert first.expect("notice")["about"] == "english_only"
    assert await chat.say("clara", "Otra cosa: ¿podrías también editar el vídeo de la campaña?", locale="es") == []


async def test_an_english_request_read_in_another_language_says_the_reasons_are_english(chat):
    await case_at(chat, "agreed", locale="ru")
    scope = await chat.say("clara", "/scope can you add two more pictures?", locale="ru")
    data = scope.expect("scope")
    assert data["out_of_scope"] is True and data["kind"] == "quantity"
    assert "выходит за рамки брифа" in scope[0].text and "обоснование приводится на английском" in scope[0].text


# --- the payloads do not depend on the language ---------------------------------------------------


def _normalised(turns, created: dict) -> list:
    out = []
    for t in turns:
        for r in t:
            d = json.loads(json.dumps(r.data, default=str))
            d.pop("audit_seal", None)
            text = json.dumps(d, sort_keys=True)
            for value in (created["case_id"], created["invite_code"]):
                text = text.replace(value, "X")
            out.append(json.loads(text))
    return out


async def test_the_payloads_are_the_same_in_every_language(new_chat, tmp_path):
    pics = filemakers.photos(tmp_path / "shoot", 8)
    runs = {}
    for lang in ("en", "es", "ru"):
        chat = new_chat(f"sqlite:///{tmp_path}/{lang}.db")
        case = await case_at(chat, "settled", files=pics, locale=lang)
        runs[lang] = _normalised(chat.turns, case.created)
        assert_story_in(lang, chat.turns)
    assert runs["es"] == runs["en"] and runs["ru"] == runs["en"]


# --- stored system-written text, worded again for whoever reads it later -------------------------


async def test_a_deadlines_escalation_reason_is_worded_for_the_moderator_who_reads_it(chat, clock, tmp_path):
    """The reason a deadline wrote is kept in English for the record and shown to a Spanish (and a
    Russian) moderator in their language, in the queue and in the case file."""
    case = await case_at(chat, "delivered", files=filemakers.photos(tmp_path / "shoot", 8))
    await chat.say("clara", "/request please redo all with a model")
    clock.advance(timedelta(days=15))
    assert [r.data["action"] for r in chat.hub.engine.tick() if r.data.get("action") != "reminder"] == ["escalated"]

    english = "the client objected to the delivery and then said nothing for 14 days"
    queue = await chat.say("mod", "/mod queue", locale="es")
    [item] = queue.expect("mod_queue")["items"]
    assert item["reason"] == english  # programs read English
    assert "el cliente objetó la entrega y después no dijo nada durante 14 días" in queue[0].text
    assert english not in queue[0].text
    file = await chat.say("mod", f"/mod case {case.case_id}", locale="ru")
    assert file.expect("case_file")["escalations"][0]["reason"] == english
    assert "клиент возразил против сданной работы, а потом молчал 14 дн." in file[0].text
    assert english not in file[0].text


async def test_a_partial_delivery_sent_to_a_moderator_at_review_is_worded_for_them(chat, clock, tmp_path):
    await case_at(chat, "agreed")
    await chat.say("maya", "/deliver 6 of them", files=[str(p) for p in filemakers.photos(tmp_path / "s", 6)])
    clock.advance(timedelta(days=15))
    fired = [r for r in chat.hub.engine.tick() if r.data.get("action") != "reminder"]
    assert fired and all(r.data["action"] == "escalated" for r in fired)
    queue = await chat.say("mod", "/mod queue", locale="es")
    reason = queue.expect("mod_queue")["items"][0]["reason"]
    assert reason.startswith("the client did not review the delivery within")
    assert "el cliente no revisó la entrega" in queue[0].text and "did not review" not in queue[0].text


async def test_a_withdrawn_acceptance_reads_in_the_moderators_language(chat, tmp_path):
    case = await case_at(chat, "delivered", files=filemakers.photos(tmp_path / "shoot", 8))
    items = (await chat.say("clara", "/dispute I expected something else")).expect("proposals")["items"]
    first, second = items[0]["id"], items[1]["id"]
    await chat.say("clara", f"/accept {first}")
    await chat.say("clara", f"/accept {second}")  # the first is withdrawn
    await chat.say("maya", "/escalate we cannot agree")
    await chat.say("mod", f"/mod take {case.case_id}")
    file = await chat.say("mod", f"/mod case {case.case_id}", locale="es")
    vote = next(v for v in file.expect("case_file")["votes"] if v["proposal"] == first)
    assert vote["reason"] == f"withdrawn for {second}" and not vote["accepted"]
    assert f"retirada por {second}" in file[0].text and "withdrawn for" not in file[0].text


# --- the moderators' channel reads its own language ---------------------------------------------


async def test_discords_moderators_channel_reads_the_servers_language_not_the_partys(world):
    """Parties in Spanish escalate and a moderator in Russian decides elsewhere: the posts in the
    moderators' channel (an English-speaking server) are English, body and title alike."""
    from tests.kit.discord import MOD, ask, channel_posts, message_with_button, unescape
    from tests.kit.fake_discord import MOD_CHANNEL_ID, OTHER_CHANNEL_ID

    fake = world.fake
    fake.locales.update({MAYA.id: "es-ES", CLARA.id: "es-ES", MOD.id: "ru"})
    case = await case_at(world, "agreed")
    said_there = await ask(fake, CLARA, "escalate", reason="dejó de responder")
    assert "está ahora en la cola de los moderadores" in said_there[0].text  # the party reads Spanish
    post = fake.messages[message_with_button(fake, "Take", MOD_CHANNEL_ID)]
    body = unescape(post["embeds"][0]["description"])
    assert "is now in the moderators' queue" in body and "dejó de responder" in body
    await ask(fake, MOD, "mod take", channel_id=OTHER_CHANNEL_ID, case=case.case_id)
    since = len(fake.calls)
    await ask(
        fake, MOD, "mod decide", channel_id=OTHER_CHANNEL_ID, case=case.case_id, outcome="release_full", reason="8 de 8"
    )
    [decided] = channel_posts(fake, MOD_CHANNEL_ID, since)
    text = unescape(str(decided.json))
    assert f"Decided: case {case.case_id}" in text and f"Moderator decision on case {case.case_id}" in text


# --- file evidence: the facts stay as they are, the words around them are the reader's -------------


async def test_file_kinds_and_colour_modes_in_evidence_are_worded_for_the_reader(chat, tmp_path):
    """A text file among the pictures and a colour mode the brief did not ask for: the type's name and
    the mode's word are the reader's ("RGB" stays RGB); the payload keeps English."""
    files = filemakers.photos(tmp_path / "shoot", 8) + [filemakers.text(tmp_path / "notes.txt")]
    brief = SOAP_BRIEF + " CMYK colour for print."
    await case_at(chat, "delivered", brief=brief, files=files, locale="es")
    assessed = await chat.say("clara", "/assess", locale="es")
    text = said(assessed)
    assert "texto plano" in text and "plain text" not in text
    assert "modo RGB" in text and "mode RGB" not in text
    assert "mode RGB" in json.dumps(assessed.expect("assessment"))  # programs read English


async def test_telegram_publishes_the_command_menu_in_each_language(start_rig):
    rig = await start_rig()
    menus = {call.params.get("language_code"): call.params["commands"] for call in rig.fake.methods("setMyCommands")}
    assert set(menus) == {None, "es", "ru"}
    describe = {lang: {c["command"]: c["description"] for c in menu} for lang, menu in menus.items()}
    assert describe["es"]["help"] == "qué puede hacer Mediator aquí"
    assert describe["ru"]["help"] != describe[None]["help"] != describe["es"]["help"]
    assert set(describe["es"]) == set(describe["ru"]) == set(describe[None])
