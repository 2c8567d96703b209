"""Professionnels de santé callbacks: filters, profession and scale → density map, ages, flows."""
from __future__ import annotations

import pandas as pd
from dash import Input, Output, callback
from flask import current_app

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, map_click_filters_commune, note_box, read_filters
from components.charts import bar_figure, empty_figure
from components.choropleth import commune_choropleth
from components.formatting import fmt_date, fmt_number
from components.panel import data_id, graph_id, panel_data
from components.stat_card import stat_card, stat_row, stats_id
from data.models import Dataset
from data.queries import workforce as q
from data.queries.common import TABLES, area_for, labelled, note_for, numeric
from pages._shell import note_id
from server.cache import cached
from server.database import db_session
from server.health import geojson_url

PAGE = "workforce"
DATASETS = [Dataset.WORKFORCE.value, Dataset.PROGRAMME.value]
map_click_filters_commune(graph_id(f"{PAGE}-map"))


def stats(r: q.Retirements | None, density: pd.DataFrame, profession: str):
    if r is None:
        return None
    counts = numeric(density["count"]) if not density.empty else pd.Series(dtype=float)
    old = (density["aged_60_plus_pct"] * counts / 100).sum() if not density.empty else 0
    share_old = old / counts.sum() * 100 if counts.sum() else None
    label = q.PROFESSION_CHOICES.get(profession, profession)
    grants = ("non accessible à votre profil" if r.grant_holders is None and r.grant_period_end is None else
              f"{fmt_number(r.grant_holders)} installés (au {fmt_date(r.grant_period_end)})")
    return stat_row([
        stat_card("wf-share60", f"{label} : 60 ans et plus",
                  "—" if share_old is None else f"{fmt_number(share_old, 1)}\u00a0%",
                  f"{fmt_number(counts.sum())} professionnels en activité"),
        stat_card("wf-gp-density", "Médecins généralistes pour 10 000 hab.", fmt_number(r.density_now, 1),
                  f"{'< 11' if r.gps is None else fmt_number(r.gps)} médecins généralistes"),
        stat_card("wf-retiring", "Départs en retraite attendus (5 ans)",
                  "< 11" if r.retiring is None else fmt_number(r.retiring),
                  f"médecins généralistes de {q.RETIREMENT_AGE - q.RETIRE_WITHIN_YEARS} ans et plus ; densité "
                  f"restante sans remplacement : {fmt_number(r.density_after, 1)}", hidden=r.retiring is None),
        stat_card("wf-grants", "Boursiers installés / départs de généralistes",
                  f"{fmt_number(r.grant_holders)} / {'< 11' if r.departures is None else fmt_number(r.departures)}",
                  f"étudiants financés par le département ({grants}) ; départs de la période"),
    ])


def density_map(session, scope, filters, df: pd.DataFrame, profession: str, scale: str, tile_url):
    if df.empty:
        return empty_figure()
    communes = q.density_by_commune(session, scope=scope, filters=filters, profession=profession, scale=scale)
    merged = communes.merge(df, on="area_code", how="left")
    dens = numeric(merged["density"])
    counts = numeric(merged["count"])
    level = "" if scale == "commune" else f" (valeur de l'{'EPCI' if scale == 'epci' else 'ensemble du département'})"
    missing = [f"{a} : {c} professionnels (secret statistique)" if isinstance(c, str)
               else "Sans valeur (aucun habitant)" for a, c in zip(merged["area_name"], merged["count"], strict=True)]
    return commune_choropleth(geojson_url=geojson_url(), codes=merged["insee"].tolist(),
                              values=[None if v != v else float(v) for v in dens],
                              value_hover=f"%{{z:.1f}} pour 10 000 hab.{level}<br>%{{customdata:,}} professionnels",
                              customdata=[0 if c != c else int(c) for c in counts], missing_hover=missing,
                              colorbar_title="Pour 10 000 hab.",
                              bounds=(merged["lat"].tolist(), merged["lon"].tolist()),
                              zmax=float(dens.quantile(0.95)) if dens.notna().any() else None, tile_url=tile_url)


