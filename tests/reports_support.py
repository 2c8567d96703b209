"""Helpers of the report tests: a report's text as pypdf reads it, its images, a clean slate of reports."""
from __future__ import annotations

import io
import re

from sqlalchemy import delete

from data.db import make_session_factory, session_scope
from data.models import GeneratedReport, MailAttachment, MailMessage, ReportSubscription

OCTOBER_NOW = "2026-11-02T06:00:00"  # naive UTC: October 2026 is complete (the demo data ends on the 31st)
SPACES = re.compile(r"[\s\u00a0\u202f]+")


def pdf_page_lines(pdf: bytes) -> list[list[str]]:
    """Each page's lines of text as pypdf extracts them, spaces (no-break ones included) made plain."""
    from pypdf import PdfReader

    return [[SPACES.sub(" ", line).strip() for line in page.extract_text().splitlines()]
            for page in PdfReader(io.BytesIO(pdf)).pages]


def pdf_lines(pdf: bytes) -> list[str]:
    """Every line of text pypdf extracts from the PDF, spaces (no-break ones included) made plain."""
    return [line for page in pdf_page_lines(pdf) for line in page]


def plain(text: str) -> str:
    return SPACES.sub(" ", text).strip()


def pdf_images(pdf: bytes) -> list[bytes]:
    """The images embedded in the PDF, as PNG files (pypdf re-encodes each raster it extracts)."""
    from pypdf import PdfReader

    out = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            buf = io.BytesIO()
            image.image.save(buf, format="PNG")
            out.append(buf.getvalue())
    return out


def clear_reports(engine) -> None:
    with session_scope(make_session_factory(engine)) as s:
        mails = MailMessage.dedupe_key.like("report:%")
        s.execute(delete(MailAttachment).where(MailAttachment.message_id.in_(
            MailMessage.__table__.select().with_only_columns(MailMessage.id).where(mails))))
        s.execute(delete(MailMessage).where(mails))
        s.execute(delete(GeneratedReport))
        s.execute(delete(ReportSubscription))
