"""A reader's language: the user's saved choice and the conservation area's default."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.errors import FieldError, ValidationFailed
from patrol.services.auth import Principal
from patrol.store.engine import write
from patrol.store.models import ConservationArea, User
from patrol.texts import N_

__all__ = ["area_default_language", "set_user_language", "user_language"]


def user_language(session: so.Session, principal: Principal | None) -> str | None:
    """The language the signed-in user chose with the switch, or None (never chosen)."""
    if principal is None:
        return None
    return session.scalar(sa.select(User.language).where(User.id == principal.user_id))


def set_user_language(
    session: so.Session, principal: Principal, language: str, known: Collection[str]
) -> None:
    """Keep the user's choice: the pages speak it on every device they sign in on."""
    if language not in known:
        raise ValidationFailed(
            N_("There are no pages in this language."),
            errors=[FieldError("/lang", N_("one of {allowed}", allowed=", ".join(sorted(known))))],
        )
    with write(session):
        session.execute(
            sa.update(User).where(User.id == principal.user_id).values(language=language)
        )


def area_default_language(session: so.Session, principal: Principal | None) -> str | None:
    """The default language of the reader's area: the first of the signed-in user's areas with
    one, or, before sign-in, of the only area that has one (a one-park server speaks the park's
    language at the sign-in page; a server of several parks cannot guess, and says English)."""
    query = sa.select(ConservationArea.default_language).where(
        ConservationArea.default_language.is_not(None)
    )
    if principal is not None:
        query = query.where(ConservationArea.id.in_(principal.area_ids))
        return session.scalar(query.order_by(ConservationArea.id).limit(1))
    found = set(session.scalars(query.distinct().limit(2)))
    return found.pop() if len(found) == 1 else None
