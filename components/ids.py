"""Component ids, defined once (kebab-case)."""

FILTER_DEPARTEMENTS = "filter-departements"
FILTER_MONTH_FROM = "filter-month-from"
FILTER_MONTH_TO = "filter-month-to"
FILTER_EPCI = "filter-epci"
FILTER_COMMUNE = "filter-commune"
PAGE_NOTE = "page-note"

OVERVIEW_KPIS = "overview-kpis"
OVERVIEW_MAP = "overview-map"
OVERVIEW_MAP_CAPTION = "overview-map-caption"

ADMIN_USERS_GRID = "admin-users-grid"
ADMIN_USERS_MESSAGE = "admin-users-message"
ADMIN_NEW_EMAIL = "admin-new-email"
ADMIN_NEW_NAME = "admin-new-name"
ADMIN_NEW_ROLE = "admin-new-role"
ADMIN_NEW_COLLEGE = "admin-new-college"
ADMIN_NEW_DEPS = "admin-new-deps"
ADMIN_NEW_SUBMIT = "admin-new-submit"
ADMIN_EDIT_ROLE = "admin-edit-role"
ADMIN_EDIT_COLLEGE = "admin-edit-college"
ADMIN_EDIT_DEPS = "admin-edit-deps"
ADMIN_EDIT_ACTIVE = "admin-edit-active"
ADMIN_EDIT_SAVE = "admin-edit-save"
ADMIN_EDIT_RESET = "admin-edit-reset"
ADMIN_EDIT_TITLE = "admin-edit-title"

ADMIN_GRANTS_GRID = "admin-grants-grid"
ADMIN_GRANTS_MESSAGE = "admin-grants-message"

ADMIN_SOURCES_GRID = "admin-sources-grid"
ADMIN_SOURCES_MESSAGE = "admin-sources-message"
ADMIN_SOURCE_NAME = "admin-source-name"
ADMIN_SOURCE_KIND = "admin-source-kind"
ADMIN_SOURCE_CREATE = "admin-source-create"
ADMIN_SOURCE_ISSUE = "admin-source-issue"
ADMIN_SOURCE_REVOKE = "admin-source-revoke"

ADMIN_AUDIT_GRID = "admin-audit-grid"
ADMIN_AUDIT_ACTOR = "admin-audit-actor"
ADMIN_AUDIT_ACTION = "admin-audit-action"
ADMIN_AUDIT_FROM = "admin-audit-from"
ADMIN_AUDIT_TO = "admin-audit-to"
ADMIN_AUDIT_SEARCH = "admin-audit-search"
ADMIN_AUDIT_EXPORT = "admin-audit-export"
ADMIN_AUDIT_DOWNLOAD = "admin-audit-download"

# Responsive layout (components/navbar.py, pages/_shell.py, callbacks/layout.py)
NAV_TOGGLER = "nav-toggler"  # « Menu » below the lg breakpoint
NAV_ACCOUNT = "nav-account"  # collapsed: account block
NAV_PAGES = "nav-pages"  # collapsed: page links
FILTERS_OPEN = "filters-open"  # « Filtres » below lg: opens the off-canvas panel
FILTERS_CLOSE = "filters-close"
FILTERS_PANEL = "filters-panel"
FILTERS_BACKDROP = "filters-backdrop"
FILTERS_SUMMARY = "filters-summary"  # the active filters in words (small screens and print)
PRINT_DATE = "print-date"

# Monthly reports (pages/reports.py, callbacks/reports.py, components/reports.py)
REPORTS_MODE = "reports-mode"  # every page I may see, or a choice
REPORTS_PAGES = "reports-pages"
REPORTS_SAVE = "reports-save"
REPORTS_STOP = "reports-stop"
REPORTS_MONTH = "reports-month"
REPORTS_GENERATE = "reports-generate"
REPORTS_MESSAGE = "reports-message"
REPORTS_STATE = "reports-state"  # the subscription in words
REPORTS_LIST = "reports-list"

FEEDS_REPLICA = "feeds-replica"  # the read replica's lag (only with DATABASE_READ_URL)
FEEDS_COMPLETENESS = "feeds-completeness"  # the /flux section: reports expected, received, on time
FEEDS_COMPLETENESS_WINDOW = "feeds-completeness-window"
FEEDS_COMPLETENESS_CARDS = "feeds-completeness-cards"  # filled with the section's tables, after the page's cards
FEEDS_COMPLETENESS_DEPARTEMENTS = "feeds-completeness-departements"
FEEDS_COMPLETENESS_ITEMS = "feeds-completeness-items"
FEEDS_COMPLETENESS_MISSING = "feeds-completeness-missing"

# alert centre (/alertes) and the header badge
ALERTS_BADGE = "alerts-badge"
ALERTS_BADGE_LINK = "alerts-badge-link"
ALERTS_BADGE_INTERVAL = "alerts-badge-interval"
ALERTS_INTERVAL = "alerts-interval"
ALERTS_REFRESH = "alerts-refresh"
ALERTS_MESSAGE = "alerts-message"
ALERTS_FIRING = "alerts-firing"
ALERTS_HISTORY = "alerts-history"
ALERTS_RULES = "alerts-rules"
ALERTS_NEW_NAME = "alerts-new-name"
ALERTS_NEW_KIND = "alerts-new-kind"
ALERTS_NEW_THRESHOLD = "alerts-new-threshold"
ALERTS_NEW_DEPS = "alerts-new-deps"
ALERTS_NEW_SEVERITY = "alerts-new-severity"
ALERTS_NEW_SITE = "alerts-new-site"
ALERTS_NEW_SOURCE = "alerts-new-source"
ALERTS_NEW_SUBMIT = "alerts-new-submit"
ALERTS_SILENCE_HOURS = "alerts-silence-hours"


def alert_rule_action(action: str, rule_id: int) -> dict:
    """A per-rule button: subscribe, unsubscribe, activate, deactivate, silence."""
    return {"type": "alert-rule-action", "action": action, "rule": rule_id}
EVALUATION_SECTIONS = "evaluation-sections"  # where callbacks/evaluation.py draws the sections of /evaluation
