"""Couverture (ARS) callbacks: filters, threshold, 65+ option and layers → accessibility map and list."""
from __future__ import annotations

import pandas as pd
from dash import Input, Output, callback
from flask import current_app

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, map_click_filters_commune, note_box, read_filters
from components.charts import PALETTE, empty_figure
from components.choropleth import commune_choropleth
from components.formatting import fmt_number
from components.panel import data_id, graph_id, panel_data
from components.stat_card import stat_card, stat_row, stats_id
from data.coverage import Options
from data.models import Dataset
from data.queries import coverage as q
from data.queries.common import TABLES, area_for, labelled, note_for
from pages._shell import note_id
from server.cache import cached
from server.database import db_session
from server.health import geojson_url

PAGE = "coverage"
DATASETS = [Dataset.COVERAGE.value, Dataset.WORKFORCE.value, Dataset.TELECONSULTATION.value, Dataset.MOBILE.value,
            Dataset.BIOLOGY.value]
ACCESS_ZMAX = 6.0
LAYER_COLOURS = {"gp": PALETTE[7], "teleconsultation": PALETTE[0], "mobile": PALETTE[5], "biology": PALETTE[3]}
LAYER_SIZES = {"gp": 6, "teleconsultation": 11, "mobile": 9, "biology": 14}  # size tells layers apart too
map_click_filters_commune(graph_id(f"{PAGE}-map"))


def coverage_figure(df: pd.DataFrame, points: pd.DataFrame, layers: list[str], threshold: float, *, tile_url):
    if df.empty:
        return empty_figure()
    populated = df["population"] > 0
    figure = commune_choropleth(
        geojson_url=geojson_url(), codes=df["insee"].tolist(),
        values=df["accessibility"].round(2).astype(object).where(populated, None).tolist(),
        value_hover=(f"%{{z:.2f}} consultations / hab. / an (seuil {fmt_number(threshold, 1)})<br>"
                     "%{customdata[0]:,} habitants · généraliste le plus proche : %{customdata[1]:.1f} km"),
        customdata=list(zip(df["population"].astype(int).tolist(), df["nearest_supply_km"].round(1).tolist(),
                            strict=True)),
        missing_hover="Aucun habitant", colorbar_title="Consultations / hab. / an",
        bounds=(df["lat"].tolist(), df["lon"].tolist()), zmax=ACCESS_ZMAX, tile_url=tile_url)
    for kind in layers:
        # points inside the mapped communes only (the under-served list still looks across borders)
        sub = points[(points["kind"] == kind) & points["insee"].isin(df["insee"])] if not points.empty else points
        if sub.empty:
            continue
        figure["data"].append({"type": "scattermap", "mode": "markers", "name": q.LAYERS[kind],
                               "lat": sub["lat"].tolist(), "lon": sub["lon"].tolist(), "text": sub["name"].tolist(),
                               "customdata": sub["insee"].tolist(),
                               "marker": {"size": LAYER_SIZES[kind], "color": LAYER_COLOURS[kind], "opacity": 0.9},
                               "hovertemplate": "%{text}<extra>" + q.LAYERS[kind] + "</extra>"})
    figure["layout"]["showlegend"] = True
    figure["layout"]["legend"] = {"orientation": "h", "y": 0.01, "x": 0.01, "bgcolor": "rgba(255,255,255,0.85)"}
    return figure


@callback(
    Output(stats_id(PAGE), "children"),
    Output(graph_id(f"{PAGE}-map"), "figure"), Output(data_id(f"{PAGE}-map"), "children"),
    Output(data_id(f"{PAGE}-under"), "children"),
    Output(note_id(PAGE), "children"),
    *FILTER_INPUTS, Input(f"{PAGE}-threshold", "value"), Input(f"{PAGE}-exclude", "value"),
    Input(f"{PAGE}-layers", "value"),
)
@guarded(dataset=Dataset.COVERAGE.value, sample_args=(*SAMPLE_FILTERS, 2.5, ["65"], ["teleconsultation"]),
         has_data=lambda result: len(result[1]["data"]) >= 2)
