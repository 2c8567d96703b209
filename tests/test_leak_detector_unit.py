"""The summary-level leak detector on small hand-made responses: each kind of leak is found, and a
clean summary-looking response gives no finding."""
from __future__ import annotations

import json

import pytest

from tests.leak_detector import Detector, is_count_title, small_counts_in_text

COMMUNES = {"55029": "Bar-le-Duc", "55545": "Verdun", "52448": "Saint-Dizier", "52332": "Marne"}
DEP = {"55": (49.0166619038, 5.3824527254), "52": (48.1111895539, 5.2562760798)}


@pytest.fixture()
def detector() -> Detector:
    names = {name: "commune name" for name in COMMUNES.values()}
    names.update({"EHPAD Blanpain-Couchot": "site name", "EHPAD-55-BLANPAIN": "site code",
                  "POC-EHPAD-55-BLANPAIN-i-STAT": "device serial", "i-STAT": "device model",
                  "Cabinet médical mobile — Nord Haute-Marne": "vehicle name",
                  "Passerelle — EHPAD Blanpain-Couchot": "source name"})
    return Detector(dict(COMMUNES), names, dict(DEP))


def dash(response: dict) -> str:
    return json.dumps({"multi": True, "response": response}, ensure_ascii=False)


def card(label: str, value: str, detail: str | None = None) -> dict:
    kids = [{"props": {"children": label, "className": "kpi-label h6 text-muted"}, "type": "H2",
             "namespace": "dash_html_components"},
            {"props": {"children": value, "className": "kpi-value h3 mb-1", "id": "stat-x"}, "type": "P",
             "namespace": "dash_html_components"}]
    if detail:
        kids.append({"props": {"children": detail, "className": "small"}, "type": "P",
                     "namespace": "dash_html_components"})
    return {"props": {"children": kids}, "type": "CardBody", "namespace": "dash_bootstrap_components"}


def table(columns, rows, numeric=None) -> dict:
    return {"props": {"data": {"caption": "t", "columns": columns, "numeric": numeric or [False] * len(columns),
                               "rows": rows}, "id": {"type": "table-data", "key": "k"}},
            "type": "Store", "namespace": "dash_core_components"}


def bars(y, *, y_title: str, name: str = "Meuse", horizontal: bool = False) -> dict:
    trace = {"type": "bar", "name": name}
    trace.update({"y": ["a"] * len(y), "x": y, "orientation": "h"} if horizontal else {"x": ["a"] * len(y), "y": y})
    axis = {"title": {"text": y_title}}
    return {"data": [trace], "layout": {"xaxis" if horizontal else "yaxis": axis}}


# --- each kind of leak ------------------------------------------------------------------------------

def test_commune_code_in_a_list_is_reported_with_its_path(detector):
    raw = dash({"coverage-map-graph": {"figure": {"data": [{"type": "choroplethmap",
                                                            "locations": ["55", "52", "54", "55029"]}],
                                                  "layout": {}}}})
    assert detector.find_leaks(raw) == [
        "commune code 55029 in response['coverage-map-graph']['figure']['data'][0]['locations'][3]"]


@pytest.mark.parametrize("text, leaks", [
    ("Commune 55029 : 12 séances", True), ("55029", True), ("(55545)", True), ("insee=52448&x=1", True),
    ("155029", False), ("55029,5", False), ("55 029 habitants", False), ("ABC55029", False), ("99999", False),
])
def test_commune_code_as_a_token_in_text(detector, text, leaks):
    found = detector.find_leaks(json.dumps({"t": text}))
    assert bool([f for f in found if f.startswith("commune code")]) is leaks, found


def test_commune_code_as_a_number_and_a_key(detector):
    found = detector.find_leaks(json.dumps({"customdata": [55029], "by": {"55545": 3}}))
    assert any("55029 (number)" in f for f in found) and any("55545 (dict key)" in f for f in found)


def test_the_callers_own_commune_filter_echoed_in_a_link_is_not_a_leak(detector):
    raw = json.dumps({"href": "/export/biologie-hebdo.csv?dep=55&commune=55029&du=2026-01"})
    assert detector.find_leaks(raw, sent=["55029"]) == []
    assert detector.find_leaks(raw) != []  # not sent by the caller: it is a leak
    assert detector.find_leaks(json.dumps({"t": "Commune 55029"}), sent=["55029"]) != []  # only in links


