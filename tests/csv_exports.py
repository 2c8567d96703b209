"""Reading the app's CSV exports as a program would: `# ` metadata lines, one empty line, the table."""
from __future__ import annotations

import csv
import io


def read_export(text: str) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """(metadata {label: value}, header, rows) of a CSV export (BOM, metadata preamble and blank line skipped)."""
    metadata, table = {}, []
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"):
        if row and row[0].startswith("# ") and not table:
            metadata[row[0][2:]] = row[1] if len(row) > 1 else ""
        elif row:
            table.append(row)
    return metadata, (table[0] if table else []), table[1:]


def table_lines(text: str) -> list[str]:
    """The header line and the row lines of a CSV export, as text (the metadata preamble dropped)."""
    lines = text.lstrip("\ufeff").strip().splitlines()
    return [line for line in lines if line and not line.startswith("# ")]
