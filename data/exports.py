"""CSV / XLSX exports that a spreadsheet cannot turn into formulas."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix text that a spreadsheet would read as a formula (CSV injection) with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(rows: Iterable[Sequence], header: Sequence[str]) -> str:
    """Semicolon-separated, as French spreadsheets expect; UTF-8 with BOM for Excel."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buf.getvalue()


def to_xlsx(rows: Iterable[Sequence], header: Sequence[str], *, sheet: str = "Données") -> bytes:
    """An Excel workbook; text that looks like a formula is stored as text, prefixed with a quote."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = sheet[:31]
    ws.append([neutralise(h) for h in header])
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
    ws.freeze_panes = "A2"
    for i, h in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, max(10, len(str(h)) + 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(value):
    import math
    from datetime import date, datetime

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, (int, float, bool, date, datetime)):
        return value
    text = neutralise(str(value))
    return text