@pytest.mark.parametrize("text, kind", [
    ("<b>Médecine générale — Verdun</b>", "commune name 'Verdun'"),
    ("Saint-Dizier", "commune name 'Saint-Dizier'"),
    ("Le plus actif : EHPAD Blanpain-Couchot (45 séances réalisées).", "site name 'EHPAD Blanpain-Couchot'"),
    ("EHPAD-55-BLANPAIN", "site code"),
    ("POC-EHPAD-55-BLANPAIN-i-STAT", "device serial"),
    ("Modèle : i-STAT", "device model"),
    ("<b>Cabinet médical mobile — Nord Haute-Marne</b><br>relevée le 30/10/2026", "vehicle name"),
    ("Passerelle — EHPAD Blanpain-Couchot", "source name"),  # the longest name wins
])
def test_names_in_text(detector, text, kind):
    found = detector.find_leaks(json.dumps({"text": [text]}))
    assert len(found) == 1 and found[0].startswith(kind), found


@pytest.mark.parametrize("text", ["Haute-Marne", "verdun", "Verdunois", "Bar-le-Ducs", "Saint-Dizier-l'Évêque"])
def test_names_match_whole_and_case_sensitive(detector, text):
    assert detector.find_leaks(json.dumps({"text": text})) == []


def test_allowlisted_name_is_not_reported():
    d = Detector({"55545": "Verdun"}, {"Verdun": "commune name"}, dict(DEP), allowlist=frozenset({"Verdun"}))
    assert d.find_leaks(json.dumps({"t": "Verdun"})) == []


def test_coordinates_other_than_a_departement_point(detector):
    lat55, lon55 = DEP["55"]
    fig = {"data": [{"type": "scattermap", "lat": [lat55 + 5e-7, 48.36003], "lon": [lon55, 4.99854]}],
           "layout": {"map": {"center": {"lat": 48.5, "lon": 5.1}, "zoom": 7}}}
    found = detector.find_leaks(dash({"m": {"figure": fig}}))
    assert found == ["coordinate (48.36003, 4.99854) in response['m']['figure']['data'][0]['lat'][1]"]
    assert detector.find_leaks(json.dumps({"p": {"lat": 48.2, "lon": 5.0}})) != []
    assert detector.find_leaks(json.dumps({"p": {"lat": [48.2]}})) != []  # a lone latitude


def test_coordinates_in_a_table(detector):
    lat55, lon55 = DEP["55"]
    ok = [["Meuse", f"{lat55:.1f}".replace(".", ","), f"{lon55:.1f}".replace(".", ",")]]
    bad = [["Véhicule", "48,4", "5,0"]]
    cols = ["Nom", "Latitude", "Longitude"]
    assert detector.find_leaks(json.dumps(table(cols, ok, [False, True, True]))) == []
    assert len(detector.find_leaks(json.dumps(table(cols, bad, [False, True, True])))) == 2


def test_commune_geometry_in_a_summary_map(detector):
    fig = {"data": [{"type": "choroplethmap", "geojson": "/geo/communes.beeb71ab950d.geojson",
                     "locations": ["55"], "z": [6.8]}], "layout": {}}
    assert detector.find_leaks(json.dumps(fig)) == [
        "commune geometry '/geo/communes.beeb71ab950d.geojson' in body['data'][0]['geojson']"]


@pytest.mark.parametrize("text, counts", [
    ("programmés sur la période ; 10 annulés ; 0 prévus dans les 14 jours", [(10, "annulés")]),
    ("Premier groupe : Meuse (5 séances).", [(5, "séances")]),
    ("dont 2 nouveaux patients", [(2, "patients")]),
    ("<b>Verdun</b><br>3 arrêts · 7 consultations", [(3, "arrêts"), (7, "consultations")]),
    ("dans 4 EHPAD", [(4, "EHPAD")]),
    ("sur 9 programmées", [(9, "programmées")]),
    ("1 commune", [(1, "commune")]),
])
def test_small_counts_in_text(text, counts):
    assert small_counts_in_text(text) == counts


