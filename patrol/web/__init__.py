"""HTML pages for people: sign-in, the coordinator's map, the ranger's report form, patrols."""

from __future__ import annotations

import json
import sys
from datetime import date
from functools import wraps
from pathlib import Path
from urllib.parse import urlparse

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from shapely.geometry import shape

from patrol.config import demo_allowed
from patrol.db import get_session
from patrol.errors import (
    AuthenticationRequired,
    FieldError,
    Forbidden,
    TooManyRequests,
    ValidationFailed,
)
from patrol.geo.shapes import project
from patrol.services import areas, auth, exports, periods, units
from patrol.services import risk as risk_service
from patrol.web import charts

bp = Blueprint("web", __name__)

# Where each role starts after signing in.
LANDING = {
    "ranger": "web.report",
    "coordinator": "web.map_page",
    "admin": "web.map_page",
    "ngo": "web.exports_page",
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
    if "web_principal" not in g:
        g.web_principal = auth.session_principal(
            get_session(), session.get("sid"), allow_demo=demo_allowed(current_app.config["ENV"])
        )
    return g.web_principal


@bp.app_context_processor
def inject_user():
    return {
        "me": current_user(),
        "tile_url": current_app.config.get("TILE_URL"),
        "tile_attribution": current_app.config.get("TILE_ATTRIBUTION"),
    }


def page_for(*roles: str):
    """A page for signed-in people with one of ``roles``; others are sent to sign in or told
    plainly that the page is not for their role."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            me = current_user()
            if me is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if me.role not in roles:
                raise Forbidden(
                    f"This page is for the {', '.join(roles)} role(s); you are "
                    f"signed in as {me.username} ({me.role})."
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
def index():
    me = current_user()
    if me is not None:
        return redirect(url_for(LANDING[me.role]))
    return render_template("index.html", areas=areas.list_areas(get_session()))


@bp.route("/login", methods=["GET", "POST"])
def login():
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
            error, status = exc.detail, exc.status
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
def logout():
    # Unsent reports live in the browser's outbox under their author: signing out keeps them.
    auth.end_session(get_session(), session.get("sid"))
    session.clear()
    return redirect(url_for("web.login"))


@bp.get("/map")
@page_for("coordinator", "admin", "ranger")
def map_page():
    session, me = get_session(), current_user()
    area_list = areas.callers_areas(session, me)
    days = {a.slug: periods.area_days(session, a) for a in area_list}
    return render_template(
        "map.html", units=units.active_units(session, me), areas=area_list, days=days
    )


@bp.get("/report")
@page_for("ranger", "coordinator", "admin")
def report():
    return render_template("report.html", units=units.active_units(get_session(), current_user()))


@bp.get("/patrols/<patrol_id>")
@page_for("coordinator", "admin")
def patrol_page(patrol_id: str):
    return render_template("patrol.html", patrol_id=patrol_id)


@bp.get("/reports/annual/<int:year>")
@page_for("ngo", "coordinator", "admin")
def annual_report(year: int):
    """The printable annual report (A4): headline figures, charts, zone map, hotspots, methods."""
    session = get_session()
    area = areas.area_for(session, current_user(), request.args.get("area"))
    data = exports.annual_report(session, area, year)
    figures = _report_charts(data, area)
    figures["setting"] = _setting_map(session, area, year)
    return render_template("annual_report.html", r=data, charts=figures)


def _setting_map(session, area, year: int):
    """The predicted setting rate at the year's end on 5 km cells (an aggregate, as NGOs get
    it: cells walked by fewer than 3 patrols in the year, or not at all, are grey)."""
    cell_km = max(5.0, area.cell_m / 1000)
    result = risk_service.risk(session, area, date(year, 12, 31), 30, cell_km)
    m, side = result.model, result.grid.cell_m
    known = m.walked & (result.patrols >= 3)
    cells = [
        (
            float(result.centre_x[k] - side / 2),
            float(result.centre_y[k] - side / 2),
            float(side),
            float(m.setting_rate[k]) if known[k] else float("nan"),
        )
        for k in range(result.ix.size)
    ]
    return charts.cell_map(
        cells,
        f"Predicted snare setting per km² per 30 days from {year + 1}-01-01, {cell_km:g} km cells",
    )


def _report_charts(data: dict, area) -> dict:
    monthly = data["monthly"]
    labels = [m[5:] for m in monthly]
    zones = data["zones"]
    geoms = [
        project(shape(json.loads(data["zone_geometries"][z["zone"]])), area.epsg) for z in zones
    ]
    return {
        "monthly": charts.bar_line_chart(
            labels,
            [v["snares_found"] for v in monthly.values()],
            [v["effort_km"] for v in monthly.values()],
            "snares found",
            "km walked",
            f"Snares found and km walked per month, {data['year']}",
        ),
        "cpue": charts.hbar_chart(
            [f"{z['zone']} {z['name']}" for z in zones],
            [z["cpue_per_100km"] for z in zones],
            "per 100 km",
            f"Snares per 100 km of effort, by zone, {data['year']}",
        ),
        "map": charts.zone_map(
            geoms,
            [z["zone"] for z in zones],
            [z["eb_rate_per_100km"] for z in zones],
            f"Zones shaded by smoothed snares per 100 km, {data['year']}",
        ),
    }


@bp.get("/units/<code>/briefing")
@page_for("ranger", "coordinator", "admin")
def unit_briefing(code: str):
    """One printable A4 page per unit and day: the route's map, and each target with its
    expected snares and when it was last patrolled."""
    session = get_session()
    unit = units.visible_unit(session, current_user(), code, "briefing")
    raw = request.args.get("date")
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValidationFailed(
            "The date is not valid.", errors=[FieldError("/date", "a date YYYY-MM-DD")]
        ) from None
    route = risk_service.day_route(session, unit.area, unit, day)
    chart = charts.route_map(
        route.cells,
        route.base_xy,
        route.stops_xy,
        f"{unit.code} day route, {route.day.isoformat()}: cells shaded by expected snares",
    )
    return render_template("briefing.html", r=route, unit=unit, chart=chart)


@bp.get("/exports")
@page_for("ngo", "coordinator", "admin")
def exports_page():
    session = get_session()
    area = areas.area_for(session, current_user(), request.args.get("area"))
    years = exports.yearly_totals(session, area)
    chart = None
    if years:
        chart = charts.bar_line_chart(
            [str(y["year"]) for y in years],
            [y["snares_found"] for y in years],
            [y["cpue_per_100km"] or 0 for y in years],
            "snares found",
            "snares per 100 km",
            "Snares found and CPUE per year",
        )
    return render_template("exports.html", area=area, years=years, chart=chart)


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    """Front-end libraries, served from the registry packages installed with patrol."""
    if package not in VENDOR:
        abort(404)
    response = send_from_directory(VENDOR[package], filename, max_age=86400)
    return response


@bp.get("/sw.js")
def service_worker():
    """The report form's service worker, at the root so its scope covers the pages."""
    response = send_from_directory(STATIC / "js", "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response
