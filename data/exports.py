"""CSV / XLSX exports for French spreadsheets, that a spreadsheet cannot turn into formulas.

CSV: « ; » between fields, decimal comma (« 0,21 »: French Excel reads « 0.21 » as text or a date),
UTF-8 with a BOM (so Excel reads the accents), times in Europe/Paris. The « Métadonnées » come first,
one `# Label;value` line each, then one empty line, then the header and the rows. Why this form:
French Excel opens it as-is (the metadata lines show as two columns above the table: nothing is
hidden or lost), and programs skip them (`pandas.read_csv(sep=";", decimal=",", comment="#")`).
A « sep=; » first line was rejected: Excel then ignores the BOM and garbles every accent.
XLSX: numbers stay numbers, shown with a French number format; a second sheet « Métadonnées ».
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from data.formatting import csv_number, fmt_datetime, paris_naive

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
METADATA_SHEET = "Métadonnées"
METADATA_PREFIX = "# "


def neutralise(value):
    """Prefix text that a spreadsheet would read as a formula (CSV injection) with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _plain(value):
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime) and value != value:  # NaT
        return None
    return value


def csv_cell(value) -> str:
    """One CSV field for French Excel: numbers with a decimal comma, dates dd/mm/yyyy, times in Paris;
    text neutralised against formulas (a number is never text, so « -3 » stays a number)."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return csv_number(value)
    if isinstance(value, datetime):
        return fmt_datetime(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return neutralise(str(value))


def to_csv(rows: Iterable[Sequence], header: Sequence[str],
           metadata: Sequence[tuple[str, str]] = ()) -> str:
    """Semicolon-separated, as French spreadsheets expect; UTF-8 with BOM for Excel; metadata lines first."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for label, value in metadata:
        writer.writerow([METADATA_PREFIX + label, neutralise(str(value))])
    if metadata:
        writer.writerow([])
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def to_xlsx(rows: Iterable[Sequence], header: Sequence[str], *, sheet: str = "Données",
            metadata: Sequence[tuple[str, str]] = ()) -> bytes:
    """An Excel workbook; text that looks like a formula is stored as text, prefixed with a quote."""
    return to_xlsx_book([(sheet, header, rows)], metadata=metadata)


def to_xlsx_book(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]], *,
                 metadata: Sequence[tuple[str, str]] = ()) -> bytes:
    """A workbook of several tables (a report's), one sheet each (titles made unique), then « Métadonnées »."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook(write_only=False)
    wb.remove(wb.active)
    used: set[str] = set()
    for title, header, rows in sheets:
        ws = wb.create_sheet(_unique_title(_sheet_title(title), used))
        ws.append([neutralise(h) for h in header])
        for c in ws[1]:
            c.font = Font(bold=True)
        for row in rows:
            ws.append([_xlsx_value(v) for v in row])
        for column in ws.iter_cols(min_row=2):
            for cell in column:
                cell.number_format = _number_format(cell.value) or cell.number_format
        ws.freeze_panes = "A2"
        for i, h in enumerate(header, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, max(10, len(str(h)) + 2))
    if metadata:
        meta = wb.create_sheet(METADATA_SHEET)
        for label, value in metadata:
            meta.append([neutralise(label), neutralise(str(value))])
        for cell in meta["A"]:
            cell.font = Font(bold=True)
        for cell in meta["B"]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        meta.column_dimensions["A"].width, meta.column_dimensions["B"].width = 26, 110
    if not wb.worksheets:
        wb.create_sheet("Données")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _unique_title(title: str, used: set[str]) -> str:
    """Excel refuses two sheets of the same name (case-insensitive): « Titre (2) » for the second."""
    candidate, n = title, 1
    while candidate.lower() in used:
        n += 1
        suffix = f" ({n})"
        candidate = title[:31 - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


def _sheet_title(title: str) -> str:
    """Excel sheet names: 31 characters at most, none of []:*?/\\ ."""
    return "".join("-" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Données"


def _number_format(value) -> str | None:
    """Number formats are stored locale-free (« #,##0.0 »); French Excel shows them « 1 234,5 »."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return "#,##0"
    if isinstance(value, float):
        return "#,##0" if value.is_integer() else "#,##0.0##"
    if isinstance(value, datetime):
        return "dd/mm/yyyy hh:mm"
    if isinstance(value, date):
        return "dd/mm/yyyy"
    return None


def _xlsx_value(value):
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, datetime):  # stored UTC (naive) or aware: Paris wall-clock time in the cell
        return paris_naive(value)
    if isinstance(value, (int, float, bool, date)):
        return value
    return neutralise(str(value))
