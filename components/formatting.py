"""French number and date formats for figure builders: the same functions the views in data/ use."""
from data.formatting import NARROW_NBSP, PLOTLY_SEPARATORS, fmt_change, fmt_date, fmt_measure, fmt_number

__all__ = ["NARROW_NBSP", "PLOTLY_SEPARATORS", "fmt_change", "fmt_date", "fmt_measure", "fmt_number"]