def update_coverage(departements, month_from, month_to, epci, commune, threshold, exclude, layers, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    threshold = q.parse_threshold(threshold)
    options = Options(on=filters.period.end, exclude_65_plus="65" in (exclude or []), threshold=threshold)
    layers = [k for k in (layers or []) if k in q.LAYERS]
    session = db_session()

    def get(name, compute):
        return cached(f"{PAGE}.{name}", scope=scope, params=(filters, options), datasets=DATASETS, compute=compute)

    access = get("access", lambda: q.accessibility(session, scope=scope, filters=filters, options=options))
    points = get("points", lambda: q.service_points(session, scope=scope, filters=filters, options=options))
    under = get("under", lambda: q.under_served(session, scope=scope, filters=filters, options=options,
                                                access=access, points=points))
    area = area_for(scope, filters, Dataset.COVERAGE)
    if area.summary and not access.empty:  # one value per département (population-weighted)
        weights = access["accessibility"] * access["population"]
        dep_value = (weights.groupby(access["departement"]).sum()
                     / access["population"].groupby(access["departement"]).sum())
        access = access.assign(accessibility=access["departement"].map(dep_value))
    query = filters.to_query() + f"&seuil={threshold}" + ("" if options.exclude_65_plus else "&avec65=1")
    spec = TABLES["couverture-sous-dotees"]
    tile_url = current_app.config["EMEUSE_SETTINGS"].map_tile_url
    populated = access[access["population"] > 0] if not access.empty else access
    low = populated[q.below(populated["accessibility"], threshold)] if not populated.empty else populated
    total_pop = int(populated["population"].sum()) if not populated.empty else 0
    mean = ((populated["accessibility"] * populated["population"]).sum() / total_pop) if total_pop else None
    stats = stat_row([
        stat_card("cov-mean", "Accessibilité moyenne", fmt_number(mean, 2),
                  "consultations de médecine générale par habitant et par an (moyenne pondérée)"),
        stat_card("cov-under", "Communes sous le seuil", fmt_number(len(low)),
                  f"seuil {fmt_number(threshold, 1)} ; sur {fmt_number(len(populated))} communes habitées"),
        stat_card("cov-under-pop", "Habitants sous le seuil", fmt_number(int(low["population"].sum()) if len(low)
                                                                          else 0),
                  f"soit {fmt_number(low['population'].sum() / total_pop * 100 if total_pop else None, 1)}\u00a0% "
                  "de la population"),
        stat_card("cov-zero", "Communes sans médecin à moins de 20 km",
                  fmt_number(int((populated["accessibility"] == 0).sum()) if len(populated) else 0),
                  "accessibilité nulle : aucune offre dans l'aire de 20 km"),
    ])
    caption = (f"Carte de {fmt_number(len(access))} communes : accessibilité moyenne {fmt_number(mean, 2)} "
               f"consultation(s) par habitant et par an ; {fmt_number(len(low))} communes "
               f"({fmt_number(int(low['population'].sum()) if len(low) else 0)} habitants) sous le seuil de "
               f"{fmt_number(threshold, 1)}." if len(access) else "Aucune commune pour ce filtre.")
    return (
        stats,
        cached(f"{PAGE}.figure", scope=scope, params=(filters, options, tuple(layers)), datasets=DATASETS,
               compute=lambda: coverage_figure(access, points, layers, threshold, tile_url=tile_url)),
        panel_data(caption=caption),
        panel_data(caption="Communes habitées dont l'accessibilité est sous le seuil, les moins bien dotées "
                           "d'abord, avec le service du programme le plus proche.",
                   table=labelled(spec, under), table_key=spec.key, query=query,
                   table_title="Communes sous le seuil", open_table=True),
        note_box(note_for(area, filters)),
    )
