"""Page views: everything a page shows, computed once at the caller's level (see data/views/base.py).

Importing this package registers every view and the tables it exports, and the provenance each view attaches
to its figures (data/views/provenance.py).
"""
from data.views import (  # noqa: F401 - each registers its view
    biology,
    coverage,
    evaluation,
    evaluation_economy,  # noqa: F401 - registers its sections of the evaluation view (trips, POC, GP density)
    evaluation_ehpad,  # noqa: F401 - registers its section of the evaluation view
    feeds,
    mobile,
    overview,
    planner,
    programme,
    provenance,  # noqa: F401 - registers itself as a finisher of every view
    teleconsultation,
    workforce,
)
from data.views.base import EXPORTS, VIEWS, Detail, ExportSpec, ViewSpec

__all__ = ["EXPORTS", "VIEWS", "Detail", "ExportSpec", "ViewSpec"]
