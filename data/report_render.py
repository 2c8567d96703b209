"""A report's files: charts as PNG (Plotly's kaleido driving headless Chromium), the PDF (ReportLab), the XLSX.

Only presentation happens here: every text, figure and table comes from `data.report_content`, that is from
the page views at the recipient's level. The PDF is meant to be printed in black and white: text and rules
in black and greys, charts that carry each series by a pattern, dash or symbol (components/charts.py) and
maps on a luminance-ordered scale (Cividis).
"""
from __future__ import annotations

import asyncio
import io
import math
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from data.exports import to_xlsx_book
from data.formatting import (
    PLOTLY_LOCALE,
    PLOTLY_LOCALES,
    de,
    fmt_date,
    fmt_date_short,
    fmt_datetime_long,
    fmt_month,
    fmt_number,
    plural,
)
from data.geography import POPULATION_VINTAGE
from data.report_content import Chart, ReportContent, Section, Table
from data.views.metadata import APP_NAME, LEVEL_WORDS

TABLE_ROWS = 15  # rows of a table printed in the PDF; the XLSX has them all
TABLE_ROWS_ACROSS = 12  # on a landscape page (a wide table: its rows are taller)
IMAGE_WIDTH_PX = 1000  # charts drawn at this width (and their own height), then scaled into the page
IMAGE_SCALE = 1.5
PORTRAIT, LANDSCAPE = "portrait", "landscape"  # page templates: a table too wide for A4 portrait turns the page
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


class RenderError(RuntimeError):
    """A report could not be drawn (no Chromium for the charts, no font)."""


# --- charts ---------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _plotly_js() -> str:
    """plotly.js with the French locale registered and made the default: the pages' axes read « nov. 2026 »."""
    import json

    import plotly

    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    locale = {"moduleType": "locale", "name": PLOTLY_LOCALE, "dictionary": {},
              "format": PLOTLY_LOCALES[PLOTLY_LOCALE]["format"]}
    extra = (f"\n;Plotly.register({json.dumps(locale, ensure_ascii=False)});"
             f"Plotly.setPlotConfig({{locale: {json.dumps(PLOTLY_LOCALE)}}});\n")
    path = Path(tempfile.gettempdir()) / f"emeuse-plotly-{plotly.__version__}-fr.js"
    if not path.exists() or path.stat().st_size < bundle.stat().st_size:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(bundle.read_text(encoding="utf-8") + extra, encoding="utf-8")
        tmp.replace(path)
    return str(path)


def _for_print(chart: Chart) -> tuple[dict, dict]:
    """The page's figure, sized for paper; nothing about its content changes."""
    figure = {"data": chart.figure.get("data", []), "layout": dict(chart.figure.get("layout", {}))}
    figure["layout"].pop("uirevision", None)
    height = int(figure["layout"].pop("height", None) or chart.height)
    return figure, {"format": "png", "width": IMAGE_WIDTH_PX, "height": height, "scale": IMAGE_SCALE}


def render_images(charts: Sequence[Chart]) -> list[bytes]:
    """Every chart as a PNG, in one headless Chromium session (kaleido); raises RenderError without one."""
    if not charts:
        return []
    try:
        import kaleido
    except ImportError as exc:  # pragma: no cover - pinned in requirements.txt
        raise RenderError("kaleido n'est pas installé") from exc

    async def draw() -> list[bytes]:
        async with kaleido.Kaleido(n=1, plotlyjs=_plotly_js(), mathjax=False, timeout=120) as k:
            out = []
            for chart in charts:
                figure, opts = _for_print(chart)
                out.append(await k.calc_fig(figure, opts=opts))
            return out

    try:
        return asyncio.run(draw())
    except Exception as exc:  # Chromium missing or crashed: the report is failed, and retried later
        raise RenderError(f"images des graphiques impossibles : {exc}") from exc


# --- PDF ------------------------------------------------------------------------------------------------

def _register_fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return "DejaVuSans", "DejaVuSans-Bold"
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                          italic="DejaVuSans", boldItalic="DejaVuSans-Bold")
            return "DejaVuSans", "DejaVuSans-Bold"
    raise RenderError("police DejaVu Sans introuvable (paquet Debian fonts-dejavu-core)")


