"""The planted-cases manifest, ``_planted_cases.json``: which entities carry which signal.

It always describes the full run (start .. end), also when ``--through`` cut the
files short, so that tests know the positives every signal must find.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from generator.config import LICENSE_TYPES, MANIFEST_NAME, VIEWER
from generator.world import World

CHURN_SIGNAL_DAYS = 60  # the marts' churn_inactive_days


def _day(world: World, day: int) -> str:
    return (world.start + dt.timedelta(days=int(day))).isoformat()


def _site_ids(world: World, sites: list[int]) -> list[str]:
    return [world.site_id[s] for s in sites]


def _user(world: World, u: int) -> dict[str, object]:
    return {
        "customer_id": world.customer_id[world.user_customer[u]],
        "user_email": world.user_email[u],
    }


def _licence_exceeders(world: World) -> list[dict[str, object]]:
    exceeders = []
    for u in world.planted["licence_exceeders"]:
        lic = int(world.user_license[u])
        exceeds_with = "Create" if lic == VIEWER else "Publish"
        exceeders.append(
            _user(world, u) | {"license_type": LICENSE_TYPES[lic], "exceeds_with": exceeds_with}
        )
    return exceeders


def _multi_site_users(world: World) -> list[dict[str, object]]:
    multi = []
    for u in world.planted["multi_site_users"]:
        assigned = sorted(world.assignment_site[world.assignment_user == u].tolist())
        multi.append(_user(world, u) | {"site_ids": _site_ids(world, assigned)})
    return multi


def _thresholds(world: World) -> dict[str, object]:
    return {
        "onboarding_window_days": world.params.onboarding_window_days,
        "signal_high_activity_min_events": 500,
        "signal_no_storage_max_bytes": 0,
        "signal_slow_ramp_max_activation_rate": 0.5,
        "signal_stalled_tail_days": 30,
        "heavy_background_min_minutes_per_site": 3000,
        "churn_inactive_days": CHURN_SIGNAL_DAYS,
    }


def planted_cases(
    world: World, options: dict[str, object], site_rows: np.ndarray
) -> dict[str, object]:
    """The manifest's content; ``site_rows`` counts each site's activity rows."""
    w = world
    # a churned site shows as churned when its activity stopped long enough before the end
    churn_limit = w.n_days - CHURN_SIGNAL_DAYS - 5
    churned = np.flatnonzero((w.site_churn <= churn_limit) & (site_rows > 0)).tolist()
    onboarding = (
        w.planted["high_activity_no_storage"] + w.planted["slow_ramp"] + w.planted["stalled"]
    )
    return {
        "description": (
            "Entities planted by scripts/generate_saas_data.py so that the marts' signals "
            "have known positives. Refers to the full run (start..end), also when --through "
            "cut the files short."
        ),
        "options": options,
        "thresholds": _thresholds(w),
        "site_go_live": {w.site_id[s]: _day(w, w.site_golive[s]) for s in onboarding},
        "high_activity_no_storage": _site_ids(w, w.planted["high_activity_no_storage"]),
        "slow_ramp": _site_ids(w, w.planted["slow_ramp"]),
        "stalled": _site_ids(w, w.planted["stalled"]),
        "churned_sites": _site_ids(w, churned),
        "churn_dates": {w.site_id[s]: _day(w, w.site_churn[s]) for s in churned},
        "heavy_background": [w.customer_id[c] for c in w.planted["heavy_background"]],
        "creators_never_create": [_user(w, u) for u in w.planted["creators_never_create"]],
        "licence_exceeders": _licence_exceeders(w),
        "multi_site_users": _multi_site_users(w),
        "internal_accounts": [w.customer_id[c] for c in w.planted["internal_accounts"]],
    }


def write_manifest(
    world: World, out: Path, options: dict[str, object], site_rows: np.ndarray
) -> Path:
    """Write ``<out>/_planted_cases.json`` through a temporary file."""
    path = out / MANIFEST_NAME
    tmp = out / f".{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(planted_cases(world, options, site_rows), indent=2) + "\n")
    tmp.replace(path)
    return path
