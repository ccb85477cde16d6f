"""HTML pages for people (the map, the report form and the exports build on these)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from patrol.db import get_session
from patrol.store.models import ConservationArea

bp = Blueprint("web", __name__)


@bp.get("/")
def index():
    areas = get_session().scalars(sa.select(ConservationArea).order_by(ConservationArea.name))
    return render_template("index.html", areas=list(areas))
