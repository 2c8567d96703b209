"""Programme callbacks: experiment and filters → the programme view, presented."""
from __future__ import annotations

from dash import Output, callback, html

from callbacks._access import guarded
from callbacks.common import FILTER_INPUTS, SAMPLE_FILTERS, note_box, read_filters
from callbacks.url_state import control_inputs, read_controls
from components.charts import empty_figure, line_figure
from components.panel import data_id, graph_id, view_table
from components.stat_card import stat_cards, stats_id
from data.models import Dataset
from data.views.programme import programme_options
from pages._shell import note_id
from server.cache import page_view
from server.database import db_session

PAGE = "programme"


def chart(c) -> dict:
    if c.empty:
        return empty_figure()
    return line_figure(list(c.x), {name: list(values) for name, values in c.series}, y_title=c.unit,
                       targets=dict(c.targets), height=420)


@callback(
    Output(stats_id(PAGE), "children"),
    Output(graph_id(f"{PAGE}-chart"), "figure"), Output(data_id(f"{PAGE}-chart"), "children"),
    Output(note_id(PAGE), "children"),
    *FILTER_INPUTS, *control_inputs(PAGE),
)
@guarded(dataset=Dataset.PROGRAMME.value, sample_args=(*SAMPLE_FILTERS, "teleconsultation"),
         has_data=lambda result: bool(result[1]["data"]))
def update_programme(departements, month_from, month_to, epci, commune, experiment, *, scope):
    filters = read_filters(departements, month_from, month_to, epci, commune)
    (experiment,) = read_controls(PAGE, experiment)
    view = page_view(PAGE, session=db_session(), scope=scope, filters=filters, options=programme_options(experiment))
    return (stat_cards(view.stats) or html.Div(), chart(view.chart), view_table(view.table, query=view.query),
            note_box(view.note))
