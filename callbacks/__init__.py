"""Callbacks, one module per page (registered with the global `dash.callback`)."""
from callbacks import admin, common, overview  # noqa: F401
