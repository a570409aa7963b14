"""The message catalogue: complete translations, matching placeholders, a template that follows the
code, and no user-facing sentence left outside it."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from mediation import i18n
from mediation.errors import MediationError
from mediation.i18n import L_, S_, Ln_, Money, _, en, from_json, join, keep, n_, reading_as, render, shown

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "mediation" / "locale" / "mediator.pot"
TRANSLATED = [lang for lang in i18n.SUPPORTED if lang != i18n.DEFAULT_LOCALE]
# the extraction keywords (README, "Languages"): the default ones plus these
KEYWORDS = {"_": None, "N_": None, "n_": (1, 2), "L_": None, "Ln_": (1, 2), "S_": None}


def _catalog(path: Path, locale: str | None = None):
    with path.open("rb") as fp:
        return read_po(fp, locale=locale)


def _fields(text: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


# --- the catalogue ------------------------------------------------------------------------------


def test_normalize_platform_codes():
    assert i18n.normalize("es-ES") == i18n.normalize("es_419") == i18n.normalize("ES") == "es"
    assert i18n.normalize("ru") == i18n.normalize("ru-RU") == "ru"
    assert i18n.normalize("en-GB") == "en"
    assert i18n.normalize("pt-BR") is None and i18n.normalize("") is None and i18n.normalize(None) is None
    assert i18n.choose("pt-BR", None, "ru") == "ru" and i18n.choose("pt-BR") == "en"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_has_a_translation(lang):
    template = _catalog(POT)
    catalog = _catalog(i18n.po_path(lang), lang)
    missing, fuzzy = [], []
    for msg in template:
        if not msg.id:
            continue
        found = catalog.get(msg.id)
        strings = [] if found is None else (found.string if isinstance(found.string, tuple) else (found.string,))
        if found is None or not strings or not all(s.strip() for s in strings):
            missing.append(msg.id)
        elif found.fuzzy:
            fuzzy.append(msg.id)
    assert not missing, f"{len(missing)} message(s) without a {lang} translation, e.g. {missing[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy {lang} translation(s) to check, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang):
    catalog = _catalog(i18n.po_path(lang), lang)
    wrong = []
    for msg in catalog:
        if not msg.id:
            continue
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        wanted = set().union(*(_fields(i) for i in ids))
        for s in strings:
            try:
                got = _fields(s)
            except ValueError as exc:  # an unbalanced brace
                wrong.append((ids[0], s, str(exc)))
                continue
            if s and got != wanted:
                wrong.append((ids[0], s, sorted(got ^ wanted)))
    assert not wrong, f"{len(wrong)} {lang} translation(s) whose placeholders differ: {wrong[:3]}"


def test_placeholders_are_named():
    """`{}` and `{0}` cannot be reordered by a translator: every placeholder has a name."""
    bad = [m.id for m in _catalog(POT) if m.id and any(not f or f.isdigit() for f in _ids_fields(m.id))]
    assert not bad, bad[:5]


def _ids_fields(ids) -> list[str]:
    return [
        name
        for i in (ids if isinstance(ids, tuple) else (ids,))
        for _, name, _, _ in string.Formatter().parse(i)
        if name is not None
    ]


def test_the_template_follows_the_code():
    """Re-extracted from the code, the message ids are those of mediation/locale/mediator.pot
    (after a change: the pybabel commands in README.md, "Languages")."""
    method_map = [("bot/**.py", "python"), ("mediation/**.py", "python")]
    found = set()
    with contextlib.redirect_stderr(io.StringIO()):  # Babel notes f-string parameters, which are fine
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords={**_default_keywords(), **KEYWORDS}
        ):
            found.add(message if isinstance(message, str) else message[0])
    listed = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(POT) if m.id}
    assert found == listed, (
        f"the template is stale: new in the code {sorted(found - listed)[:5]}, gone from it {sorted(listed - found)[:5]}"
    )


def _default_keywords() -> dict:
    from babel.messages.extract import DEFAULT_KEYWORDS

    return dict(DEFAULT_KEYWORDS)


# --- nothing user-facing outside the catalogue --------------------------------------------------

# modules that talk to the operator (command line, logs, config errors), not to a chat's people
OPERATOR_ONLY = {
    "bot/cli.py",
    "bot/cli_nlp.py",
    "bot/cli_assess.py",
    "bot/audit_selfcheck.py",
    "bot/loadtest.py",
    "bot/console_bench.py",
    "bot/demo.py",
    "bot/bootstrap.py",
    "bot/ops.py",
    "bot/runner.py",
    "mediation/config.py",
    "mediation/db.py",
    "mediation/auditkey.py",
    "mediation/presets.py",
}
WORDED = {"_", "n_", "N_", "L_", "Ln_", "S_", "Msg", "Said", "said", "render", "en", "join", "and_join"}
# calls whose text (and these keyword arguments) a person reads
SHOWN_CALLS = {
    "Reply": {0, "text", "title"},
    "Option": {0, "label"},
    "notice": {1, "text"},
    "error": {1, "message"},
    "MediationError": {1, "message"},
    "MoneyError": {1, "message"},
    "_Refused": {0},
    "TooLarge": {0},
    "_Limit": {0},
    "progress": {0},
    "_checked": {0},
    "_refuse": {1, "text"},
    "InlineKeyboardButton": {0, "text"},
}


def _prose(node: ast.AST) -> bool:
    """A literal (or f-string) that reads as words: letters and a space."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    elif isinstance(node, ast.BinOp):
        return _prose(node.left) or _prose(node.right)
    elif isinstance(node, ast.IfExp):
        return _prose(node.body) or _prose(node.orelse)
    else:
        return False
    return any(c.isalpha() for c in text) and " " in text.strip()


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _user_facing_files() -> list[Path]:
    out = []
    for package in ("bot", "mediation"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "migrations" in rel or rel in OPERATOR_ONLY:
                continue
            out.append(path)
    return out


def test_no_user_facing_string_outside_the_catalogue():
    """Every sentence a chat's people read goes through the catalogue: a literal or f-string given
    as a reply's text or title, a button label, a notice, an error or refusal message, a progress
    note, or appended to a file's problems, is a finding."""
    found = []
    for path in _user_facing_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) in WORDED:
                continue
            name = _name(node.func)
            shown_args = SHOWN_CALLS.get(name, set())
            args = [a for i, a in enumerate(node.args) if i in shown_args]
            args += [k.value for k in node.keywords if k.arg in shown_args]
            if name == "append" and isinstance(node.func, ast.Attribute):
                target = node.func.value
                if isinstance(target, ast.Attribute) and target.attr in ("problems", "notes"):
                    args += node.args
            for arg in args:
                if _prose(arg):
                    found.append(f"{path.relative_to(ROOT)}:{arg.lineno}: {ast.unparse(arg)[:70]}")
    assert not found, "user-facing text outside the catalogue (wrap it in _() or L_()):\n" + "\n".join(found)


