"""Page callbacks called as plain functions, as the users who open those pages."""
from __future__ import annotations

import json

import pytest
from dash.exceptions import PreventUpdate

from callbacks.biology import biology_cards, biology_figures
from callbacks.common import territory_choices
from callbacks.coverage import coverage_cards, coverage_figures
from callbacks.feeds import feeds_cards, feeds_figures, feeds_quality
from callbacks.mobile import mobile_cards, mobile_figures
from callbacks.programme import programme_cards, programme_figures
from callbacks.teleconsultation import teleconsultation_cards, teleconsultation_figures
from callbacks.workforce import workforce_cards, workforce_figures
from components.filters import ALL

ADMIN = "admin@demo.e-meuse-sante.fr"
ARS = "ars@demo.e-meuse-sante.fr"
USAGERS = "usagers@demo.e-meuse-sante.fr"            # teleconsultation/mobile/workforce/coverage: summary
COLLECTIVITES = "collectivites@demo.e-meuse-sante.fr"  # teleconsultation/mobile/workforce/coverage: detail
H1 = (["52", "55"], "2026-01", "2026-06", ALL, ALL)
READY = 1  # the value a cards callback wrote to its page's `ready` store


def update_teleconsultation(*args):
    *filters, tick = args
    stats, note, stamp, _ = teleconsultation_cards(*filters, tick)
    weekly, weekly_data, sites, sites_data, _map_state = teleconsultation_figures(READY, *filters)
    return stats, weekly, weekly_data, sites, sites_data, note, stamp


def update_mobile(*args):
    *filters, tick = args
    stats, note, stamp, _ = mobile_cards(*filters, tick)
    return (stats, *mobile_figures(READY, *filters)[:-1], note, stamp)  # the map's store left out


def update_biology(*args):
    *filters, tick = args
    stats, note, stamp, _ = biology_cards(*filters, tick)
    return (stats, *biology_figures(READY, *filters), note, stamp)


def update_workforce(*args):
    stats, note, _ = workforce_cards(*args)
    return (stats, *workforce_figures(READY, *args)[:-1], note)


def update_coverage(*args):
    stats, note, _ = coverage_cards(*args)
    return (stats, *coverage_figures(READY, *args)[:-1], note)


def update_programme(*args):
    stats, note, _ = programme_cards(*args)
    return (stats, *programme_figures(READY, *args), note)


def update_feeds(tick):
    stats, stamp, _, _replica = feeds_cards(tick)
    return (stats, *feeds_figures(READY), stamp)


def text(component) -> str:
    return json.dumps(component, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
                      ensure_ascii=False)


def assert_no_geometry(figure: dict) -> None:
    """Maps reference the commune geometry by URL: a callback never ships polygons."""
    for trace in figure["data"]:
        assert not isinstance(trace.get("geojson"), dict)
    for layer in figure["layout"].get("map", {}).get("layers", []):
        assert isinstance(layer["source"], (str, list))
    assert '"coordinates"' not in json.dumps(figure)


def assert_departement_map(figure: dict, codes: list[str]) -> None:
    """A summary-level map: département polygons only, no point, no commune outline."""
    assert_no_geometry(figure)
    assert all(t["type"] == "choroplethmap" and "/geo/departements." in t["geojson"] for t in figure["data"])
    assert sorted(c for t in figure["data"] for c in t["locations"]) == codes
    assert "/geo/communes." not in json.dumps(figure)


def test_teleconsultation_in_detail_and_in_summary(as_user):
    with as_user(COLLECTIVITES):
        stats, weekly, weekly_data, sites, sites_data, note, stamp = update_teleconsultation(*H1, 0)
    assert "Séances réalisées" in text(stats) and "EHPAD avec téléconsultation active" in text(stats)
    assert len(weekly["data"]) > 3 and weekly["layout"]["separators"] == ", "
    assert "semaines" in text(weekly_data) and "/export/teleconsultation-hebdo.csv?dep=52,55" in text(weekly_data)
    assert_no_geometry(sites)
    assert len(sites["data"][0]["lat"]) > 20 and note is None and stamp.startswith("Mis à jour")
    with as_user(USAGERS):
        _, weekly, _, sites, sites_data, note, _ = update_teleconsultation(*H1, 0)
    assert sorted(t["name"] for t in weekly["data"]) == ["Haute-Marne", "Meuse"]
    assert_departement_map(sites, ["52", "55"])
    assert "EHPAD" not in text(sites_data) and "synthèse" in text(note)