def _styles():
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = _register_fonts()
    dark = HexColor("#111111")
    grey = HexColor("#444444")
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=26, leading=32, textColor=dark, spaceAfter=10),
        "subtitle": ParagraphStyle("subtitle", fontName=regular, fontSize=15, leading=20, textColor=dark,
                                   spaceAfter=18),
        "h1": ParagraphStyle("h1", fontName=bold, fontSize=17, leading=21, textColor=dark, spaceAfter=4),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=11.5, leading=14, textColor=dark, spaceBefore=8,
                             spaceAfter=3, keepWithNext=1),
        "caption": ParagraphStyle("caption", fontName=regular, fontSize=8, leading=10, textColor=grey, spaceAfter=3,
                                  keepWithNext=1),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5, textColor=dark, spaceAfter=4),
        "small": ParagraphStyle("small", fontName=regular, fontSize=8, leading=10, textColor=grey, spaceAfter=3),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=7.2, leading=8.6, textColor=dark),
        "cell_num": ParagraphStyle("cell_num", fontName=regular, fontSize=7.2, leading=8.6, textColor=dark,
                                   alignment=2),
        "head": ParagraphStyle("head", fontName=bold, fontSize=7.2, leading=8.6, textColor=dark),
        "kpi_label": ParagraphStyle("kpi_label", fontName=bold, fontSize=8.5, leading=10.5, textColor=dark),
        "kpi_value": ParagraphStyle("kpi_value", fontName=bold, fontSize=11, leading=13, textColor=dark),
        "kpi_prev": ParagraphStyle("kpi_prev", fontName=regular, fontSize=9, leading=11, textColor=grey),
        "fonts": (regular, bold),
    }


def _p(text: str | None, style) -> object:
    from reportlab.platypus import Paragraph

    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def cell_text(value) -> str:
    """A table cell as printed: French numbers and dates; a secrecy label (« < 11 ») as it is."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return fmt_number(value)
    if isinstance(value, float):
        return fmt_number(value, 0 if value.is_integer() else 1)
    if isinstance(value, datetime):
        return fmt_datetime_long(value)
    if isinstance(value, date):
        return fmt_date_short(value)
    if isinstance(value, pd.Timestamp):
        return fmt_date_short(value.date())
    return str(value)


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series)


def _grey_table(data, widths, *, header_rows: int = 1):
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    table = RLTable(data, colWidths=widths, repeatRows=header_rows, hAlign="LEFT")
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LINEBELOW", (0, 0), (-1, header_rows - 1), 0.8, HexColor("#000000")),
             ("BACKGROUND", (0, 0), (-1, header_rows - 1), HexColor("#d9d9d9")),
             ("LINEBELOW", (0, header_rows), (-1, -1), 0.25, HexColor("#9e9e9e")),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
             ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
    for r in range(header_rows, len(data)):
        if (r - header_rows) % 2 == 1:
            style.append(("BACKGROUND", (0, r), (-1, r), HexColor("#f2f2f2")))
    table.setStyle(TableStyle(style))
    return table


def _data_table(table: Table, styles, width: float, wide: float | None = None) -> list:
    """A view's table, its first rows; one too wide for a portrait page gets a landscape page of its own."""
    t = table.view_table
    frame = t.frame
    flow = [_p(t.title, styles["h2"])]
    if t.caption:
        flow.append(_p(t.caption, styles["caption"]))
    if frame.empty:
        flow.append(_p("Aucune ligne pour ce mois.", styles["body"]))
        return flow
    columns = list(frame.columns)
    numeric = [_numeric(frame[c]) for c in columns]
    texts = [[cell_text(v) for v in values] for values in frame.head(TABLE_ROWS).itertuples(index=False)]
    turn = wide is not None and sum(_least_widths(columns, texts, numeric, styles)) > width
    limit = TABLE_ROWS_ACROSS if turn else TABLE_ROWS
    texts = texts[:limit]
    rows = [[_p(str(c), styles["head"]) for c in columns]]
    rows += [[_p(t, styles["cell_num"] if n else styles["cell"]) for t, n in zip(line, numeric, strict=True)]
             for line in texts]
    flow.append(_grey_table(rows, _column_widths(columns, texts, numeric, wide if turn else width, styles)))
    line = getattr(t.provenance, "line", "") if getattr(t, "provenance", None) is not None else ""
    if line:
        flow.append(_p(line, styles["small"]))
    if len(frame) > limit:
        flow.append(_p(f"{limit} premières lignes sur {fmt_number(len(frame))} : le tableau complet est dans "
                       f"le classeur XLSX joint (feuille « {t.title} »).", styles["small"]))
    # a table of at most TABLE_ROWS rows fits a page: its title, rows and sources stay on one (never a page
    # holding only the sources line of the table before it)
    from reportlab.platypus import KeepTogether

    flow = [KeepTogether(flow)]
    if turn:  # its own landscape page; the section's next page break turns back to portrait
        from reportlab.platypus import NextPageTemplate, PageBreak

        return [NextPageTemplate(LANDSCAPE), PageBreak(), *flow, NextPageTemplate(PORTRAIT)]
    return flow


