"""A digest of the coordinator's answers, to show a change to how they are computed or kept
leaves every byte alone.

Asks a stored database (the bench's demo year, or its ten years: ``hotspot_bench.py``) for
hotspots at 1 and 5 km, by unit and seasonal with ``min_effort_km``, zone statistics in
GeoJSON and CSV (and by unit), dispatch, a unit's targets (GeoJSON and CSV), the prediction
(at 1 and 5 km), the NGO's hotspots and a ranger's targets, over a year, a month, ten years,
two custom windows and the default window. Each answer three times: computed, again from
what the process keeps, and once more after everything kept is forgotten, the answers
asked in the reverse order (so pieces are computed in other spans); the three must be the
same bytes. Prints one SHA-256 per answer and one over all: run it before and after a
change, on SQLite and PostgreSQL.

    python bench/answer_digest.py sqlite:////tmp/bench/ten.sqlite3 [--ten]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from patrol import create_app
from patrol.services import answer_cache, kept_bins, month_figures

TOKENS = {
    "coordinator": "ptl_demo_coordinator_000000000",
    "ngo": "ptl_demo_ngo_00000000000000000000",
    "ranger": "ptl_demo_ranger07_00000000000000",
}
WINDOWS = [
    "from=2025-01-01&to=2025-12-31",
    "from=2025-06-01&to=2025-06-30",
    "from=2024-03-15&to=2025-02-10",
    "from=2025-02-17&to=2025-11-03",
    "",
]
TEN_YEARS = "from=2016-01-01&to=2025-12-31"
ANSWERS = [
    ("coordinator", "hotspots?{q}"),
    ("coordinator", "hotspots?{q}&cell_km=5"),
    ("coordinator", "hotspots?{q}&unit=MU-07"),
    ("coordinator", "hotspots?{q}&bins=seasonal&min_effort_km=3"),
    ("coordinator", "zones/stats?{q}"),
    ("coordinator", "zones/stats?{q}&format=csv"),
    ("coordinator", "zones/stats?{q}&unit=MU-07"),
    ("coordinator", "dispatch?{q}"),
    ("coordinator", "units/MU-07/targets?{q}"),
    ("coordinator", "units/MU-07/targets?{q}&format=csv"),
    ("ranger", "units/MU-07/targets?{q}"),
]
NGO = [  # whole months only
    ("ngo", "hotspots?from=2025-01-01&to=2025-12-31"),
    ("ngo", "hotspots?from=2025-06-01&to=2025-06-30&cell_km=10"),
]
RISK = [
    ("coordinator", "risk?until=2025-12-31"),
    ("coordinator", "risk?until=2025-12-31&cell_km=5"),
    ("coordinator", "risk?until=2025-06-14"),
    ("coordinator", "risk"),
]


def requests(ten: bool) -> list[tuple[str, str]]:
    windows = WINDOWS + ([TEN_YEARS] if ten else [])
    out = [(who, path.format(q=q)) for q in windows for who, path in ANSWERS]
    return out + NGO + RISK


def forget() -> None:
    from patrol.services import risk

    month_figures.clear()
    answer_cache.clear()
    kept_bins.clear()
    risk.clear()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--ten", action="store_true", help="also the ten-year window")
    args = parser.parse_args()
    app = create_app({"ENV": "development", "SECRET_KEY": "digest", "DATABASE_URL": args.url})
    client = app.test_client()
    asked = requests(args.ten)

    def ask(order: list[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        out = {}
        for who, path in order:
            r = client.get(f"/api/v1/{path}", headers={"Authorization": f"Bearer {TOKENS[who]}"})
            assert r.status_code == 200, (who, path, r.status_code, r.data[:300])
            out[who, path] = r.get_data()
        return out

    forget()
    first = ask(asked)
    kept = ask(asked)
    forget()
    reverse = ask(asked[::-1])
    total = hashlib.sha256()
    for key in asked:
        assert first[key] == kept[key] == reverse[key], f"not the same bytes: {key}"
        digest = hashlib.sha256(first[key]).hexdigest()
        total.update(digest.encode())
        print(f"{digest[:16]}  {key[0]:<12} {key[1]}")
    print(f"{len(asked)} answers, sha256 over all: {total.hexdigest()}")
    app.extensions["patrol.engine"].dispose()


if __name__ == "__main__":
    main()