@callback(
    Output(stats_id(PAGE), "children"),
    Output(graph_id(f"{PAGE}-map"), "figure"), Output(data_id(f"{PAGE}-map"), "children"),
    Output(graph_id(f"{PAGE}-ages"), "figure"), Output(data_id(f"{PAGE}-ages"), "children"),
    Output(graph_id(f"{PAGE}-flows"), "figure"), Output(data_id(f"{PAGE}-flows"), "children"),
    Output(note_id(PAGE), "children"),
    *FILTER_INPUTS, Input(f"{PAGE}-profession", "value"), Input(f"{PAGE}-scale", "value"),
)
@guarded(dataset=Dataset.WORKFORCE.value, sample_args=(*SAMPLE_FILTERS, "medecin_gp", "epci"),
         has_data=lambda result: bool(result[1]["data"]) and bool(result[3]["data"]))
def update_workforce(departements, month_from, month_to, epci, commune, profession, scale, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    profession = profession if profession in q.PROFESSION_CHOICES else "medecin_gp"
    scale = scale if scale in q.SCALES else "commune"
    session = db_session()

    def get(name, compute):
        return cached(f"{PAGE}.{name}", scope=scope, params=(filters, profession, scale), datasets=DATASETS,
                      compute=compute)

    density = get("density", lambda: q.density(session, scope=scope, filters=filters, profession=profession,
                                               scale=scale))
    ages = get("ages", lambda: q.age_structure(session, scope=scope, filters=filters, profession=profession))
    flows = get("flows", lambda: q.flows(session, scope=scope, filters=filters, profession=profession))
    retire = get("retire", lambda: q.retirements(session, scope=scope, filters=filters))
    query = filters.to_query() + f"&profession={profession}&echelle={scale}"
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    d_spec, a_spec, f_spec = TABLES["professionnels-densite"], TABLES["professionnels-ages"], \
        TABLES["professionnels-flux"]
    label = q.PROFESSION_CHOICES[profession]
    dens = numeric(density["density"]) if not density.empty else pd.Series(dtype=float)
    ages_fig = (bar_figure(ages["band"].tolist(), {label: numeric(ages["count"]).tolist()}, y_title="Professionnels",
                           horizontal=True, height=480) if not ages.empty and numeric(ages["count"]).sum() else
                empty_figure())
    flows_fig = (bar_figure(flows["quarter"].tolist(), {"Installations": numeric(flows["arrivals"]).tolist(),
                                                        "Départs": numeric(flows["departures"]).tolist()},
                            y_title=label, stacked=False) if not flows.empty else empty_figure())
    return (
        stats(retire, density, profession),
        get("map", lambda: density_map(session, scope, filters, density, profession, scale, tile_url)),
        panel_data(caption=(f"{label} pour 10 000 habitants à l'échelle « {q.SCALES[scale].lower()} » au "
                            f"{fmt_date(filters.period.end)} : de {fmt_number(dens.min(), 1)} à "
                            f"{fmt_number(dens.max(), 1)} ; {fmt_number(int((numeric(density['count']) == 0).sum()))} "
                            "territoires sans aucun professionnel.") if dens.notna().any()
                   else "Aucune donnée pour ce filtre.",
                   table=labelled(d_spec, density), table_key=d_spec.key, query=query),
        ages_fig,
        panel_data(caption=f"Répartition par âge des {label.lower()} en activité au {fmt_date(filters.period.end)}.",
                   table=labelled(a_spec, ages), table_key=a_spec.key, query=query),
        flows_fig,
        panel_data(caption=flows_caption(flows, label), table=labelled(f_spec, flows), table_key=f_spec.key,
                   query=query),
        note_box(note_for(area_for(scope, filters, Dataset.WORKFORCE), filters)),
    )


def flows_caption(df: pd.DataFrame, label: str) -> str:
    if df.empty:
        return "Aucun mouvement pour ce filtre."
    a, d = numeric(df["arrivals"]), numeric(df["departures"])
    if a.isna().any() or d.isna().any():
        return f"Installations et départs de {label.lower()} par trimestre ; des effectifs sont masqués."
    return (f"{fmt_number(a.sum())} installations et {fmt_number(d.sum())} départs de {label.lower()} sur la "
            f"période, soit un solde de {fmt_number(a.sum() - d.sum())}.")
