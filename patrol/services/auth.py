"""Who is asking and what they may do: users, API tokens and the role x area rules."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
import sqlalchemy.orm as so
from werkzeug.security import check_password_hash, generate_password_hash

from patrol.errors import (
    AuthenticationRequired,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from patrol.geo.problems import Problems
from patrol.store.engine import begin_write
from patrol.store.models import (
    ROLES,
    ApiToken,
    ConservationArea,
    LoginFailure,
    Unit,
    User,
    UserSession,
    user_area,
    utcnow,
)
from patrol.texts import N_, either

__all__ = [
    "Principal",
    "authenticate_password",
    "authenticate_token",
    "create_token",
    "create_user",
    "revoke_token",
]

log = logging.getLogger(__name__)

TOKEN_PREFIX = "ptl_"
# Writing last_used_at on every request would make every read a write; once a while suffices.
LAST_USED_RESOLUTION = timedelta(minutes=10)


@dataclass(frozen=True)
class Principal:
    """The authenticated user, reduced to what permission checks need."""

    user_id: int
    username: str
    role: str
    unit_id: int | None
    area_ids: frozenset[int]

    @classmethod
    def of(cls, user: User, all_area_ids: frozenset[int] | None = None) -> Principal:
        areas = (
            all_area_ids
            if user.role == "admin" and all_area_ids is not None
            else frozenset(a.id for a in user.areas)
        )
        return cls(user.id, user.username, user.role, user.unit_id, areas)

    @property
    def sees_locations(self) -> bool:
        """Routes and exact find points: not for the ngo role, which gets aggregates only."""
        return self.role in ("ranger", "coordinator", "admin")

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            n = either(list(roles))
            raise Forbidden(
                N_("This needs the role {need}; you are {role}.", need=n, role=self.role)
            )

    def require_area(self, area_id: int) -> None:
        if area_id not in self.area_ids:
            # The same answer as for a missing record: another area's data is invisible.
            raise NotFound(N_("No such record in your conservation areas."))

    def can_see_patrol(self, area_id: int, unit_id: int) -> bool:
        """Whether this user may read a patrol of ``unit_id`` in ``area_id`` (deleted or not:
        what may be revealed about a patrol at all)."""
        if area_id not in self.area_ids or self.role == "ngo":
            return False
        return self.role != "ranger" or unit_id == self.unit_id

    def can_submit_for(self, unit: Unit) -> bool:
        if self.role == "ranger":
            return unit.id == self.unit_id
        return self.role in ("coordinator", "admin") and unit.area_id in self.area_ids


def hash_token(token: str) -> str:
    """The stored form of an API token (tokens are long and random: SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _all_area_ids(session: so.Session) -> frozenset[int]:
    return frozenset(session.scalars(sa.select(ConservationArea.id)).all())


def principal_for(session: so.Session, user: User) -> Principal:
    return Principal.of(user, _all_area_ids(session) if user.role == "admin" else None)


def create_user(
    session: so.Session,
    username: str,
    role: str,
    password: str | None = None,
    unit_code: str | None = None,
    area_slugs: list[str] | None = None,
) -> User:
    """A new user; rangers belong to a unit (and so to its area)."""
    problems = Problems()
    if role not in ROLES:
        problems.add(
            "/role", N_("'{role}' is not one of {allowed}", role=role, allowed=", ".join(ROLES))
        )
    if (
        not username
        or len(username) > 64
        or not username.replace("-", "").replace("_", "").replace(".", "").isalnum()
    ):
        problems.add("/username", N_("use 1-64 letters, digits, '.', '-' or '_'"))
    if password is not None and len(password) < 8:
        problems.add("/password", N_("must be at least 8 characters"))
    unit = None
    if unit_code:
        unit = session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            problems.add("/unit", N_("no unit '{unit_code}'", unit_code=unit_code))
    if role == "ranger" and not unit_code:
        problems.add("/unit", N_("a ranger belongs to a unit"))
    areas = []
    for slug in area_slugs or []:
        area = session.scalar(sa.select(ConservationArea).where(ConservationArea.slug == slug))
        if area is None:
            problems.add("/areas", N_("no conservation area '{slug}'", slug=slug))
        else:
            areas.append(area)
    if unit is not None and unit.area not in areas:
        areas.append(unit.area)
    if problems:
        raise ValidationFailed(N_("The user cannot be created."), errors=problems.items)
    if session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(N_("A user '{username}' exists already.", username=username))
    user = User(
        username=username,
        role=role,
        password_hash=generate_password_hash(password) if password else None,
        unit=unit,
        areas=areas,
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < 8:
        short = N_("must be at least 8 characters")
        raise ValidationFailed(N_("Password too short."), errors=[FieldError("/password", short)])
    user.password_hash = generate_password_hash(password)


def create_token(session: so.Session, username: str, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for ``username``: the row (hash only) and the token, shown this once."""
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(N_("No user '{username}'.", username=username))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=hash_token(token), prefix=token[:12], name=name)
    session.add(row)
    session.flush()
    return row, token


def revoke_token(session: so.Session, prefix_or_token: str) -> int:
    """Revoke tokens by their shown prefix (or the whole token); how many were revoked."""
    if prefix_or_token.startswith(TOKEN_PREFIX) and len(prefix_or_token) > 20:
        cond = ApiToken.token_hash == hash_token(prefix_or_token)
    else:
        cond = ApiToken.prefix == prefix_or_token
    rows = session.scalars(sa.select(ApiToken).where(cond, ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = utcnow()
    return len(rows)


# Built once: building it and the ORM's execute path cost about as much as its round trip.
_TOKEN_PRINCIPAL = (
    sa.select(ApiToken.id, ApiToken.revoked_at, ApiToken.last_used_at, User.id, User.username)
    .add_columns(User.role, User.unit_id, User.active, User.demo, user_area.c.area_id)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(user_area, user_area.c.user_id == User.id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"))
)


def authenticate_token(session: so.Session, token: str, *, allow_demo: bool = False) -> Principal:
    """The principal of a bearer token; AuthenticationRequired if unknown or revoked (or a
    demo user's, unless ``allow_demo``: the demo's tokens are published).

    Every request asks the database (no cache of tokens): a revoked token or a deactivated
    user is refused from the next request on, in every worker. It is one round trip (the
    token, its user and the user's areas in one SELECT; an admin's areas, all of them, in a
    second), read as plain rows: what ingest at a hundred reports a second can afford.
    """
    rows = session.connection().execute(_TOKEN_PRINCIPAL, {"token_hash": hash_token(token)}).all()
    if not rows:
        raise AuthenticationRequired(N_("The token is unknown or revoked."))
    token_id, revoked_at, last_used_at, user_id, username, role, unit_id, active, demo, _ = rows[0]
    if revoked_at is not None or not (active and (allow_demo or not demo)):
        raise AuthenticationRequired(N_("The token is unknown or revoked."))
    areas = (
        _all_area_ids(session)
        if role == "admin"
        else frozenset(r.area_id for r in rows if r.area_id is not None)
    )
    now = utcnow()
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        _touch_token(session.get_bind(), token_id, now)
    return Principal(user_id, username, role, unit_id, areas)


def _touch_token(engine: sa.Engine, token_id: int, now: datetime) -> None:
    """Note a token's last use if that can be done at once, else leave it for a later request.

    On its own connection with a 50 ms lock timeout: a request that only reads must never
    queue behind a large write for the sake of a bookkeeping date.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            old = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            conn.exec_driver_sql("PRAGMA busy_timeout=50")
        else:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
        try:
            conn.execute(
                sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            )
            conn.commit()
        except sa.exc.OperationalError:
            conn.rollback()
            log.info("database busy: last use of token %s not noted this time", token_id)
        finally:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={int(old)}")
                conn.commit()


@cache
def _dummy_hash() -> str:
    # Made once, the way real hashes are made: checking a password against it costs what a
    # real check costs, so the time of an answer does not tell which usernames exist.
    return generate_password_hash(secrets.token_urlsafe(16))


def _may_sign_in(user: User, allow_demo: bool) -> bool:
    return user.active and (allow_demo or not user.demo)


def authenticate_password(
    session: so.Session, username: str, password: str, *, allow_demo: bool = False
) -> User | None:
    """The active user with this username and password, else None (in the same time)."""
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None or not _may_sign_in(user, allow_demo) or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


LOGIN_WINDOW = timedelta(minutes=15)
# Failures within the window that close sign-in: for one name from one address (a guesser
# never locks the real user out from elsewhere), for one address over all names (a spray),
# and for one name from everywhere (a distributed guess, at the cost of locking that name).
LOGIN_MAX_FAILURES = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 20
LOGIN_MAX_FAILURES_PER_NAME = 50


def _lock_login_ledger(session: so.Session) -> None:
    """Serialise sign-in bookkeeping, so that concurrent attempts count each other."""
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(7413001)"))


def login(
    session: so.Session, username: str, password: str, ip: str, *, allow_demo: bool = False
) -> User:
    """The user signing in; TooManyRequests after repeated failures, AuthenticationRequired
    for a wrong username or password (the same answer for both).

    Each attempt is entered as a failure before its password is checked, under a lock, and
    taken back only when it succeeds: forty attempts at once check at most five passwords.
    """
    name, address = username[:64], ip[:64]
    now = utcnow()
    since = now - LOGIN_WINDOW
    _lock_login_ledger(session)
    try:

        def failures(*cond: sa.ColumnElement[bool]) -> int:
            return session.scalar(
                sa.select(sa.func.count())
                .select_from(LoginFailure)
                .where(LoginFailure.at >= since, *cond)
            )

        if failures(LoginFailure.username == name, LoginFailure.ip == address) >= (
            LOGIN_MAX_FAILURES
        ):
            raise TooManyRequests(N_("Too many failed sign-ins for this name: wait 15 minutes."))
        if failures(LoginFailure.ip == address) >= LOGIN_MAX_FAILURES_PER_ADDRESS:
            why = N_("Too many failed sign-ins from this address: wait 15 minutes.")
            raise TooManyRequests(why)
        if failures(LoginFailure.username == name) >= LOGIN_MAX_FAILURES_PER_NAME:
            raise TooManyRequests(N_("Too many failed sign-ins for this name: wait 15 minutes."))
        attempt = LoginFailure(username=name, ip=address, at=now)
        session.add(attempt)
        session.execute(sa.delete(LoginFailure).where(LoginFailure.at < since))
        session.commit()
    except Exception:
        session.rollback()
        raise
    user = authenticate_password(session, username, password, allow_demo=allow_demo)
    session.rollback()
    if user is None:
        raise AuthenticationRequired(N_("Wrong username or password."))
    begin_write(session)
    session.execute(sa.delete(LoginFailure).where(LoginFailure.id == attempt.id))
    session.commit()
    return user


def start_session(session: so.Session, user: User, lifetime: timedelta) -> str:
    """A new server-side session for ``user``: the token for the cookie (stored hashed)."""
    token = secrets.token_urlsafe(32)
    begin_write(session)
    session.add(
        UserSession(token_hash=hash_token(token), user_id=user.id, expires_at=utcnow() + lifetime)
    )
    session.commit()
    return token


def end_session(session: so.Session, token: str | None) -> None:
    """Sign out: the session's token stops working at once, wherever the cookie was copied."""
    if not token:
        return
    begin_write(session)
    session.execute(
        sa.update(UserSession)
        .where(UserSession.token_hash == hash_token(token), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    session.commit()


def session_principal(
    session: so.Session, token: str | None, *, allow_demo: bool = False
) -> Principal | None:
    """The principal of a live session token, or None (unknown, ended, expired, inactive)."""
    if not token or not isinstance(token, str):
        return None
    user = session.scalar(
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == hash_token(token),
            UserSession.ended_at.is_(None),
            UserSession.expires_at > utcnow(),
            User.active.is_(True),
            *(() if allow_demo else (User.demo.is_(False),)),
        )
        .options(so.selectinload(User.areas))
    )
    return None if user is None else principal_for(session, user)
