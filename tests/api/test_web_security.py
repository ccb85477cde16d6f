"""Sign-in for people: hashed passwords, CSRF, cookie flags, rate limiting, safe redirects."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from patrol.store.models import LoginFailure, User

PASSWORD = "correct horse battery"


@pytest.fixture
def people(app, world):
    from patrol.db import get_session
    from patrol.services import auth

    with app.app_context():
        s = get_session()
        for user in s.scalars(sa.select(User)):
            auth.set_password(user, PASSWORD)
        s.commit()


def csrf_of(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, username, password=PASSWORD, token=None, next_url=""):
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token or csrf_of(client),
            "next": next_url,
        },
    )


def test_passwords_are_hashed(people, session):
    user = session.scalar(sa.select(User).where(User.username == "coord"))
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert PASSWORD not in user.password_hash


def test_session_cookie_flags_and_landing(client, people):
    r = sign_in(client, "coord")
    assert r.status_code == 302 and r.headers["Location"].endswith("/map")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_outside_development(app):
    from patrol import create_app

    prod = create_app(
        {"ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": app.config["DATABASE_URL"]}
    )
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    with pytest.raises(RuntimeError, match="PATROL_SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": app.config["DATABASE_URL"]})


def test_login_form_needs_its_csrf_token(client, people):
    r = client.post("/login", data={"username": "coord", "password": PASSWORD})
    assert r.status_code == 400
    assert "CSRF" in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)


def test_wrong_passwords_are_rate_limited(client, people, session):
    for _ in range(5):
        r = sign_in(client, "coord", "wrong password")
        assert r.status_code == 401 and "Wrong username or password" in r.get_data(as_text=True)
    r = sign_in(client, "coord")  # even the right password waits now
    assert r.status_code == 429 and "wait 15 minutes" in r.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 5


def test_unknown_user_answers_like_a_wrong_password(client, people):
    r = sign_in(client, "nobody", "whatever")
    assert r.status_code == 401 and "Wrong username or password" in r.get_data(as_text=True)


def test_next_is_never_another_site(client, people):
    r = sign_in(client, "coord", next_url="https://evil.example/")
    assert r.headers["Location"].endswith("/map")
    r = sign_in(client, "coord", next_url="/exports")
    assert r.headers["Location"].endswith("/exports")


def test_api_with_session_needs_csrf_header_for_writes(client, people, world):
    sign_in(client, "ranger1")
    assert client.get("/api/v1/patrols").status_code == 200  # reads need no token
    r = client.post("/api/v1/patrols", data="{}", content_type="application/geo+json")
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    r = client.post(
        "/api/v1/patrols",
        data="{}",
        content_type="application/geo+json",
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 422  # past the token, into validation


def test_logout_ends_the_session(client, people):
    sign_in(client, "coord")
    assert client.get("/map").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(client, "/map")})
    r = client.get("/map")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get("/api/v1/patrols").status_code == 401


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("ngo", "/map", 403),
        ("ngo", "/report", 403),
        ("ranger1", "/exports", 403),
        ("ranger1", "/map", 200),
        ("coord", "/report", 200),
        ("ngo", "/exports", 200),
        ("ranger1", "/reports/annual/2026", 403),
        ("ngo", "/reports/annual/2026", 200),
    ],
)
def test_pages_by_role(client, people, who, path, status):
    sign_in(client, who)
    r = client.get(path)
    assert r.status_code == status
    if status == 403:
        assert "This page is for" in r.get_data(as_text=True)


def test_vendor_libraries_come_from_the_installed_packages(client):
    with client.get("/vendor/leaflet/leaflet.js") as r:  # file answers stream: close them
        assert r.status_code == 200 and b"Leaflet" in r.data[:2000]
    assert client.get("/vendor/nothing/x.js").status_code == 404
    assert client.get("/vendor/leaflet/../../../etc/passwd").status_code == 404
    with client.get("/sw.js") as sw:
        assert sw.headers["Service-Worker-Allowed"] == "/"


def test_behind_a_proxy_the_forwarded_scheme_counts(app):
    from flask import request

    from patrol import create_app

    proxied = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "x",
            "PROXY_COUNT": 1,
            "DATABASE_URL": app.config["DATABASE_URL"],
        }
    )
    seen = {}

    @proxied.get("/_scheme")
    def scheme():
        seen["https"] = request.is_secure
        seen["ip"] = request.remote_addr
        return ""

    proxied.test_client().get(
        "/_scheme", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    )
    assert seen == {"https": True, "ip": "203.0.113.9"}
