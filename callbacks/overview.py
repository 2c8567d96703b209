"""Overview callbacks: filters → KPIs, GP-density map and the canonical URL query."""
from __future__ import annotations

from datetime import date

from dash import Input, Output, callback
from flask import current_app

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, map_click_filters_commune, read_filters, updated_at
from components import ids
from components.choropleth import commune_choropleth
from components.formatting import fmt_date, fmt_number
from components.kpi_card import kpi_row
from components.live import interval_id, stamp_id
from data.models import Dataset, Level
from data.queries.overview import gp_density_map, overview_kpis
from server.cache import cached
from server.database import db_session
from server.health import geojson_url

GP_DENSITY_ZMAX = 20.0  # colour scale capped so rural differences stay visible

map_click_filters_commune(ids.OVERVIEW_MAP)


@callback(
    Output(ids.OVERVIEW_KPIS, "children"),
    Output(ids.OVERVIEW_MAP, "figure"),
    Output(ids.OVERVIEW_MAP_CAPTION, "children"),
    Output(stamp_id("overview"), "children"),
    *FILTER_INPUTS,
    Input(interval_id("overview"), "n_intervals"),
)
@guarded(dataset=None, sample_args=(*SAMPLE_FILTERS, 0),
         has_data=lambda result: bool(result[1]["data"]) or "kpi-" in str(result[0]))
def update_overview(departements, month_from, month_to, epci, commune, _tick, *, scope):
    settings = current_app.config["EMEUSE_SETTINGS"]
    filters = read_filters(departements, month_from, month_to, epci, commune)
    session = db_session()
    params = (filters.departements, filters.month_from, filters.month_to, filters.today)
    every_dataset = [d.value for d in Dataset]
    kpis = cached("overview.kpis", scope=scope, params=params, datasets=every_dataset,
                  compute=lambda: overview_kpis(session, scope=scope, filters=filters))
    df = cached("overview.gp_density", scope=scope, params=params, datasets=[Dataset.WORKFORCE.value],
                compute=lambda: gp_density_map(session, scope=scope, filters=filters))
    if df.empty:
        figure = {"data": [], "layout": {"annotations": [{"text": "Aucune donnée pour ce filtre", "showarrow": False}],
                                         "xaxis": {"visible": False}, "yaxis": {"visible": False}}}
        caption = "Aucune donnée de démographie médicale accessible pour ce filtre."
    else:
        summary = scope.level(Dataset.WORKFORCE) == Level.SUMMARY
        figure = commune_choropleth(
            geojson_url=geojson_url(), codes=df["insee"].tolist(),
            values=[None if v != v else v for v in df["density"].tolist()],
            value_hover=("Valeur du département : %{z:.1f} médecins pour 10 000 hab." if summary else
                         "%{z:.1f} médecins pour 10 000 hab.<br>%{customdata:,} médecins généralistes"),
            customdata=None if summary else [int(g) for g in df["gps"]],
            missing_hover=[missing_text(area, secret) for area, secret in zip(df["area_name"], df["secret"],
                                                                              strict=True)],
            colorbar_title="Médecins / 10 000 hab.", bounds=(df["lat"].tolist(), df["lon"].tolist()),
            zmax=GP_DENSITY_ZMAX, tile_url=settings.map_tile_url)
        caption = density_caption(df, summary=summary, on=filters.period.end)
    return kpi_row(kpis), figure, caption, updated_at()


def missing_text(area: str, secret: str | None) -> str:
    """Hover of a commune drawn without a value: its département's hidden count, or no inhabitants."""
    if secret:
        return f"Département {area} : {secret} médecins généralistes (secret statistique)"
    return "Sans valeur (aucun habitant)"


def density_caption(df, *, summary: bool, on: date) -> str:
    """Text alternative of the map: what it shows and its key figures."""
    if summary:
        parts = [f"{name} : {secret + ' médecins (secret statistique)' if secret else fmt_number(d, 1)}"
                 for name, d, secret in
                 df.drop_duplicates("departement")[["area_name", "density", "secret"]].itertuples(index=False)]
        return (f"Carte au niveau départemental (niveau de détail « synthèse ») au {fmt_date(on)}. "
                f"Médecins généralistes pour 10 000 habitants — " + " ; ".join(parts) + ".")
    without = int((df["gps"] == 0).sum())  # detail level: no value is hidden
    pop_without = int(df.loc[df["gps"] == 0, "population"].sum())
    total_gps, total_pop = int(df["gps"].sum()), int(df["population"].sum())
    return (f"Carte de {fmt_number(len(df))} communes au {fmt_date(on)} : {fmt_number(total_gps)} médecins "
            f"généralistes pour {fmt_number(total_pop)} habitants, soit "
            f"{fmt_number(total_gps / total_pop * 10_000 if total_pop else None, 1)} pour 10 000. "
            f"{fmt_number(without)} communes ({fmt_number(pop_without)} habitants) n'ont aucun médecin "
            f"généraliste installé.")
