"""People and organisations in a real browser: an admin adds a person past a duplicate
warning; a coordinator works in Russian within their country."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_admin_adds_a_person_after_checking_duplicates(page, live_server, screenshot):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    screenshot("people-en-desktop")
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Username").fill("m.karimov.new")
    page.get_by_label("Full name (own script)").fill("Mohammad Karimov")
    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Country").select_option("UZ")
    page.get_by_role("button", name="Create account").click()
    # The demo world holds Мухаммад Каримов and Muhammed Karimov: the form stops to ask.
    warning = page.get_by_role("region", name="Possible duplicates")
    expect(warning).to_contain_text("Мухаммад Каримов")
    expect(warning).to_contain_text("Muhammed Karimov")
    screenshot("person-duplicates-en-desktop")
    page.get_by_label("This is a different person").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mohammad Karimov")
    expect(page.get_by_role("status")).to_contain_text("was created")
    screenshot("person-en-desktop")


def test_coordinator_in_russian_sees_only_their_country(browser, live_server, screenshot):
    context = browser.new_context(base_url=live_server.url, locale="ru-RU", viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server, "coordinator", ("Имя пользователя", "Пароль", "Войти"))
        page.get_by_role("link", name="Организации").click()
        table = page.get_by_role("table")
        expect(table).to_contain_text("Киргизия")
        expect(table).not_to_contain_text("Казахстан")
        screenshot("organisations-ru-phone", page)
        page.get_by_role("link", name="Киргизия").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Киргизия")
        screenshot("country-ru-phone", page)
        page.get_by_role("link", name="Люди").click()
        expect(page.get_by_text(re.compile(r"\d+ человек"))).to_be_visible()
        screenshot("people-ru-phone", page)
    finally:
        context.close()


def test_admin_imports_a_cohort_from_a_file(page, live_server, screenshot):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "admin")
    page.goto("/people/")
    page.get_by_role("link", name="Import from a file").click()
    csv = (
        "username;firstname;lastname;country;institution;department;sex;position\n"
        "kg.import1;Гүлнара;Осмонова;KG;Министерство внутренних дел Кыргызской Республики;"
        "Отдел по противодействию торговле людьми;female;Следователь\n"
        "kg.import2;Бакыт;Жумабаев;KG;Новое ведомство;;alien;Инспектор\n"
        "pk.import3;Ali;Hassan;PK;Federal Investigation Agency;;male;Inspector\n"
    ).encode()
    page.set_input_files(
        "#file", files=[{"name": "cohort.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    rows = page.locator("tr.import-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("invalid sex value 'alien'")
    expect(page.locator(".summary-list")).to_contain_text("New people: 2")
    screenshot("import-preview-en-desktop")
    page.get_by_role("button", name="Import the rows marked New and Update").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import done")
    expect(page.locator(".slip")).to_have_count(2)
    screenshot("import-done-en-desktop")
    page.goto("/people/?q=kg.import1")
    expect(page.get_by_role("table")).to_contain_text("Гүлнара Осмонова")