@pytest.mark.parametrize("text", [
    "< 11 séances", "1 234 séances", "10 000 habitants", "pour 10 000 habitants", "1,8 % des séances",
    "6,9 médecins pour 10 000 hab.", "2026-03-30", "le 30/03/2026 à 14:05", "12 semaines", "5 semaines",
    "à moins de 10 km d'un arrêt", "de 1 à 10 masqués", "Carte de 3 sites ou départements ayant eu des séances",
    "Départs en retraite attendus (5 ans)", "au 1er mars 2026", "T3 2026", "+3 installations",
    "3 indicateur(s), 2 territoire(s)", "Données du graphique (7 lignes)", "moins de 5 patients", "50 %",
    "5\u00a0% des patients", "3 véhicules localisés",
])
def test_not_counts_in_text(text):
    assert small_counts_in_text(text) == []


def test_small_values_of_a_count_chart_are_reported(detector):
    assert len(detector.find_leaks(json.dumps(bars([0.0, 3.0, 12.0, None], y_title="Séances réalisées")))) == 1
    assert len(detector.find_leaks(json.dumps(bars([4, 40], y_title="Refus", horizontal=True)))) == 1
    assert detector.find_leaks(json.dumps(bars([3.0, 4.5], y_title="Résultats anormaux (%)"))) == []
    assert detector.find_leaks(json.dumps(bars([3.0], y_title="Médecins pour 10 000 hab."))) == []
    target = {"data": [{"type": "scatter", "name": "Cible — Meuse", "x": ["a", "b"], "y": [5.0, 5.0]}],
              "layout": {"yaxis": {"title": {"text": "étudiants"}}}}
    assert detector.find_leaks(json.dumps(target)) == []


def test_small_cells_of_a_count_column_are_reported(detector):
    cols = ["Semaine du", "Département", "Arrêts", "Anormaux (%)", "Distance (km)", "Réalisées"]
    rows = [["6 janvier 2025", "Meuse", "4", "4", "4", "< 11"], ["13 janvier 2025", "Meuse", "23", "3,5", "12", "s"]]
    found = detector.find_leaks(json.dumps(table(cols, rows, [False, False, True, True, True, False])))
    assert found == ["count 4 (Arrêts) in table in body['props']['data']['rows'][0][2]"]
    # a count column holding secret labels is sent as text: still numeric
    rows = [["Meuse", "7"], ["Haute-Marne", "< 11"]]
    assert len(detector.find_leaks(json.dumps(table(["Département", "Réalisées"], rows)))) == 1


def test_customdata_printed_as_a_count(detector):
    trace = {"type": "choroplethmap", "locations": ["55"], "z": [6.8], "customdata": [[4, 2.5]],
             "hovertemplate": "%{z:.1f}<br>%{customdata[0]:,} habitants · à %{customdata[1]:.1f} km<extra></extra>"}
    found = detector.find_leaks(json.dumps({"data": [trace], "layout": {}}))
    assert found == ["count 4 (habitants) in customdata in body['data'][0]['customdata'][0][0]"]
    trace = {"type": "choroplethmap", "locations": ["55"], "z": [6.8], "customdata": [7],
             "hovertemplate": "%{customdata:,} professionnels"}
    assert len(detector.find_leaks(json.dumps({"data": [trace], "layout": {}}))) == 1


def test_headline_cards(detector):
    leaky = {"children": [card("Analyses réalisées", "7", "dans 12 EHPAD"), card("Automates en alerte", "3 / 36"),
                          card("Téléconsultations réalisées", "1 234", "(+3,0 % vs période précédente : 8)")]}
    assert len(detector.find_leaks(json.dumps(leaky))) == 3
    clean = {"children": [card("Taux de réalisation", "7,0 %"), card("Durée médiane d'une séance", "7 min"),
                          card("Médecins généralistes pour 10 000 hab.", "6,9"),
                          card("Séances réalisées", "< 11", "sur < 11 programmées")]}
    assert detector.find_leaks(json.dumps(clean)) == []


