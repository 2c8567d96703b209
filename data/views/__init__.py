"""Page views: everything a page shows, computed once at the caller's level (see data/views/base.py).

Importing this package registers every view and the tables it exports.
"""
from data.views import biology, coverage, feeds, mobile, overview, planner, programme, teleconsultation, workforce  # noqa: F401 - each registers its view
from data.views.base import EXPORTS, VIEWS, Detail, ExportSpec, ViewSpec

__all__ = ["EXPORTS", "VIEWS", "Detail", "ExportSpec", "ViewSpec"]
