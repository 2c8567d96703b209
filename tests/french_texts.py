"""What a French reader must never meet in a page: the checker behind tests/callbacks/test_french_texts.py.

`displayed(result)` walks a callback result or a layout (Dash components serialised, Plotly figures,
table payloads of components/panel, AG Grid rows) and yields (path, text) for every text a user
reads: children, titles, captions, hover templates and texts, trace names, tick texts, category
labels on axes, table headers and cells, grid headers and rows. Ids, class names, styles, links,
hidden grid fields and codes are not read.

`findings(texts)` checks each text for:
- English words: « Page not found », English month abbreviations, « None », « nan », « True »/« False »;
- « UTC » (every displayed time is Europe/Paris), and a time of day (« 20:53 ») with no
  « heure de Paris » in its text or, for a table cell, in its column header;
- plurals after 0 or 1 (« 1 communes », « 0 séances »), invariable words aside;
- missing elision or contraction: « de A… », « de É… », « de H… » (mute h), « de Le … », « de Les … »;
- an ASCII hyphen-minus used as a sign before a digit (« solde de -3 »: the sign is « − »);
- a decimal point in a number (« 0.21 »: French writes « 0,21 »).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator

DISPLAY_KEYS = {"children", "title", "text", "hovertemplate", "name", "ticktext", "caption", "columns", "rows",
                "label", "placeholder", "aria-label", "headerName", "rowData", "x", "y", "summary", "detail",
                "value_hover", "missing_hover", "colorbar_title", "annotations"}
HIDDEN_KEYS = {"id", "className", "type", "style", "href", "namespace", "field", "code", "role_code", "college_code",
               "departements_codes", "email", "qui", "depuis", "src", "geojson", "source", "locations",
               "featureidkey", "value", "options", "mode", "orientation", "customdata", "cle", "nom", "cible",
               "bgcolor", "bordercolor", "fillcolor", "color", "tabIndex"}  # colours, focus order: never read
ISO_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?)?$")
IP = re.compile(r"^[\d.:a-f]+$")
HOVER_FORMAT = re.compile(r"%\{[^}]*\}")

ENGLISH = re.compile(r"Page not found|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b|\bNone\b|\bnan\b|\bNaN\b|"
                     r"\bTrue\b|\bFalse\b|\bnull\b")
UTC = re.compile(r"\bUTC\b")
TIME = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?![\d])")
PARIS = "heure de Paris"
INVARIABLE = {"mois", "fois", "cas", "pays", "prix", "temps", "corps", "poids", "avis", "accès", "succès", "dos",
              "cours", "relais", "plus", "français", "gros", "bas", "ans"}
PLURAL_AFTER_ONE = re.compile(r"(?<![\d,.\u202f\u00a0\w<≤])([01]) ([a-zéèêëàâîïôûùç]+s)\b")
ELISION = re.compile(r"\b[Dd]e ((?:[AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜ]|[aeiouyàâéèêîïôûù])[\w'-]*|H(?![aâeou])[\w'-]*|Le |Les )")
HYPHEN_SIGN = re.compile(r"(?<![\w\d\-–/:.])-\d")
DECIMAL_POINT = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")


def _display_strings(node, path: str, display: bool) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        if display:
            yield path, node
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _display_strings(item, f"{path}[{i}]", display)
    elif isinstance(node, dict):
        if {"columns", "rows", "numeric"} <= node.keys():  # a table payload: headers, then cells per column
            yield from _display_strings(node.get("caption"), f"{path}.caption", True)
            for j, header in enumerate(node["columns"]):
                yield f"{path}.columns[{j}]", header
            for i, row in enumerate(node["rows"]):
                for j, cell in enumerate(row):
                    if isinstance(cell, str):
                        yield f"{path}.rows[{i}][{j}] (colonne « {node['columns'][j]} »)", cell
            return
        if isinstance(node.get("rowData"), list) and isinstance(node.get("columnDefs"), list):  # an AG Grid
            headers = {c.get("field"): c.get("headerName", "") for c in node["columnDefs"] if isinstance(c, dict)}
            for j, column in enumerate(node["columnDefs"]):
                yield from _display_strings(column.get("headerName"), f"{path}.columnDefs[{j}]", True)
            for i, row in enumerate(node["rowData"]):
                for field, cell in row.items():
                    if field in headers and isinstance(cell, str):
                        yield f"{path}.rowData[{i}].{field} (colonne « {headers[field]} »)", cell
            return
        for key, value in node.items():
            if key in HIDDEN_KEYS:
                continue
            inner = display or key in DISPLAY_KEYS
            if key in ("x", "y") and isinstance(value, list):  # category labels on an axis; dates are formatted
                value = [v for v in value if isinstance(v, str) and not ISO_DATE.match(v)]
            yield from _display_strings(value, f"{path}.{key}", inner)


def displayed(result) -> list[tuple[str, str]]:
    """Every (path, text) a user reads in a callback result or a layout."""
    plain = json.loads(json.dumps(result, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json")
                                  else str(o), ensure_ascii=False))
    return list(_display_strings(plain, "result", False))


def text_findings(text: str, *, cell: bool = False) -> list[str]:
    """What is wrong in one displayed text (empty: nothing)."""
    out = []
    readable = HOVER_FORMAT.sub(" ", text)  # Plotly placeholders are formatted by Plotly (separators ", ")
    if IP.match(readable) and "." in readable and readable.count(".") == 3:
        return out
    if m := ENGLISH.search(readable):
        out.append(f"anglais « {m.group(0)} »")
    if UTC.search(readable):
        out.append("« UTC » (heure de Paris attendue)")
    if TIME.search(readable) and PARIS not in readable and not cell:
        out.append(f"heure « {TIME.search(readable).group(0)} » sans « {PARIS} »")
    for m in PLURAL_AFTER_ONE.finditer(readable):
        if m.group(2) not in INVARIABLE:
            out.append(f"pluriel « {m.group(0)} »")
    for m in ELISION.finditer(readable):
        out.append(f"élision « {m.group(0).strip()} »")
    if m := HYPHEN_SIGN.search(readable):
        out.append(f"signe « {m.group(0)} » (le signe moins est « − »)")
    if m := DECIMAL_POINT.search(readable):
        out.append(f"point décimal « {m.group(0)} »")
    return out


def findings(texts: list[tuple[str, str]]) -> list[str]:
    """Findings over (path, text) pairs; a table cell's time needs « heure de Paris » in its header."""
    out = []
    for path, text in texts:
        problems = text_findings(text, cell=" (colonne « " in path)
        if " (colonne « " in path and TIME.search(HOVER_FORMAT.sub(" ", text)) and PARIS not in path:
            problems.append(f"heure « {TIME.search(text).group(0)} » dans une colonne sans « {PARIS} »")
        out += [f"{p} — {text[:120]!r} at {path}" for p in problems]
    return out