@pytest.mark.parametrize("title, count", [
    ("Séances réalisées", True), ("Arrêts", True), ("Refus", True), ("Population", True),
    ("Événements (dernière heure)", True), ("Refusés (24 h)", True), ("Nouveaux patients", True),
    ("Résultats anormaux (%)", False), ("Pour 10 000 habitants", False), ("Consultations par arrêt", False),
    ("Prélèvement → résultat (min, moyenne)", False), ("Accessibilité (consultations / hab. / an)", False),
    ("Temps médical (h)", False), ("Solde", False), ("Semaine du", False), ("Batterie (%)", False),
])
def test_count_titles(title, count):
    assert is_count_title(title) is count


# --- a clean summary response -----------------------------------------------------------------------

def test_a_clean_summary_response_gives_no_finding(detector):
    lat55, lon55 = DEP["55"]
    lat52, lon52 = DEP["52"]
    response = {
        "teleconsultation-stats": {"children": [
            card("Séances réalisées", "< 11", "sur < 11 programmées"),
            card("Taux de réalisation", "88,1 %", "échecs techniques 1,8 % · patients absents 2,8 %"),
            card("Médecins généralistes pour 10 000 hab.", "6,9", "densité restante : 6,3")]},
        "teleconsultation-map-graph": {"figure": {
            "data": [{"type": "scattermap", "name": "Départements", "lat": [lat55, lat52], "lon": [lon55, lon52],
                      "text": ["<b>Meuse</b><br>464 séances réalisées", "<b>Haute-Marne</b><br>< 11 séances"],
                      "customdata": ["55", "52"], "hovertemplate": "%{text}<extra></extra>"},
                     {"type": "choroplethmap", "geojson": "/geo/departements.abc.geojson", "locations": ["55", "52"],
                      "z": [6.8, 6.9], "customdata": [121, 127],
                      "hovertemplate": "%{z:.1f} pour 10 000 hab.<br>%{customdata:,} professionnels"}],
            "layout": {"map": {"center": {"lat": 48.6, "lon": 5.3}, "zoom": 7.1}}}},
        "teleconsultation-weekly-graph": {"figure": bars([0.0, 23.0, 30.0, None], y_title="Séances réalisées")},
        "teleconsultation-weekly-data": {"children": [
            {"props": {"children": "12 semaines ; en moyenne 85 séances réalisées par semaine (de 0 à 134). Des "
                                   "effectifs sont masqués (secret statistique)."}, "type": "P"},
            table(["Semaine du", "Département", "Réalisées", "Taux de réalisation (%)"],
                  [["30 mars 2026", "Meuse", "< 11", "4,0"], ["6 avril 2026", "Haute-Marne", "23", "1,8"],
                   ["13 avril 2026", "Meuse", "s", "5"]], [False, False, False, True]),
            {"props": {"href": "/export/teleconsultation-hebdo.csv?dep=55,52&du=2026-03&au=2026-04"}, "type": "A"}]},
        "teleconsultation-note": {"children": "Niveau « synthèse » : chiffres par département, effectifs de 1 à 10 "
                                              "masqués (« < 11 », « s »)."},
        "teleconsultation-updated": {"children": "Mis à jour à 09:05:03"},
        "dates": {"children": ["2026-03-30", "au 1er mars 2026", "Dernière donnée : 30 octobre 2026", "T3 2026",
                               "Départs en retraite attendus (5 ans)", "à moins de 10 km d'un arrêt : 116 264"]},
    }
    assert detector.find_leaks(dash(response)) == []


def test_empty_body_is_clean(detector):
    assert detector.find_leaks("") == []


def test_from_the_demo_database(db):
    from sqlalchemy import func, select

    from data.models import Commune

    d = Detector.from_session(db)
    assert len(d.communes) == db.scalar(select(func.count()).select_from(Commune))
    assert d.names["EHPAD Blanpain-Couchot"] == "site name"
    assert d.names["Cabinet médical mobile — Nord Haute-Marne"] == "vehicle name"
    lat, lon = d.dep_points["55"]
    assert d.is_reference_point(lat, lon)
    assert abs(lat - db.scalar(select(func.avg(Commune.lat)).where(Commune.departement_code == "55"))) < 1e-9