def test_mobile_page(as_user):
    with as_user(ARS):
        stats, vmap, vmap_data, weekly, _, communes, tour, note, _ = update_mobile(*H1, 0)
    assert "Communes desservies" in text(stats) and "à moins de 10 km" in text(stats)
    assert_no_geometry(vmap)
    names = {t["name"] for t in vmap["data"]}
    assert any("Véhicules" in n for n in names) and any("Communes desservies" in n for n in names)
    assert "Communes desservies" in text(communes) and note is None
    assert {t["name"] for t in weekly["data"]} >= {"Réalisés"}
    assert "Tournée du " in text(tour) and "heure de Paris" in text(tour)


def test_biology_page_lists_alerts_first(as_user):
    with as_user(ADMIN):
        stats, devices, weekly, _, sites, _, note, _ = update_biology(*H1, 0)
    assert "Automates en alerte" in text(stats) and "Analyses réalisées" in text(stats)
    assert "alertes en premier" in text(devices) and len(weekly["data"]) == 6  # six POC tests
    assert note is None


def test_biology_needs_its_grant(as_user):
    with as_user(USAGERS), pytest.raises(PreventUpdate):  # usagers: biology none
        update_biology(*H1, 0)


def test_workforce_page_scales(as_user):
    with as_user(ADMIN):
        by_commune = update_workforce(*H1, "medecin_gp", "commune")
        by_dep = update_workforce(*H1, "medecin_gp", "departement")
    stats = text(by_commune[0])
    assert "60 ans et plus" in stats and "retraite" in stats and "Boursiers" in stats
    for figure in (by_commune[1], by_dep[1]):
        mapped = [code for t in figure["data"] for code in t["locations"]]
        assert len(mapped) == len(set(mapped)) == 925  # every commune once: with a value, or in grey
    assert_no_geometry(by_commune[1])
    assert len(set(by_dep[1]["data"][0]["z"])) <= 2  # every commune carries its département's density
    assert [t["name"] for t in by_commune[5]["data"]] == ["Installations", "Départs"]


def test_coverage_threshold_and_layers(as_user):
    with as_user(ARS):
        low = update_coverage(*H1, "1", ["65"], ["teleconsultation"])
        high = update_coverage(*H1, "2,5", ["65"], ["teleconsultation", "mobile"])
    assert_no_geometry(high[1])
    count = [int(t.split(" lignes")[0].split("(")[-1].replace("\u202f", ""))
             for t in (text(low[3]).split("Communes sous le seuil (")[1][:20],
                       text(high[3]).split("Communes sous le seuil (")[1][:20])]
    assert count[0] < count[1]
    assert "seuil=2.5" in text(high[3])  # the export link carries the threshold
    layers = {t.get("name"): t for t in high[1]["data"]}
    assert "Site de téléconsultation" in layers and "Arrêt de cabinet mobile" in layers
    # only the points inside the mapped départements (the territory also has Meurthe-et-Moselle)
    assert set(layers["Site de téléconsultation"]["customdata"]) <= set(high[1]["data"][0]["locations"])
    assert {c[:2] for c in layers["Site de téléconsultation"]["customdata"]} == {"52", "55"}
    with as_user(ARS):  # a malformed threshold falls back to the default instead of failing
        assert "2,5" in text(update_coverage(*H1, "abc", [], [])[0])


def test_programme_page(as_user):
    with as_user("financeurs@demo.e-meuse-sante.fr"):  # programme: detail
        stats, chart, data, note = update_programme(*H1, "prevention_ados")
    assert "cible : au moins" in text(stats) and ",0 adolescents" not in text(stats)
    assert any(t["name"].startswith("Cible") for t in chart["data"])
    assert "/export/programme-indicateurs" in text(data)


