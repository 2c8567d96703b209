"""Component ids, defined once (kebab-case)."""

FILTERS_QUERY = "filters-query"  # canonical query string of the current filters
FILTERS_QUERY_APPLIED = "filters-query-applied"
FILTER_DEPARTEMENTS = "filter-departements"
FILTER_MONTH_FROM = "filter-month-from"
FILTER_MONTH_TO = "filter-month-to"

OVERVIEW_KPIS = "overview-kpis"
OVERVIEW_MAP = "overview-map"
OVERVIEW_MAP_TABLE = "overview-map-table"
OVERVIEW_MAP_CAPTION = "overview-map-caption"
