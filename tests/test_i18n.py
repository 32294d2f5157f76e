"""Messages in the reader's language (contract v1.1 "Language and time").

The catalogue ``marketplace/translations/zh`` translates every message the code and the
libraries write, keeps each message's parameters, holds no Chinese msgid (the code writes
English) and is compiled; the API answers in Chinese unless the request prefers English.
"""

from __future__ import annotations

import re
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from marketplace import i18n

PARAMETER = re.compile(r"%\((\w+)\)s")
BRACED = re.compile(r"\{[^{}]*\}")  # a library template's own braces ("{input!r}"), kept as is
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

REGISTER = "/api/v1/auth/register"
CHINESE = {"Accept-Language": ""}  # no preference: the default, Chinese
ENGLISH = {"Accept-Language": "en"}
BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def read(path: Path = i18n.CATALOGUE) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale="zh")


def translations(catalogue: Catalog) -> dict[str, str]:
    return {message.id: message.string for message in catalogue if message.id}


# --- the catalogue ------------------------------------------------------------------------------


def test_every_msgid_has_a_translation():
    untranslated = [msgid for msgid, string in translations(read()).items() if not string]
    assert untranslated == []


def test_the_catalogue_holds_exactly_what_the_code_and_the_libraries_write(
    tmp_path, monkeypatch, capsys
):
    """``python -m marketplace.i18n`` run on a copy changes no msgid: none is new (the code's
    extraction and the libraries' messages are all in the catalogue, translated), none is
    left over, and no message is an f-string the extraction cannot read."""
    copy = tmp_path / "messages.po"
    shutil.copy(i18n.CATALOGUE, copy)
    monkeypatch.setattr(i18n, "CATALOGUE", copy)
    i18n.main()
    output = capsys.readouterr()
    assert "Skipping f-string" not in output.err, output.err
    assert output.out.rstrip().endswith(" 0 without a translation"), output.out
    assert translations(read(copy)).keys() == translations(read()).keys()
    assert set(i18n.library_msgids()) <= translations(read()).keys()


def test_every_translation_keeps_the_msgids_parameters():
    changed = {
        msgid: string
        for msgid, string in translations(read()).items()
        if set(PARAMETER.findall(msgid)) != set(PARAMETER.findall(string))
        or set(BRACED.findall(msgid)) != set(BRACED.findall(string))
    }
    assert changed == {}


def test_every_translation_with_parameters_can_be_filled_in():
    for msgid, string in translations(read()).items():
        names = set(PARAMETER.findall(msgid))
        if names:
            filled = string % dict.fromkeys(names, "X")
            assert "%(" not in filled, msgid


def test_no_msgid_is_chinese():
    """The code writes English; Chinese belongs in the translations."""
    assert [msgid for msgid in translations(read()) if CJK.search(msgid)] == []


def test_every_translation_is_chinese():
    """No English left in a translation, but for codes, field names and formats a client types
    (``lat``, ``YYYY-MM``, ``PUT /api/v1/…``) and the HTTP headers' names."""
    english = re.compile(r"\b(the|and|must|not|is|of|or|to|be)\b", re.IGNORECASE)
    untranslated = [string for string in translations(read()).values() if not CJK.search(string)]
    assert untranslated == []
    assert [string for string in translations(read()).values() if english.search(string)] == []


def test_the_compiled_catalogue_is_the_catalogues_own():
    compiled = BytesIO()
    write_mo(compiled, read())
    compiled.seek(0)
    with i18n.CATALOGUE.with_suffix(".mo").open("rb") as stored:
        assert translations(read_mo(stored)) == translations(read_mo(compiled))


# --- the API's answers ----------------------------------------------------------------------


def register(client, headers, **body):
    return client.post(REGISTER, json=body, headers=headers)


def test_a_request_without_a_language_is_answered_in_chinese(client):
    response = register(client, CHINESE, phone="12345", password="short")
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "请求格式正确，但内容有误，无法处理。"
    assert body["errors"]["json"] == {
        "phone": ["须为中国大陆手机号：11 位半角数字，以 1 开头，第二位为 3–9"],
        "password": ["长度必须在 8 到 128 之间。"],
        "role": ["缺少必填字段。"],
    }


def test_english_on_request(client):
    response = register(client, ENGLISH, phone="12345", password="short")
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == (
        "The request was well-formed but was unable to be followed due to semantic errors."
    )
    assert body["errors"]["json"]["role"] == ["Missing data for required field."]
    assert body["errors"]["json"]["password"] == ["Length must be between 8 and 128."]


