"""The declarative base of every model: naming of constraints, UTC times, the user-area link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from patrol.store.types import UTCDateTime

__all__ = ["NAMING", "Base", "user_area", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict] = {datetime: UTCDateTime()}


user_area = sa.Table(
    "user_area",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "area_id", sa.ForeignKey("conservation_area.id", ondelete="CASCADE"), primary_key=True
    ),
)
