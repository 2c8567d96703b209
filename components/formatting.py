"""French number and date formats for figure builders: the same functions the views in data/ use."""
from data.formatting import (
    MINUS,
    NARROW_NBSP,
    PLOTLY_LOCALE,
    PLOTLY_LOCALES,
    PLOTLY_SEPARATORS,
    de,
    fmt_change,
    fmt_date,
    fmt_date_short,
    fmt_datetime,
    fmt_measure,
    fmt_month,
    fmt_number,
    fmt_percent,
    fmt_signed,
    fmt_time,
    plural,
)

__all__ = ["MINUS", "NARROW_NBSP", "PLOTLY_LOCALE", "PLOTLY_LOCALES", "PLOTLY_SEPARATORS", "de", "fmt_change",
           "fmt_date", "fmt_date_short", "fmt_datetime", "fmt_measure", "fmt_month", "fmt_number", "fmt_percent",
           "fmt_signed", "fmt_time", "plural"]