def _least_widths(columns: list, texts: list[list[str]], numeric: list[bool], styles) -> list[float]:
    """Each column's longest word (a number: its whole text) as set in the PDF's font, padding included."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    cell, head = styles["cell"], styles["head"]
    out = []
    for i, header in enumerate(columns):
        cells = [line[i] for line in texts] or [""]
        words = cells if numeric[i] else " ".join(cells).split(" ")
        out.append(7.0 + max([stringWidth(w, cell.fontName, cell.fontSize) for w in words]
                             + [stringWidth(w, head.fontName, head.fontSize) for w in str(header).split(" ")]))
    return out


def _column_widths(columns: list, texts: list[list[str]], numeric: list[bool], width: float, styles) -> list[float]:
    """Each column at least as wide as its longest word, so no word is cut; the room left goes to the text
    columns, by the length of a typical cell."""
    least = _least_widths(columns, texts, numeric, styles)
    weights = [0.0 if numeric[i] else float(min(sorted(len(line[i]) for line in texts)[int(0.8 * (len(texts) - 1))],
                                                40)) if texts else 1.0 for i in range(len(columns))]
    room = width - sum(least)
    if room <= 0:
        return [w * width / sum(least) for w in least]
    total = sum(weights)
    return [w + room * (k / total if total else 1 / len(least)) for w, k in zip(least, weights, strict=True)]


def _headlines(section: Section, content: ReportContent, styles, width: float) -> list:
    if not section.headlines:
        return []
    head = [_p("Indicateur", styles["head"]), _p(fmt_month(content.month).capitalize(), styles["head"]),
            _p(fmt_month(content.previous_month).capitalize(), styles["head"]), _p("Précisions", styles["head"])]
    rows = [head] + [[_p(h.label, styles["kpi_label"]), _p(h.value, styles["kpi_value"]),
                      _p(h.previous, styles["kpi_prev"]), _p(h.detail, styles["cell"])] for h in section.headlines]
    return [_p("Chiffres du mois et du mois précédent", styles["h2"]),
            _grey_table(rows, [width * 0.27, width * 0.17, width * 0.17, width * 0.39])]


def _chart(chart: Chart, png: bytes, styles, width: float) -> list:
    from reportlab.platypus import Image, KeepTogether

    from_px = _png_size(png)
    height = width * from_px[1] / from_px[0]
    limit = 150 * 2.834645669  # at most 15 cm high, so a chart and its caption stay on one page
    if height > limit:
        width, height = width * limit / height, limit
    image = Image(io.BytesIO(png), width=width, height=height)
    image.hAlign = "LEFT"
    parts = [_p(chart.title, styles["h2"]), image, _p(chart.caption, styles["small"])]
    if chart.provenance:
        parts.append(_p(chart.provenance, styles["small"]))
    return [KeepTogether(parts)]


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise RenderError("image de graphique invalide")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _title_page(content: ReportContent, styles, width: float) -> list:
    from reportlab.platypus import PageBreak, Spacer

    flow = [Spacer(1, 40), _p("e-Meuse Santé", styles["subtitle"]),
            _p("Rapport mensuel", styles["title"]), _p(fmt_month(content.month).capitalize(), styles["title"]),
            _p(f"Pour {content.recipient} ({content.email}) · {content.profile}", styles["body"]),
            _p(f"Départements : {content.departements}", styles["body"]),
            _p(f"Données du 1er au {fmt_date(content.data_until)}, comparées à {fmt_month(content.previous_month)}.",
               styles["body"]),
            _p(f"Rapport établi le {fmt_datetime_long(content.generated_at)}.", styles["body"]),
            Spacer(1, 14), _p("Sommaire", styles["h1"])]
    rows = [[_p("Page du tableau de bord", styles["head"]), _p("Niveau de détail de votre profil", styles["head"])]]
    for s in content.sections:
        rows.append([_p(s.title + (f" — {s.subtitle}" if s.subtitle else ""), styles["cell"]),
                     _p(LEVEL_WORDS[s.level], styles["cell"])])
    flow.append(_grey_table(rows, [width * 0.6, width * 0.4]))
    if not content.sections:
        flow.append(_p("Aucune page du tableau de bord n'est accessible à votre profil pour ce rapport.",
                       styles["body"]))
    flow += [Spacer(1, 14), _p("Secret statistique et niveau de détail", styles["h2"]),
             _p("Chaque page est présentée au niveau de détail accordé à votre profil, exactement comme à l'écran. "
                "Au niveau « synthèse », les chiffres sont donnés par département et par mois, chaque effectif de "
                "1 à 10 est écrit « < 11 » et aucun site, EHPAD, automate, véhicule ni commune n'est nommé.",
                styles["body"]),
             _p("Document destiné à son seul destinataire ; à ne pas diffuser au-delà des personnes habilitées.",
                styles["small"]),
             PageBreak()]
    return flow


def _section(section: Section, content: ReportContent, images: dict[int, bytes], styles, width: float,
             wide: float) -> list:
    from reportlab.platypus import PageBreak

    title = section.title + (f" — {section.subtitle}" if section.subtitle else "")
    flow = [_p(title, styles["h1"])]
    if section.window:
        flow.append(_p(f"Période : {section.window}.", styles["small"]))
    flow.append(_p(f"Niveau de détail : {LEVEL_WORDS[section.level]}. Page : {section.address}", styles["small"]))
    flow.append(_p("Sources : " + " ; ".join(section.sources) + ".", styles["small"]))
    if section.note:
        flow.append(_p(section.note, styles["small"]))
    flow += _headlines(section, content, styles, width)
    for chart in section.charts:
        flow += _chart(chart, images[id(chart)], styles, width)
    for table in section.tables:
        flow += _data_table(table, styles, width, wide)
    flow.append(PageBreak())
    return flow


def _sources_page(content: ReportContent, styles) -> list:
    flow = [_p("Sources, dates et méthode", styles["h1"])]
    seen: list[str] = []
    for s in content.sections:
        seen += [x for x in s.sources if x not in seen]
    flow += [_p(x, styles["body"]) for x in seen]
    defined: list[tuple[str, str]] = []
    for s in content.sections:
        for d in s.definitions:  # a figure shown per département or per part is defined once
            if d not in defined:
                defined.append(d)
    if defined:
        flow.append(_p("Définitions des chiffres du mois (page « Méthodes »)", styles["h2"]))
        flow += [_p(f"{name} : {definition}", styles["small"]) for name, definition in defined]
    flow += [_p("Population et géographie", styles["h2"]), _p(POPULATION_VINTAGE, styles["body"]),
             _p("Période", styles["h2"]),
             _p(f"{fmt_month(content.month).capitalize()} (données jusqu'au {fmt_date(content.data_until)}), comparé "
                f"à {fmt_month(content.previous_month)} ; heures en heure de Paris.", styles["body"]),
             _p("Niveau de détail et secret statistique, page par page", styles["h2"])]
    rules: list[tuple[str, str]] = []
    for s in content.sections:
        line = (s.title, f"{LEVEL_WORDS[s.level]} — {s.rule}")
        if line not in rules:
            rules.append(line)
    flow += [_p(f"{title} : {rule}", styles["body"]) for title, rule in rules]
    flow.append(_p(f"{APP_NAME}. Le classeur XLSX joint contient chaque tableau en entier, avec ses métadonnées.",
                   styles["small"]))
    return flow


def render_pdf(content: ReportContent, images: dict[int, bytes]) -> bytes:
    """The report as a PDF: title page, one part per page view, sources; page numbers « Page 2 / 9 »."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    styles = _styles()
    regular, _bold = styles["fonts"]
    footer_text = f"e-Meuse Santé — rapport {de(fmt_month(content.month))} — {content.recipient}"

    class NumberedCanvas(rl_canvas.Canvas):
        """Two passes: the total page count is known once every page is laid out."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - ReportLab's API
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(regular, 7.5)
                self.setFillColor(HexColor("#333333"))
                self.drawString(18 * mm, 10 * mm, footer_text)
                right = self._pagesize[0] - 18 * mm
                self.drawRightString(right, 10 * mm, f"Page {self._pageNumber} / {total}")
                self.setStrokeColor(HexColor("#777777"))
                self.setLineWidth(0.4)
                self.line(18 * mm, 13 * mm, right, 13 * mm)
                super().showPage()
            super().save()

    buf = io.BytesIO()
    margins = {"leftMargin": 18 * mm, "rightMargin": 18 * mm, "topMargin": 16 * mm, "bottomMargin": 18 * mm}
    doc = BaseDocTemplate(buf, pagesize=A4, **margins, title=f"Rapport e-Meuse Santé — {fmt_month(content.month)}",
                          author="e-Meuse Santé", subject=f"Rapport mensuel pour {content.recipient}", lang="fr-FR")
    across = landscape(A4)
    wide = across[0] - 36 * mm
    doc.addPageTemplates([
        PageTemplate(PORTRAIT, [Frame(18 * mm, 18 * mm, doc.width, doc.height, id="portrait", leftPadding=0,
                                      rightPadding=0, topPadding=0, bottomPadding=0)], pagesize=A4),
        PageTemplate(LANDSCAPE, [Frame(18 * mm, 18 * mm, wide, across[1] - 34 * mm, id="landscape", leftPadding=0,
                                       rightPadding=0, topPadding=0, bottomPadding=0)], pagesize=across)])
    width = doc.width
    flow = _title_page(content, styles, width)
    for section in content.sections:
        flow += _section(section, content, images, styles, width, wide)
    flow += _sources_page(content, styles)
    doc.build(flow, canvasmaker=NumberedCanvas)
    return buf.getvalue()


# --- XLSX -----------------------------------------------------------------------------------------------

def render_xlsx(content: ReportContent) -> bytes:
    """Every table of the report in full, one sheet each, and each table's « Métadonnées »."""
    sheets, metadata = [], [("Rapport", f"Rapport mensuel — {fmt_month(content.month)}"),
                            ("Destinataire", f"{content.recipient} ({content.email}) · {content.profile}"),
                            ("Établi le", fmt_datetime_long(content.generated_at)), ("", "")]
    for section in content.sections:
        for table in section.tables:
            frame = table.view_table.frame
            title = table.view_table.title
            sheets.append((title, list(frame.columns), _values(frame)))
            metadata += [("Feuille", title), *table.metadata, ("", "")]
    if not sheets:
        sheets.append(("Données", ["Information"], [["Aucun tableau accessible à votre profil pour ce rapport."]]))
    return to_xlsx_book(sheets, metadata=metadata)


def _values(df: pd.DataFrame) -> list[list]:
    return [[None if (isinstance(v, float) and v != v) or v is pd.NA else v for v in row]
            for row in df.itertuples(index=False)]


def render(content: ReportContent) -> tuple[bytes, bytes]:
    """(PDF, XLSX) of a composed report."""
    charts = [c for s in content.sections for c in s.charts]
    images = dict(zip((id(c) for c in charts), render_images(charts), strict=True))
    return render_pdf(content, images), render_xlsx(content)


def describe(content: ReportContent) -> str:
    """One line for logs and the CLI: « 7 parties, 12 graphiques, 15 tableaux »."""
    sections = content.sections
    return (f"{plural(len(sections), 'partie')}, {plural(sum(len(s.charts) for s in sections), 'graphique')}, "
            f"{plural(sum(len(s.tables) for s in sections), 'tableau', 'tableaux')}")
