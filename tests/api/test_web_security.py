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
    prod.extensions["patrol.engine"].dispose()  # it looked for demo users: close its pool
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
        ("ngo", "/reports/annual/2026", 404),  # no patrols in 2026 here: a page says so
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


def test_a_guesser_elsewhere_does_not_lock_the_real_user_out(app, people):
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(5):
        assert sign_in(guesser, "coord", "wrong password").status_code == 401
    assert sign_in(guesser, "coord").status_code == 429
    ranger_office = app.test_client()
    ranger_office.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    r = sign_in(ranger_office, "coord")
    assert r.status_code == 302 and r.headers["Location"].endswith("/map")


def test_one_address_spraying_names_is_stopped(app, people, session):
    from patrol.services.auth import LOGIN_MAX_FAILURES_PER_ADDRESS

    sprayer = app.test_client()
    sprayer.environ_base["REMOTE_ADDR"] = "203.0.113.10"
    statuses = [sign_in(sprayer, f"name{k % 10}", "wrong password").status_code for k in range(40)]
    assert statuses.count(401) == LOGIN_MAX_FAILURES_PER_ADDRESS
    assert statuses[LOGIN_MAX_FAILURES_PER_ADDRESS:] == [429] * (
        40 - LOGIN_MAX_FAILURES_PER_ADDRESS
    )
    session.rollback()
    assert (
        session.scalar(sa.select(sa.func.count()).select_from(LoginFailure))
        == LOGIN_MAX_FAILURES_PER_ADDRESS
    )


def test_concurrent_attempts_check_at_most_five_passwords(app, people):
    """Forty attempts at once from one address for one name: five are checked, the rest 429."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from patrol.errors import AuthenticationRequired, TooManyRequests
    from patrol.services import auth

    sessions = app.extensions["patrol.sessions"]
    barrier = threading.Barrier(40)

    def attempt(_k):
        s = sessions()
        try:
            barrier.wait(timeout=30)
            auth.login(s, "coord", "wrong password", "203.0.113.11")
        except AuthenticationRequired:
            return "checked"
        except TooManyRequests:
            return "refused"
        finally:
            s.close()
        return "signed in"

    with ThreadPoolExecutor(40) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes.count("checked") == auth.LOGIN_MAX_FAILURES
    assert outcomes.count("refused") == 40 - auth.LOGIN_MAX_FAILURES


def test_unknown_and_known_names_cost_the_same_hashing(people, session, monkeypatch):
    """The answer's time must not tell whether a name exists: both paths check one password
    hash of the same kind and make none."""
    from patrol.services import auth

    auth._dummy_hash()  # made once per process, before any request is timed
    calls = {"check": [], "make": 0}
    real_check = auth.check_password_hash

    def check(stored, password):
        calls["check"].append(stored.split(":")[0])
        return real_check(stored, password)

    def make(*args, **kwargs):
        calls["make"] += 1
        raise AssertionError("no hash is made while signing in")

    monkeypatch.setattr(auth, "check_password_hash", check)
    monkeypatch.setattr(auth, "generate_password_hash", make)
    for name in ("nobody", "coord"):
        with pytest.raises(Exception, match="Wrong username or password"):
            auth.login(session, name, "wrong password", "192.0.2.1")
    assert calls["make"] == 0
    assert len(calls["check"]) == 2 and calls["check"][0] == calls["check"][1]


def test_sign_out_ends_the_session_on_the_server(app, people):
    client = app.test_client()
    sign_in(client, "coord")
    stolen = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_of(client, "/map")})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    r = thief.get("/map")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert thief.get("/api/v1/patrols").status_code == 401


def test_a_session_of_a_deactivated_user_stops_working(app, people, session):
    client = app.test_client()
    sign_in(client, "coord")
    assert client.get("/api/v1/patrols").status_code == 200
    session.execute(sa.update(User).where(User.username == "coord").values(active=False))
    session.commit()
    assert client.get("/api/v1/patrols").status_code == 401


def test_demo_users_are_refused_in_production(app, people, session, caplog):
    """A production server started on a database where the demo was once loaded: the demo's
    published token and password open nothing; real users still sign in."""
    from patrol import create_app
    from patrol.services import auth

    user = session.scalar(sa.select(User).where(User.username == "coord"))
    user.demo = True
    _, token = auth.create_token(session, "coord")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/units", headers=headers).status_code == 200

    prod = create_app(
        {"ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": app.config["DATABASE_URL"]}
    )
    assert "demo users (coord)" in caplog.text
    client = prod.test_client()
    assert client.get("/api/v1/units", headers=headers).status_code == 401
    assert sign_in(client, "coord").status_code == 401
    r = sign_in(client, "ngo")
    assert r.status_code == 302 and r.headers["Location"].endswith("/exports")
    prod.extensions["patrol.engine"].dispose()


def test_development_keeps_its_own_database_file(tmp_path):
    from patrol.config import default_database_url

    dev = default_database_url(tmp_path, "development")
    prod = default_database_url(tmp_path, "production")
    assert dev != prod and dev.endswith("patrol-dev.sqlite3") and prod.endswith("patrol.sqlite3")
