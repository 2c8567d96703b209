"""Overview callback called as a plain function, as each kind of user."""
from __future__ import annotations

import json
import logging

import pytest
from dash.exceptions import PreventUpdate

from callbacks.overview import overview_cards, overview_figures
from callbacks.url_state import PAGE_STATE_CALLBACKS
from components import ids


def update_overview(*args):
    """KPIs, map, caption and time stamp: the overview's two callbacks, cards first."""
    *filters, tick = args
    kpis, stamp, ready = overview_cards(*filters, tick)
    figure, caption, _map_state = overview_figures(ready, *filters)
    return kpis, figure, caption, stamp

ADMIN = "admin@demo.e-meuse-sante.fr"


def _texts(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False)


def test_anonymous_caller_gets_nothing(as_user):
    with as_user(None), pytest.raises(PreventUpdate):
        update_overview(["55"], "2026-01", "2026-06", "tous", "tous", 0)


def test_admin_gets_kpis_and_a_map_of_codes_and_values(as_user):
    with as_user(ADMIN):
        kpis, figure, caption, stamp = update_overview(["55"], "2026-01", "2026-06", "tous", "tous", 0)
        query = PAGE_STATE_CALLBACKS["overview"](["55"], "2026-01", "2026-06", "tous", "tous")["filters"]
    text = _texts(kpis)
    for label in ("Téléconsultations réalisées", "Analyses de biologie délocalisée",
                  "Consultations en cabinet mobile", "Médecins généralistes pour 10 000 habitants"):
        assert label in text
    trace = figure["data"][0]
    assert isinstance(trace["geojson"], str) and trace["geojson"].startswith("/geo/communes.")
    mapped = [code for t in figure["data"] for code in t["locations"]]
    assert len(mapped) == len(set(mapped)) == 499 and all(code.startswith("55") for code in mapped)  # each once
    assert len(trace["customdata"]) == len(trace["z"]) == len(trace["locations"])  # GP counts for the hover
    assert "text" not in trace and "%{customdata" in trace["hovertemplate"]  # the browser writes the hover
    assert "coordinates" not in json.dumps(figure)  # no geometry in the callback response
    assert figure["layout"]["separators"] == ", " and figure["layout"]["map"]["style"] == "white-bg"
    assert "499 communes" in caption.replace("\u202f", " ")
    assert query == "?dep=55&du=2026-01&au=2026-06"
    assert stamp.startswith("Mis à jour à ")


def test_summary_level_member_sees_departement_values_only(as_user):
    with as_user("usagers@demo.e-meuse-sante.fr"):  # workforce: summary, biology: none
        kpis, figure, caption, _ = update_overview(["55", "52"], "2026-01", "2026-06", "tous", "tous", 0)
    text = _texts(kpis)
    assert "Analyses de biologie délocalisée" not in text
    assert "Téléconsultations réalisées" in text
    z = figure["data"][0]["z"]
    assert len(set(z)) == 2  # one value per département, none per commune
    assert "niveau départemental" in caption


def test_member_without_workforce_grant_gets_an_empty_map(as_user):
    with as_user("entreprises@demo.e-meuse-sante.fr"):  # workforce: none
        kpis, figure, caption, _ = update_overview(None, "2026-01", "2026-06", "tous", "tous", 0)
    assert figure["data"] == []
    assert "Aucune donnée" in caption
    assert "Médecins généralistes" not in _texts(kpis)


def test_departements_outside_the_territory_are_ignored(as_user):
    with as_user(ADMIN):
        _, figure, _, _ = update_overview(["99", "55"], "2026-01", "2026-06", "tous", "tous", 0)
        query = PAGE_STATE_CALLBACKS["overview"](["99", "55"], "2026-01", "2026-06", "tous", "tous")["filters"]
    assert {c[:2] for c in figure["data"][0]["locations"]} == {"55"}
    assert query.startswith("?dep=55&")


def test_the_first_app_of_the_process_serves_every_callback(app, database_url, caplog):
    """dash.callback's callbacks go to the first Dash app set up (the session's); a later one says it has none."""
    from app import create_app

    outputs = " ".join(app.extensions["emeuse.dash"].callback_map)
    for name in (ids.OVERVIEW_KPIS, ids.OVERVIEW_MAP, "page-state", "mobile-map-graph", "feeds-stats"):
        assert name in outputs
    with caplog.at_level(logging.WARNING, logger="app"):
        later = create_app({"database_url": database_url, "demo_on_first_start": False, "env": "test"})
    assert all("_pages_" in output for output in later.extensions["emeuse.dash"].callback_map)
    assert "no callbacks" in caplog.text
