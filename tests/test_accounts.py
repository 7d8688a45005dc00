"""Accounts: signing in, rate limiting, roles, and every protected page refused to anyone else."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from conftest import STAFF_PASSWORD, csrf_token

from eore.accounts import set_active, set_password

PASSWORD = STAFF_PASSWORD


@pytest.fixture
def box(staffed_app):
    """Return an app with its own database, one facilitator (bo) and one admin (amina)."""
    return staffed_app({"bo": "facilitator", "amina": "admin"})


def token(client, url="/login") -> str:
    return csrf_token(client, url)


def sign_in(client, name, password=PASSWORD, **extra):
    return client.post(
        "/login", data={"csrf_token": token(client), "name": name, "password": password, **extra}
    )


def protected_rules(app) -> list:
    return [
        rule for rule in app.url_map.iter_rules() if rule.rule.startswith(("/facilitate", "/admin"))
    ]


def test_every_facilitator_and_admin_page_is_refused_without_signing_in(box):
    rules = protected_rules(box)
    assert {"/facilitate/", "/admin/"} <= {rule.rule for rule in rules}
    client = box.test_client()
    for rule in rules:
        # Any value the converter takes: a uuid where the rule wants one.
        url = re.sub(
            r"<(?:(\w+):)?\w+>",
            lambda m: "3f0c4bd6-8a0b-4c57-9f5e-1a2b3c4d5e6f" if m.group(1) == "uuid" else "x",
            rule.rule,
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 400, 403), (method, url)
            if response.status_code == 302:
                assert response.location.startswith("/login?next="), (method, url)
            assert "Signed in as" not in response.get_data(as_text=True)


def test_facilitator_is_refused_admin_pages_and_admin_sees_both(box):
    facilitator = box.test_client()
    response = sign_in(facilitator, "bo")
    assert response.status_code == 302 and response.location == "/facilitate/"
    page = facilitator.get("/facilitate/").get_data(as_text=True)
    assert "Signed in as bo" in page and "/en/test/general?phase=pre" in page
    arabic = facilitator.get("/facilitate/", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in arabic.get_data(as_text=True)
    assert facilitator.get("/admin/accounts").status_code == 403
    assert facilitator.get("/admin/reports/").status_code == 403
    # The dashboard is for both; a facilitator's shows their own sessions.
    assert "your sessions only" in facilitator.get("/admin/").get_data(as_text=True)
    admin = box.test_client()
    assert sign_in(admin, "AMINA").location == "/admin/"
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    assert '<td dir="auto">bo</td>' in listing and '<td dir="auto">amina</td>' in listing
    assert admin.get("/facilitate/").status_code == 200


def test_wrong_password_and_unknown_name_get_the_same_answer(box):
    client = box.test_client()
    wrong = sign_in(client, "bo", "not the password")
    unknown = sign_in(client, "nobody", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "do not match an active account" in response.get_data(as_text=True)
    assert client.get("/facilitate/").status_code == 302


def test_too_many_failures_stop_password_checks_for_that_name_and_address(box):
    client = box.test_client()
    for _ in range(5):
        sign_in(client, "bo", "guess guess guess")
    refused = sign_in(client, "bo")
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "900"
    # Five tries from one address do not lock the name out elsewhere, nor other names here.
    assert sign_in(client, "amina").status_code == 302
    elsewhere = box.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.42.0.77"
    assert sign_in(elsewhere, "bo").status_code == 302
    # Twenty for one name from many addresses stop that name everywhere.
    for number in range(20):
        guesser = box.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"10.42.1.{number}"
        sign_in(guesser, "amina", "guess guess guess")
    late = box.test_client()
    late.environ_base["REMOTE_ADDR"] = "10.42.0.99"
    assert sign_in(late, "amina").status_code == 429
    # A quarter of an hour later the name may try again.
    box.test_db.execute("UPDATE login_failure SET at_utc = '2000-01-01T00:00:00.000000Z'")
    assert sign_in(client, "bo").status_code == 302
    assert sign_in(late, "amina").status_code == 302


def test_sign_in_never_leads_to_another_site_hidden_in_the_address(box):
    # Browsers drop tabs and newlines from an address: "/<tab>/evil" would open "//evil".
    for target in ("/\t/evil.example/x", "/\n/x", "https://evil.example/", "//evil.example/"):
        response = sign_in(box.test_client(), "bo", next=target)
        assert response.status_code == 302 and response.location == "/facilitate/", target
    asked = box.test_client().get("/login?next=/%09/evil.example/")
    assert "evil.example" not in asked.get_data(as_text=True)


def test_protected_pages_are_never_kept_by_the_browser(box):
    client = box.test_client()
    sign_in(client, "bo")
    assert client.get("/facilitate/").headers["Cache-Control"] == "no-store"
    # A form sent after the session ended does not come back as the page to return to.
    anonymous = box.test_client().post("/facilitate/sessions/new", data={})
    assert anonymous.status_code in (302, 400)


def test_login_without_its_token_is_refused_and_signs_nobody_in(box):
    client = box.test_client()
    response = client.post("/login", data={"name": "bo", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/facilitate/").status_code == 302
    logged_in = box.test_client()
    sign_in(logged_in, "bo")
    assert logged_in.post("/logout").status_code == 400  # no token: still signed in
    assert logged_in.get("/facilitate/").status_code == 200


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(box):
    client = box.test_client()
    asked = client.get("/admin/")
    assert asked.location == "/login?next=/admin/"
    assert sign_in(client, "amina", next="/admin/").location == "/admin/"
    other = box.test_client()
    assert sign_in(other, "amina", next="//evil.example/").location == "/admin/"
    third = box.test_client()
    assert sign_in(third, "bo", next="https://evil.example/").location == "/facilitate/"


def test_session_lasts_a_working_day_and_ends_with_sign_out(box):
    client = box.test_client()
    response = sign_in(client, "bo")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert timedelta(hours=9) < expires - datetime.now(UTC) <= timedelta(hours=10, minutes=1)
    out = client.post("/logout", data={"csrf_token": token(client, "/facilitate/")})
    assert out.status_code == 302
    assert client.get("/facilitate/").status_code == 302
    # Only the form signs out: a link (or another site's image) does not.
    sign_in(client, "bo")
    client.get("/logout", follow_redirects=True)
    assert client.get("/facilitate/").status_code == 200


def test_disabling_or_a_new_password_signs_out_at_once(box):
    disabled = box.test_client()
    sign_in(disabled, "bo")
    changed = box.test_client()
    sign_in(changed, "amina")
    set_active(box.test_db, "bo", False)
    assert disabled.get("/facilitate/").status_code == 302
    assert sign_in(box.test_client(), "bo").status_code == 200  # refused: disabled
    set_password(box.test_db, "amina", "a brand new password")
    assert changed.get("/admin/").status_code == 302
    assert sign_in(box.test_client(), "amina", "a brand new password").status_code == 302


def test_oversized_login_is_refused_politely(box):
    client = box.test_client()
    response = sign_in(client, "bo" * 200)
    assert response.status_code == 400
    assert "too long" in response.get_data(as_text=True)


def test_login_page_speaks_the_visitors_language(box):
    client = box.test_client()
    html = client.get("/login", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert 'name="csrf_token"' in html


def test_users_command_adds_lists_disables_and_resets(run_eore):
    added = run_eore("users", "add", "layla", "--role", "facilitator", "--generate")
    assert added.exit_code == 0, added.output
    password = re.search(r"Password: (\S+)", added.output).group(1)
    assert len(password) >= 10
    again = run_eore("users", "add", "LAYLA", "--role", "admin", "--generate")
    assert again.exit_code == 1 and "already an account named LAYLA" in again.output
    short = run_eore("users", "add", "sam", "--role", "admin", input="short\nshort\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    typed = run_eore("users", "add", "sam", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert typed.exit_code == 0 and "Password:" not in typed.output.split("\n", 2)[-1]
    listed = run_eore("users", "list")
    assert "layla\tfacilitator\tactive" in listed.output and "sam\tadmin\tactive" in listed.output
    assert run_eore("users", "disable", "layla").exit_code == 0
    assert "layla\tfacilitator\tdisabled" in run_eore("users", "list").output
    assert run_eore("users", "enable", "layla").exit_code == 0
    reset = run_eore("users", "passwd", "layla", "--generate")
    assert reset.exit_code == 0 and re.search(r"Password: (\S+)", reset.output).group(1) != password
    missing = run_eore("users", "disable", "nobody")
    assert missing.exit_code == 1 and "no account named nobody" in missing.output
