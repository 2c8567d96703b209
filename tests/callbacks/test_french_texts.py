"""Every page's texts, for each kind of user, read as a French public-health officer reads them.

Each page's layout and each of its data callbacks (the guarded registry, with its sample inputs and
with Meuse 2025-H1, whose previous period predates the demo data) is called as a plain function as
the ARS officer, a summary-level college and an administrator; cards, captions, tables, hover
templates, trace names and axis labels are checked by `tests.french_texts` (English words, UTC,
unlabelled times, « 1 communes », « de A… », « -3 », « 0.21 »).
"""
from __future__ import annotations

import re
from contextvars import copy_context

import dash
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict

from callbacks._access import REGISTRY
from callbacks.common import SAMPLE_FILTERS, SAMPLE_READY
from components.formatting import PLOTLY_LOCALES
from components.panel import GRAPH_CONFIG, MAP_CONFIG
from tests.french_texts import displayed, findings, text_findings

ARS = "ars@demo.e-meuse-sante.fr"
USAGERS = "usagers@demo.e-meuse-sante.fr"  # summary level on most datasets
ADMIN = "admin@demo.e-meuse-sante.fr"
MEUSE_H1_2025 = (["55"], "2025-01", "2025-06", *SAMPLE_FILTERS[3:])
FILTER_SETS = (MEUSE_H1_2025,  # its previous period predates the demo data
               (["55"], "2026-06", "2026-06", SAMPLE_FILTERS[3], "55029"),  # one month, one commune
               ([], "2025-11", "2026-10", *SAMPLE_FILTERS[3:]))  # every département, a whole year


def _call(func, args):
    def run():
        context_value.set(AttributeDict(triggered_inputs=[], inputs_list=[], states_list=[], outputs_list=[]))
        return func(*args)
    return copy_context().run(run)


def _data_callbacks():
    """Read-only callbacks: a page's data (its dataset, or the overview), and the admin audit search."""
    return [e for e in REGISTRY if not e.public and (e.roles is None or e.func.__name__ == "admin_audit_search")]


def _page_texts(email: str) -> dict[str, list[tuple[str, str]]]:
    texts: dict[str, list[tuple[str, str]]] = {}
    for page in dash.page_registry.values():
        layout = page["layout"]
        texts[f"layout {page['path']}"] = displayed(layout(dep="55") if callable(layout) else layout)
    for entry in _data_callbacks():
        samples = [entry.sample_args]
        args = entry.sample_args
        # the filters come first, or after the `ready` value a figures callback is triggered by
        at = 1 if len(args) >= 6 and args[0] == SAMPLE_READY and isinstance(args[1], list) else 0
        if len(args) >= at + 5 and isinstance(args[at], list) and tuple(args[at + 1:at + 5]) == SAMPLE_FILTERS[1:]:
            samples += [(*args[:at], *filters, *args[at + 5:]) for filters in FILTER_SETS]
        for args in samples:
            try:
                result = _call(entry.func, args)
            except dash.exceptions.PreventUpdate:
                continue
            texts[f"{entry.func.__name__}{args[:at + 5]}"] = displayed(result)
    return texts


@pytest.mark.parametrize("email", [ARS, USAGERS, ADMIN])
def test_every_page_reads_in_french(app, as_user, email):
    with as_user(email):
        texts = _page_texts(email)
    assert len(texts) > 10 and sum(map(len, texts.values())) > 500  # the walk reached the pages
    problems = [f"{where}: {p}" for where, pairs in texts.items() for p in findings(pairs)]
    assert problems == [], f"{len(problems)} textes à corriger :\n" + "\n".join(sorted(set(problems))[:80])


def test_overview_trend_says_why_there_is_no_comparison(app, as_user):
    """Meuse 2025-H1: the previous period (2024-H2) starts before the demo data (November 2024)."""
    from callbacks.overview import overview_cards

    for email in (ARS, USAGERS):
        with as_user(email):
            result = _call(overview_cards, (*MEUSE_H1_2025, 0))
        text = " ".join(t for _, t in displayed(result))
        assert re.search(r"comparaison impossible\s*: données disponibles depuis (octobre|novembre) 2024", text), text
        assert "en hausse (+" not in text


def test_charts_use_french_month_names():
    for config in (GRAPH_CONFIG, MAP_CONFIG):
        assert config["locale"] == "fr" and config["locales"] == PLOTLY_LOCALES
    fmt = PLOTLY_LOCALES["fr"]["format"]
    assert fmt["shortMonths"][5:7] == ["juin", "juil."] and fmt["shortMonths"][11] == "déc."
    assert fmt["decimal"] == ","


@pytest.mark.parametrize("text, expected", [
    ("404 - Page not found", "anglais"), ("Jun 2026", "anglais"), ("valeur : None", "anglais"),
    ("Dernier rapport (UTC) 19:51", "UTC"), ("Mis à jour à 20:53:21", "sans « heure de Paris »"),
    ("1 communes", "pluriel"), ("0 séances", "pluriel"), ("EHPAD de Andelot-Blancheville", "élision"),
    ("arrêt de Le Bouchon-sur-Saulx", "élision"), ("de Les Islettes", "élision"), ("solde de -3", "signe"),
    ("taux 0.21", "point décimal"),
])
def test_the_checker_finds_what_the_issue_lists(text, expected):
    assert any(expected in f for f in text_findings(text)), text


@pytest.mark.parametrize("text", [
    "Mis à jour à 20:53:21 (heure de Paris)", "1 commune", "3 communes", "1 234 communes", "< 11 communes",
    "1 mois", "EHPAD d'Andelot-Blancheville", "de Haute-Marne", "du Bouchon-sur-Saulx", "solde de −3",
    "solde de +3", "0,21", "2026-03", "%{z:.1f} médecins", "de 1 à 10", "Bar-le-Duc", "janvier 2025 – juin 2025",
])
def test_the_checker_accepts_french(text):
    assert text_findings(text) == []


@pytest.mark.parametrize("who, path", [("ars", "/compte"), ("admin", "/compte"), ("ars", "/api/v1/docs"),
                                       (None, "/login")])
def test_server_pages_read_in_french(client, auth, who, path):
    """Pages rendered by Flask templates (account, API documentation, sign-in) pass the same checks."""
    import html
    import re as regex

    if who:
        auth.login_as(who)
    page = client.get(path).get_data(as_text=True)
    body = regex.sub(r"<(script|style|pre)\b.*?</\1>", " ", page, flags=regex.S)  # code examples are JSON
    body = regex.sub(r'<td class="text-break small">.*?</td>', " ", body, flags=regex.S)  # browsers' user agents
    texts = [html.unescape(t).strip() for t in regex.split(r"<[^>]+>", body)]
    problems = [f"{p} — {t!r}" for t in texts if t for p in text_findings(t, cell=regex.fullmatch(
        r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", t) is not None)]
    assert problems == []
    if path == "/compte":
        assert "(heure de Paris)" in page and "UTC" not in page