def test_feeds_page_for_the_feeds_grant_only(as_user):
    with as_user("entreprises@demo.e-meuse-sante.fr"):  # feeds: detail
        stats, sources, *_ = update_feeds(0)
    assert "Sources déclarées" in text(stats) and "Démo — " in text(sources)
    with as_user("etablissements@demo.e-meuse-sante.fr"):  # feeds: summary, per feed kind, no source names
        _, sources, *_ = update_feeds(0)
    assert "Démo — " not in text(sources) and "Sources par flux" in text(sources)
    with as_user(USAGERS), pytest.raises(PreventUpdate):
        update_feeds(0)


def test_feeds_quality_section(as_user):
    """Scores per source, flags by check and the latest flagged events (the demo plants some) at detail;
    per feed kind, no source named and no event listed at summary."""
    with as_user("entreprises@demo.e-meuse-sante.fr"):  # feeds: detail
        scores, checks, flags = feeds_quality(READY)
    assert "Démo — passerelle des automates de biologie" in text(scores) and "Baisse soudaine" in text(scores)
    assert "Valeur hors des limites physiologiques" in text(checks)
    assert "Potassium" in text(flags) and "BIO-DOUTE-1" in text(flags) and "/export/flux-signalements-recents" in \
        text(flags)
    with as_user("etablissements@demo.e-meuse-sante.fr"):  # feeds: summary
        scores, checks, flags = feeds_quality(READY)
    assert "Démo — " not in text(scores) + text(checks) + text(flags)
    assert "Score de qualité par flux" in text(scores) and "< 11" in text(checks)
    assert "BIO-DOUTE" not in text(flags) and "synthèse" in text(flags)
    with as_user(USAGERS), pytest.raises(PreventUpdate):
        feeds_quality(READY)


def test_epci_and_commune_choices_follow_the_departements(as_user):
    with as_user(ADMIN):
        epcis, epci, communes, commune = territory_choices(["55"], ALL, "55029")
        assert commune == "55029" and len(communes) > 400
        _, _, communes_52, commune = territory_choices(["52"], ALL, "55029")
    assert commune == ALL  # a commune of another département is cleared
    assert all(o["label"].endswith("(52)") for o in communes_52[1:])
    with as_user("professionnels@demo.e-meuse-sante.fr"):
        assert territory_choices(["55"], ALL, ALL)[0] == epcis  # reference geography, same for everyone


def test_feeds_completeness_section_names_sources_at_detail_only(as_user):
    with as_user("entreprises@demo.e-meuse-sante.fr"):  # feeds: detail
        window, stats, per_dep, missing, items = feeds_figures(READY)[5:]
    assert "7 derniers jours complets, heure de Paris" in window and "DHIS2" in window
    assert "Complétude des rapports d'automates" in text(stats)
    assert "/export/flux-completude.csv" in text(per_dep) and "/export/flux-manquants.csv" in text(missing)
    assert "POC-EHPAD-55-BLANPAIN" in text(items) and "/export/flux-completude-detail.csv" in text(items)
    with as_user("etablissements@demo.e-meuse-sante.fr"):  # feeds: summary
        window, stats, per_dep, missing, items = feeds_figures(READY)[5:]
    shown = text([stats, per_dep, missing, items])
    assert "POC-" not in shown and "EHPAD Blanpain" not in shown and "Cabinet médical mobile" not in shown
    assert "réservé au niveau « détail »" in text(items) and "Haute-Marne" in text(per_dep)
    with as_user(USAGERS), pytest.raises(PreventUpdate):
        feeds_figures(READY)


def test_feeds_says_nothing_of_a_replica_without_one(as_user):
    """The replication line of /flux is shown only with DATABASE_READ_URL (tests/server/test_replica.py)."""
    with as_user("admin@demo.e-meuse-sante.fr"):
        assert feeds_cards(0)[3] is None
