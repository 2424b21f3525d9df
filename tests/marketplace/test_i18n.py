"""English and Simplified Chinese: the switcher, and the home page a visitor sees."""

import pytest

pytestmark = pytest.mark.django_db


def test_switching_to_simplified_chinese_translates_the_home_page(client):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "为您定制，由认证工厂生产，约 7 天交付。" in page
    assert "登录" in page
    assert "Made for you" not in page


def test_browser_language_is_honoured_and_english_is_the_default(client):
    assert "Made for you, by audited factories" in client.get("/").content.decode()
    chinese = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "为您定制" in chinese


def test_api_errors_are_translated_too(client):
    response = client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json() == {"detail": "未找到。"}


def test_sign_in_page_is_translated(client):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get("/accounts/login/").content.decode()
    assert "忘记密码" in page  # django-allauth's own Chinese catalogue, inside our layout
    assert "C2M 平台" in page


def test_committed_mo_matches_the_po():
    from pathlib import Path

    import polib

    directory = Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES"
    po = polib.pofile(str(directory / "django.po"))
    mo = polib.mofile(str(directory / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): entry for entry in mo}
    stale = [
        entry.msgid
        for entry in po.translated_entries()
        if (entry.msgctxt, entry.msgid) not in compiled
        or (entry.msgstr or entry.msgstr_plural.get(0))
        != (
            compiled[(entry.msgctxt, entry.msgid)].msgstr
            or compiled[(entry.msgctxt, entry.msgid)].msgstr_plural.get(0)
        )
    ]
    assert stale == [], "run `make messages` (or scripts/compile_messages.py) and commit the .mo"
