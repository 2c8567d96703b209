"""Time to render one monthly report (the ARS officer's, every page) on a bench database; prints, asserts nothing.

    python -m bench.report                                # scale s (demo size), a throwaway SQLite file
    python -m bench.report --keep /tmp/s.sqlite3          # fill once, reuse next time
    python -m bench.report --out /tmp/rapport.pdf         # keep the PDF to look at (pdftoppm -png …)

Each step is timed apart: the page views for the month and the month before (compose), the charts as PNG
(kaleido driving headless Chromium, started once per report), the PDF (ReportLab) and the XLSX.
"""
from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from pypdf import PdfReader

from bench.dashboard import SCALES, fill
from data.access import scope_for_user
from data.db import make_engine, make_session_factory
from data.report_content import compose, user_by_email
from data.report_render import render_images, render_pdf, render_xlsx

MONTH = date(2026, 10, 1)  # the last month of the bench data (bench.dashboard.END)
NOW = datetime(2026, 11, 2, 6, 0)


def run(url: str, scale: str, repeats: int, email: str, out: Path | None) -> None:
    deps = SCALES[scale][1]
    factory = make_session_factory(make_engine(url))
    steps: dict[str, list[float]] = {"compose": [], "images": [], "pdf": [], "xlsx": [], "total": []}
    for _ in range(repeats):
        with factory() as session:
            user = user_by_email(session, email)
            scope = scope_for_user(session, user, territory=deps)
            t0 = time.perf_counter()
            content = compose(session, scope=scope, user=user, month=MONTH, pages=None, territory=deps, now=NOW)
            t1 = time.perf_counter()
            charts = [c for s in content.sections for c in s.charts]
            images = dict(zip((id(c) for c in charts), render_images(charts), strict=True))
            t2 = time.perf_counter()
            pdf = render_pdf(content, images)
            t3 = time.perf_counter()
            xlsx = render_xlsx(content)
            t4 = time.perf_counter()
        for key, seconds in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
            steps[key].append(seconds)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"report of {MONTH:%Y-%m} for {email} (scale {scale}): {len(content.sections)} parts, {len(charts)} charts, "
          f"{sum(len(s.tables) for s in content.sections)} tables, {pages} PDF pages; "
          f"PDF {len(pdf) / 1e6:.1f} MB, XLSX {len(xlsx) / 1e3:.0f} kB")
    for key, values in steps.items():
        print(f"  {key:8s} median {statistics.median(values):6.2f} s  (worst {max(values):.2f} s, {repeats} runs)")
    if out:
        out.write_bytes(pdf)
        out.with_suffix(".xlsx").write_bytes(xlsx)
        print(f"  written: {out} and {out.with_suffix('.xlsx')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="s")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--email", default="ars@demo.e-meuse-sante.fr")
    parser.add_argument("--keep", metavar="FILE", type=Path, help="SQLite file to fill once and reuse")
    parser.add_argument("--out", metavar="PDF", type=Path, help="keep the last PDF (and its XLSX beside it)")
    args = parser.parse_args()
    if args.keep:
        url = f"sqlite:///{args.keep.resolve()}"
        if not args.keep.exists():
            fill(url, args.scale)
        run(url, args.scale, args.repeats, args.email, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        fill(url, args.scale)
        run(url, args.scale, args.repeats, args.email, args.out)


if __name__ == "__main__":
    main()