def test_the_translation_function_is_never_shadowed():
    """`_` bound in a function (`a, _, b = ...`, `for _ in`) would turn `_()` there into a crash."""
    found = []
    for path in _user_facing_files() + [ROOT / p for p in sorted(OPERATOR_ONLY)]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports_it = any(isinstance(n, ast.ImportFrom) and any(a.name == "_" for a in n.names) for n in ast.walk(tree))
        if not imports_it:
            continue
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                binds = [
                    n
                    for n in _own_scope(fn)
                    if isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)
                ]
                binds += [a for a in ast.walk(fn.args) if isinstance(a, ast.arg) and a.arg == "_"]
                if binds:
                    found.append(f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name}")
    assert not found, found


def _own_scope(fn: ast.AST):
    """The nodes of a function's own scope: not those of comprehensions, lambdas or nested functions."""
    todo = list(ast.iter_child_nodes(fn))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


# --- wording ----------------------------------------------------------------------------------


def test_a_message_is_worded_for_each_reader():
    msg = L_("Case {case_id} is already with the moderators.", case_id="C1")
    assert en(msg) == "Case C1 is already with the moderators."
    with reading_as("es"):
        es = render(msg)
    with reading_as("ru"):
        ru = render(msg)
    assert "C1" in es and "C1" in ru and len({en(msg), es, ru}) == 3
    assert from_json(json.loads(json.dumps(msg.to_json()))) == msg  # stored and worded again later


def test_plurals_follow_each_language():
    with reading_as("ru"):
        forms = [n_("{n} file", "{n} files", n) for n in (1, 3, 5, 21)]
    assert forms[0] != forms[1] != forms[2] and forms[0].split()[1] == forms[3].split()[1]
    assert Ln_("{n} file", "{n} files", 2).render() == "2 files"


def test_said_is_english_text_that_words_itself():
    said = S_("empty file: 0 bytes")
    assert said == "empty file: 0 bytes" and isinstance(said, str)
    with reading_as("es"):
        assert render(said) != said
    data = keep({}, "how", join(" ", (said, L_("delivered late"))))
    assert data["how"] == "empty file: 0 bytes delivered late"
    with reading_as("ru"):
        assert shown(data, "how") != data["how"]


def test_an_error_keeps_english_for_programs():
    exc = MediationError("no_delivery", L_("Nothing has been delivered on case {case_id} yet.", case_id="C2"))
    with reading_as("es"):
        from bot import replies

        reply = replies.error(exc.code, exc.msg)
    assert reply.data["message"] == "Nothing has been delivered on case C2 yet."
    assert reply.text != reply.data["message"] and "C2" in reply.text and reply.locale == "es"


def test_money_in_a_message_is_formatted_for_the_reader():
    from decimal import Decimal

    assert en(L_("Full refund of {amount}", amount=Money(Decimal("88"), "USD"))) == "Full refund of $88.00"


def test_money_refusals_are_worded_for_the_reader():
    """A MoneyError keeps its code and English text for programs, and words itself (the amount in
    it too) in the language of whoever reads it."""
    from mediation.currency import MoneyError, parse_amount

    with reading_as("es"), pytest.raises(MoneyError) as err:
        parse_amount("100.01", "USD", max_amount=100)
    assert err.value.code == "bad_amount" and isinstance(err.value, ValueError)
    assert en(err.value.msg) == "amount 100.01 is above the limit of $100.00"
    with reading_as("es"):
        assert err.value.message == "el importe 100.01 supera el límite de 100,00\u00a0US$"
    with reading_as("ru"):
        assert err.value.message == "сумма 100.01 превышает ограничение в 100,00\u00a0$"
    with reading_as("es"), pytest.raises(MoneyError) as err:
        parse_amount("88,005", "USD")
    with reading_as("es"):
        assert str(err.value) == "los importes en USD llevan como máximo 2 decimales; se recibió 88,005"


def test_a_translation_that_does_not_fit_falls_back_to_english(monkeypatch):
    class Broken:
        def gettext(self, msgid):
            return "{nope}"

    monkeypatch.setitem(i18n._catalogues, "es", Broken())
    with reading_as("es"):
        assert _("Case {case_id}", case_id="C3") == "Case C3"
