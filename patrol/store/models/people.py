"""Who may sign in: users, their API tokens, sessions and failed sign-ins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.store.models.base import Base, user_area, utcnow
from patrol.vocabulary import (
    Role,
    sql_in,
    values,
)

if TYPE_CHECKING:  # the related models, for the annotations (the registry resolves them)
    from patrol.store.models.areas import ConservationArea, Unit

__all__ = ["ROLES", "ApiToken", "LoginFailure", "User", "UserSession"]


ROLES = values(Role)


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (sa.CheckConstraint(sql_in("role", Role), name="role"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(256))
    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    unit_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("unit.id", ondelete="SET NULL"))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # Made by the demo loader with a published password and token: never valid in production.
    demo: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # The pages' language this user chose with the language switch (None: not chosen).
    language: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    unit: so.Mapped[Unit | None] = so.relationship()
    areas: so.Mapped[list[ConservationArea]] = so.relationship(secondary=user_area)
    tokens: so.Mapped[list[ApiToken]] = so.relationship(back_populates="user")


class ApiToken(Base):
    """An API token, stored as its SHA-256 only: the token itself is shown once, at creation."""

    __tablename__ = "api_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))
    name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_used_at: so.Mapped[datetime | None]
    revoked_at: so.Mapped[datetime | None]

    user: so.Mapped[User] = so.relationship(back_populates="tokens")


class LoginFailure(Base):
    """A failed sign-in, kept a short while so that guessing passwords gets slow."""

    __tablename__ = "login_failure"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    ip: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)


class UserSession(Base):
    """A signed-in browser session, known to the server so that signing out ends it.

    The cookie carries a random id; only its SHA-256 is stored, as for API tokens.
    """

    __tablename__ = "user_session"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime]
    ended_at: so.Mapped[datetime | None]