def test_a_browser_preferring_chinese_is_answered_in_chinese(client):
    response = register(client, BROWSER, phone="12345", password="short")
    assert response.get_json()["errors"]["json"]["role"] == ["缺少必填字段。"]


def test_a_library_template_is_translated_with_its_values(client):
    response = register(client, CHINESE, phone="13500009999", password="long-enough", role="x")
    assert response.get_json()["errors"]["json"]["role"] == [
        "必须是以下值之一：worker, employer, broker。"
    ]


def test_a_domain_error_is_translated_with_its_values(client):
    response = register(client, CHINESE, phone="13500009998", password="12345678", role="worker")
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "密码不可用：属于最常用的密码，请换一个更难猜到的密码"
    assert body["errors"]["json"]["password"] == ["属于最常用的密码，请换一个更难猜到的密码"]


def test_a_domain_error_in_english(client):
    response = register(client, ENGLISH, phone="13500009998", password="12345678", role="worker")
    assert response.get_json()["message"] == (
        "password refused: it is one of the most common passwords: choose one that is harder "
        "to guess"
    )


@pytest.mark.parametrize(
    ("headers", "message"),
    [(CHINESE, "未找到标记"), (BROWSER, "未找到标记"), (ENGLISH, "flag not found")],
)
def test_a_404_names_what_was_not_found_in_the_readers_language(
    client, make_user, auth_headers, headers, message
):
    official = auth_headers(make_user("official", city="wuxi"))
    response = client.post(
        "/api/v1/subsidies/flags/999999/decision",
        json={"decision": "approve"},
        headers={**official, **headers},
    )
    assert response.status_code == 404
    assert response.get_json()["message"] == message


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (CHINESE, "请先创建用工单位资料（PUT /api/v1/employers/me）"),
        (ENGLISH, "create your employer profile first (PUT /api/v1/employers/me)"),
    ],
)
def test_a_conflict_is_translated_with_its_parameters_filled_in(
    client, make_user, auth_headers, headers, message
):
    employer = auth_headers(make_user("employer"))  # no profile yet
    response = client.get("/api/v1/employers/me/brokers", headers={**employer, **headers})
    assert response.status_code == 409
    assert response.get_json()["message"] == message


def test_a_message_built_of_translated_parts_is_whole_in_each_language(app):
    """A booking's state names the action in the reader's language (``cannot %(action)s``)."""
    from marketplace.bookings.services import WrongState

    refused = WrongState(
        i18n.N_("cannot %(action)s a booking that is %(status)s (only when %(allowed)s)"),
        action=i18n.N_("check in to"),
        status="waiting for the employer",
        allowed=("confirmed", "checked in"),
    )
    assert refused.message == (
        "cannot check in to a booking that is waiting for the employer "
        "(only when confirmed, checked in)"
    )
    # Flask-Babel keeps a request's language in ``g``: each language in its own app context.
    with app.app_context(), app.test_request_context(headers=CHINESE):
        assert refused.translated() == "预约状态为 待录用，不能签到（仅限 已确认、已签到 状态）"
    with app.app_context(), app.test_request_context(headers=ENGLISH):
        assert refused.translated() == refused.message


def test_a_bookings_state_is_named_in_words_in_both_languages(
    client, headers_of, make_worker, make_job
):
    from marketplace.bookings.models import STATE_WORDS, STATUS_NAMES
    from marketplace.i18n import translate

    with client.application.test_request_context(headers={"Accept-Language": "zh"}):
        assert {code: translate(word) for code, word in STATE_WORDS.items()} == STATUS_NAMES
    worker = make_worker()
    shift = make_job().shifts[0]
    booked = client.post(f"/api/v1/shifts/{shift.id}/bookings", headers=headers_of(worker))
    url = f"/api/v1/bookings/{booked.get_json()['id']}/check-out"
    english = client.post(url, json={"lat": 31.5, "lon": 120.3}, headers=headers_of(worker))
    assert english.get_json()["message"] == (
        "cannot check out of a booking that is confirmed (only when checked in)"
    )
    chinese = client.post(
        url,
        json={"lat": 31.5, "lon": 120.3},
        headers={**headers_of(worker), "Accept-Language": "zh"},
    )
    assert "已确认" in chinese.get_json()["message"] and "已签到" in chinese.get_json()["message"]
    assert "confirmed" not in chinese.get_json()["message"]
