"""Flux callbacks: the live timer → the feeds view (silent sources first, hourly chart, rejects), presented.

The cards (headline figures, time stamp) first; their `ready` store then triggers the tables and charts,
which read the same cached view.
"""
from __future__ import annotations

from dash import Input, Output, callback, html

from callbacks._access import guarded, rendered_text
from callbacks.common import SAMPLE_READY, updated_at, view_ready
from components import ids
from components.charts import empty_figure, series_bars
from components.live import interval_id, stamp_id
from components.panel import data_id, graph_id, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.feeds import feeds_options, replication_view
from pages._shell import ready_id
from server.cache import page_view
from server.database import db_session, replica_session

PAGE = "feeds"


def _view(scope):
    return page_view(PAGE, scope=scope, filters=None, options=feeds_options())


@callback(
    Output(stats_id(PAGE), "children"), Output(stamp_id(PAGE), "children"), Output(ready_id(PAGE), "data"),
    Output(ids.FEEDS_REPLICA, "children"),
    Input(interval_id(PAGE), "n_intervals"),
)
@guarded(dataset=Dataset.FEEDS.value, sample_args=(0,), has_data=lambda result: result[0] is not None)
def feeds_cards(_tick, *, scope):
    replica = replication_view(db_session(), replica_session())  # measured at each tick, never cached
    return (stat_cards(_view(scope).stats), updated_at(), view_ready(),
            html.Span(replica.text, className="text-danger" if replica.late else None) if replica else None)


@callback(
    Output(data_id(f"{PAGE}-sources"), "children"),
    Output(graph_id(f"{PAGE}-hourly"), "figure"), Output(data_id(f"{PAGE}-hourly"), "children"),
    Output(graph_id(f"{PAGE}-rejects"), "figure"), Output(data_id(f"{PAGE}-rejects"), "children"),
    Output(ids.FEEDS_COMPLETENESS_WINDOW, "children"), Output(ids.FEEDS_COMPLETENESS_CARDS, "children"),
    Output(data_id(ids.FEEDS_COMPLETENESS_DEPARTEMENTS), "children"),
    Output(data_id(ids.FEEDS_COMPLETENESS_MISSING), "children"),
    Output(data_id(ids.FEEDS_COMPLETENESS_ITEMS), "children"),
    Input(ready_id(PAGE), "data"),
)
@guarded(dataset=Dataset.FEEDS.value, sample_args=(SAMPLE_READY,),
         has_data=lambda result: "Démo — " in rendered_text(result[0]))
def feeds_figures(_ready, *, scope):
    view = _view(scope)
    return (
        view_table(view.sources_table),
        series_bars(view.hourly, y_title=view.hourly_axis)
        if not view.hourly.empty else empty_figure("Aucun événement reçu sur les 48 dernières heures"),
        view_table(view.hourly_table),
        series_bars(view.rejects, y_title="Refus", horizontal=True) if not view.rejects.empty
        else empty_figure("Aucun refus sur les 7 derniers jours"),
        view_table(view.rejects_table),
        *_completeness(view.completeness),
    )


def _completeness(section) -> tuple:
    """The completeness section (data.views.completeness): window and method, cards, its three tables."""
    return (
        f"Rapports attendus, reçus et reçus à temps {section.window_text}. {section.method}",
        stat_cards(section.stats),
        view_table(section.departements_table),
        view_table(section.missing_table),
        view_table(section.items_table) if section.items_table is not None
        else html.P(section.items_note, className="small text-muted"),
    )


@callback(
    Output(data_id(f"{PAGE}-quality"), "children"),
    Output(data_id(f"{PAGE}-checks"), "children"), Output(data_id(f"{PAGE}-flags"), "children"),
    Input(ready_id(PAGE), "data"),
)
@guarded(dataset=Dataset.FEEDS.value, sample_args=(SAMPLE_READY,),
         has_data=lambda result: "Démo — " in rendered_text(result[0]))
def feeds_quality(_ready, *, scope):
    quality = _view(scope).quality
    return (
        view_table(quality.scores_table),
        view_table(quality.checks_table),
        view_table(quality.flags_table) if quality.flags_table is not None
        else [html.P(quality.flags_note, className="small text-muted")],
    )
