"""Import of a workforce registry extract (CSV, RPPS-like columns, French headers, | or , or ;)."""
from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from data.ingestion.pipeline import ENDPOINTS, ingest, reject
from data.ingestion.schemas import FieldError
from data.models import FeedSource
from data.terminology import PROFESSIONS

# normalised header → our field
HEADERS = {
    "identifiant rpps": "rpps", "identifiant pp": "rpps", "rpps": "rpps", "numero rpps": "rpps",
    "profession": "profession", "libelle profession": "profession", "code profession": "profession",
    "specialite": "specialty", "savoir-faire": "specialty", "libelle savoir-faire": "specialty",
    "code commune": "commune", "commune (code insee)": "commune", "code insee": "commune",
    "annee de naissance": "birth_year", "date de naissance": "birth_year",
    "debut d'activite": "activity_start", "date de debut d'activite": "activity_start",
    "fin d'activite": "activity_end", "date de fin d'activite": "activity_end",
    "quotite": "fte", "etp": "fte",
}
REQUIRED = {"rpps", "profession", "commune", "birth_year", "activity_start"}
PROFESSION_ALIASES = {
    "medecin": "medecin", "infirmier": "infirmier", "infirmiere": "infirmier", "infirmier(ere)": "infirmier",
    "pharmacien": "pharmacien", "pharmacienne": "pharmacien", "chirurgien-dentiste": "chirurgien_dentiste",
    "chirurgien dentiste": "chirurgien_dentiste", "masseur-kinesitherapeute": "masseur_kinesitherapeute",
    "sage-femme": "sage_femme", "10": "medecin", "60": "infirmier", "21": "pharmacien",
    "40": "chirurgien_dentiste", "70": "masseur_kinesitherapeute", "50": "sage_femme",
}
SPECIALTY_ALIASES = {"medecine generale": "medecine_generale", "qualifie en medecine generale": "medecine_generale",
                     "sm54": "medecine_generale"}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower().replace("’", "'"))
    return "".join(c for c in text if not unicodedata.combining(c))


def _date(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%Y%m%d"):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return value  # left for the schema to refuse with a clear reason


def _year(value: str) -> int | str:
    value = value.strip()
    if len(value) == 4 and value.isdigit():
        return int(value)
    parsed = _date(value)
    try:
        return date.fromisoformat(parsed).year if parsed else value
    except ValueError:
        return value


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def read_rows(text: str) -> tuple[list[tuple[int, dict]], list[str]]:
    """(line number, our JSON form) for each data row; plus the headers that were not recognised."""
    sample = text[:4096]
    delimiter = max("|,;", key=sample.splitlines()[0].count) if sample else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    mapping = {i: HEADERS.get(_norm(h)) for i, h in enumerate(header)}
    missing = REQUIRED - set(mapping.values())
    if missing:
        raise ValueError(f"colonnes obligatoires absentes : {', '.join(sorted(missing))} "
                         f"(en-têtes lus : {', '.join(header)})")
    unknown = [h for i, h in enumerate(header) if mapping[i] is None]
    rows = []
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        raw = {mapping[i]: c.strip() for i, c in enumerate(cells) if i in mapping and mapping[i]}
        rpps = raw.get("rpps", "")
        rpps_hash = hashlib.sha256(f"rpps:{rpps}".encode()).hexdigest() if rpps.isdigit() else rpps
        profession = PROFESSION_ALIASES.get(_norm(raw.get("profession", "")), _norm(raw.get("profession", "")))
        specialty = raw.get("specialty") or None
        if specialty:
            specialty = SPECIALTY_ALIASES.get(_norm(specialty), _norm(specialty).replace(" ", "_"))
        fte = raw.get("fte", "").replace(",", ".")
        item = {"rpps_hash": rpps_hash, "profession": profession if profession in PROFESSIONS else raw.get(
            "profession", ""), "specialty": specialty, "commune": raw.get("commune", "").zfill(5),
            "birth_year": _year(raw.get("birth_year", "")), "activity_start": _date(raw.get("activity_start", "")),
            "activity_end": _date(raw.get("activity_end", "")), "fte": float(fte) if _is_number(fte) else 1.0}
        content = "|".join(str(item[k]) for k in sorted(item))
        item["event_id"] = "csv:" + hashlib.sha256(content.encode()).hexdigest()[:40]
        rows.append((line_no, item))
    return rows, unknown


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def import_registry(session: Session, *, source: FeedSource, text: str) -> ImportSummary:
    """Create or update practitioners from an extract; re-importing the same file changes nothing."""
    summary = ImportSummary()
    rows, _unknown = read_rows(text)
    summary.rows = len(rows)
    if not rows:
        return summary
    result = ingest(session, source=source, endpoint=ENDPOINTS["workforce/practitioners"],
                    items=[item for _, item in rows])
    for (line_no, _), item in zip(rows, result.items, strict=True):
        if item["status"] == "accepted":
            summary.created += 1
        elif item["status"] == "updated":
            summary.updated += 1
        elif item["status"] == "duplicate":
            summary.unchanged += 1
        else:
            summary.rejected += 1
            e = item["errors"][0]
            summary.errors.append((line_no, f"{e['field']} : {e['message']} ({e['reason']})"))
    return summary


def reject_file(session: Session, *, source: FeedSource, text: str, message: str) -> None:
    """A file that cannot be read at all is kept too."""
    reject(session, source=source, feed_kind="workforce", payload=text,
           error=FieldError(field="(fichier)", reason="unreadable_extract", message=message),
           received_at=datetime.now().replace(microsecond=0))
