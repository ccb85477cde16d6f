"""HTML pages for people: sign-in, the coordinator's map, the ranger's report form, patrols."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from patrol.config import demo_allowed
from patrol.db import get_session
from patrol.errors import (
    AuthenticationRequired,
    FieldError,
    Forbidden,
    TooManyRequests,
    ValidationFailed,
)
from patrol.i18n import current_language, date_text
from patrol.principal import signed_in
from patrol.services import annual_report as annual_report_service
from patrol.services import areas, auth, exports, periods, units
from patrol.services import day_route as day_routes
from patrol.services.queries import get_patrol
from patrol.texts import N_, translated
from patrol.vocabulary import Role
from patrol.web import charts, report_charts
from patrol.web.labels import label

bp = Blueprint("web", __name__)

# Where each role starts after signing in.
LANDING = {
    Role.RANGER: "web.report",
    Role.COORDINATOR: "web.map_page",
    Role.ADMIN: "web.map_page",
    Role.NGO: "web.exports_page",
}
VENDOR = {
    "leaflet": Path(xstatic.pkg.leaflet.BASE_DIR),
    "leaflet-markercluster": Path(xstatic.pkg.leaflet_markercluster.BASE_DIR),
}
# From the npm registry at install time (`make vendor-js`), beside the venv's packages.
VENDOR.update(
    {d.name: d for p in map(Path, sys.path) for d in (p / "patrol_vendor").glob("*") if d.is_dir()}
)
STATIC = Path(__file__).resolve().parents[2] / "static"


def current_user() -> auth.Principal | None:
    """The person signed in (the API's loader, ``patrol.principal``: one rule for both)."""
    return signed_in()


@bp.app_context_processor
def inject_user() -> dict[str, Any]:
    return {
        "me": current_user(),
        "tile_url": current_app.config.get("TILE_URL"),
        "tile_attribution": current_app.config.get("TILE_ATTRIBUTION"),
    }


def page_for(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for signed-in people with one of ``roles``; others are sent to sign in or told
    plainly that the page is not for their role."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            me = current_user()
            if me is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if me.role not in roles:
                raise Forbidden(
                    gettext(
                        "This page is for the %(roles)s role(s); you are signed in as "
                        "%(user)s (%(role)s).",
                        roles=", ".join(label(Role, r) for r in roles),
                        user=me.username,
                        role=label(Role, me.role),
                    )
                )
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlparse(target)
    # Only paths on this site: never an open redirect to another host.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.get("/")
def index() -> ResponseReturnValue:
    me = current_user()
    if me is not None:
        return redirect(url_for(LANDING[me.role]))
    return render_template("index.html", areas=areas.list_areas(get_session()))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = None
    status = 200
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        try:
            user = auth.login(
                get_session(),
                username,
                request.form.get("password", ""),
                request.remote_addr or "",
                allow_demo=demo_allowed(current_app.config["ENV"]),
            )
        except (AuthenticationRequired, TooManyRequests) as exc:
            # Said in the page's language: the sign-in page's words all are.
            error, status = translated(exc.detail, gettext), exc.status
        else:
            session.clear()  # a fresh session: nothing carries over from before sign-in
            session["sid"] = auth.start_session(
                get_session(), user, current_app.permanent_session_lifetime
            )
            session.permanent = True
            target = _safe_next(request.form.get("next")) or url_for(LANDING[user.role])
            return redirect(target)
    return render_template(
        "login.html", error=error, username=username, next=request.values.get("next", "")
    ), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    # Unsent reports live in the browser's outbox under their author: signing out keeps them.
    auth.end_session(get_session(), session.get("sid"))
    session.clear()
    return redirect(url_for("web.login"))


@bp.get("/map")
@page_for(Role.COORDINATOR, Role.ADMIN, Role.RANGER)
def map_page() -> ResponseReturnValue:
    session, me = get_session(), current_user()
    area_list = areas.callers_areas(session, me)
    days = {a.slug: periods.area_days(session, a) for a in area_list}
    return render_template(
        "map.html", units=units.active_units(session, me), areas=area_list, days=days
    )


@bp.get("/report")
@page_for(Role.RANGER, Role.COORDINATOR, Role.ADMIN)
def report() -> ResponseReturnValue:
    return render_template("report.html", units=units.active_units(get_session(), current_user()))


@bp.get("/patrols/<patrol_id>")
@page_for(Role.COORDINATOR, Role.ADMIN)
def patrol_page(patrol_id: str) -> ResponseReturnValue:
    """One patrol; an id that names none of the caller's patrols is a 404 page."""
    patrol = get_patrol(get_session(), current_user(), patrol_id, include_deleted=True)
    return render_template("patrol.html", patrol=patrol)


@bp.get("/reports/annual")
@page_for(Role.NGO, Role.COORDINATOR, Role.ADMIN)
def annual_report_default() -> ResponseReturnValue:
    """The annual report of the last complete year with patrols."""
    session = get_session()
    area = areas.area_for(session, current_user(), request.args.get("area"))
    year = periods.default_year(session, area)
    if year is None:
        raise periods.NoPatrols(
            N_("{name} has no patrols yet: there is no report to show.", name=area.name)
        )
    return redirect(url_for("web.annual_report", year=year, area=area.slug))


@bp.get("/reports/annual/<int:year>")
@page_for(Role.NGO, Role.COORDINATOR, Role.ADMIN)
def annual_report(year: int) -> ResponseReturnValue:
    """The printable annual report (A4): headline figures, charts, zone map, hotspots."""
    session = get_session()
    area = areas.area_for(session, current_user(), request.args.get("area"))
    data = annual_report_service.annual_report(session, area, year, lang=current_language())
    figures = report_charts.annual_charts(session, data, area)
    return render_template("annual_report.html", r=data, charts=figures)


@bp.get("/methods")
def methods() -> ResponseReturnValue:
    """How the figures are made, in plain words: the page the annual report points to."""
    return render_template("methods.html")


@bp.get("/units/<code>/briefing")
@page_for(Role.RANGER, Role.COORDINATOR, Role.ADMIN)
def unit_briefing(code: str) -> ResponseReturnValue:
    """One printable A4 page per unit and day: the route's map, and each target with its
    expected snares and when it was last patrolled."""
    session = get_session()
    unit = units.visible_unit(session, current_user(), code, N_("briefing"))
    raw = request.args.get("date")
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValidationFailed(
            N_("The date is not valid."), errors=[FieldError("/date", N_("a date YYYY-MM-DD"))]
        ) from None
    route = day_routes.day_route(session, unit.area, unit, day)
    chart = charts.route_map(
        route.cells,
        route.base_xy,
        route.stops_xy,
        gettext(
            "%(unit)s day route, %(day)s: cells shaded by expected snares",
            unit=unit.code,
            day=date_text(route.day),
        ),
    )
    return render_template("briefing.html", r=route, unit=unit, chart=chart)


@bp.get("/exports")
@page_for(Role.NGO, Role.COORDINATOR, Role.ADMIN)
def exports_page() -> ResponseReturnValue:
    session = get_session()
    area = areas.area_for(session, current_user(), request.args.get("area"))
    years = exports.yearly_totals(session, area)
    return render_template(
        "exports.html",
        area=area,
        years=years,
        default_year=periods.default_year(session, area),
        today=periods.local_today(area),
        chart=report_charts.trend_chart(years, area),
    )


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str) -> ResponseReturnValue:
    """Front-end libraries, served from the registry packages installed with patrol."""
    if package not in VENDOR:
        abort(404)
    response = send_from_directory(VENDOR[package], filename, max_age=86400)
    return response


@bp.get("/sw.js")
def service_worker() -> ResponseReturnValue:
    """The report form's service worker, at the root so its scope covers the pages."""
    response = send_from_directory(STATIC / "js", "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response
