"""Callbacks, one module per page (registered with the global `dash.callback`)."""
from callbacks import (  # noqa: F401
    admin,
    alerts,
    biology,
    common,
    coverage,
    evaluation,
    feeds,
    layout,
    mobile,
    overview,
    planner,
    programme,
    reports,
    teleconsultation,
    url_state,
    workforce,
)
