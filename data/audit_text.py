"""The audit trail's details as an administrator reads them: French words, not Python dicts.

`describe(action, detail)` turns the JSON detail of an audit event into one line, e.g.
« niveau : synthèse → aucun », « rôle : membre → administrateur ; départements : 55 → tous ».
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from urllib.parse import parse_qsl

from data.access import COLLEGES
from data.filters import parse_month
from data.formatting import fmt_date, fmt_month, fmt_number, plural, to_paris

ROLE_LABELS = {"member": "membre", "ars": "officier ARS", "admin": "administrateur"}
LEVEL_LABELS = {"none": "aucun", "summary": "synthèse", "detail": "détail"}
FEED_LABELS = {"teleconsultation": "téléconsultation", "mobile": "cabinets mobiles", "biology": "biologie",
               "workforce": "professionnels de santé", "programme": "indicateurs du programme"}
FIELD_LABELS = {"email": "adresse", "full_name": "nom", "role": "rôle", "college": "collège",
                "departements": "départements", "active": "actif", "prefix": "clé", "feed_kind": "flux",
                "replaced_previous": "remplace la clé précédente", "format": "format", "rows": "lignes",
                "step": "étape", "seed": "graine", "end": "jusqu'au", "years": "années", "by": "par",
                "sessions": "sessions", "query": "filtres", "params": "options", "filters": "filtres",
                "path": "page", "reason": "motif", "actor": "utilisateur", "action": "action", "from": "du",
                "to": "au", "dataset": "jeu de données", "until": "jusqu'au", "subject": "sujet", "name": "nom",
                "kind": "type", "severity": "gravité", "site_id": "site", "source_id": "source",
                "message": "message", "attempts": "essais", "subject_line": "objet", "attachments": "pièces jointes",
                "error": "erreur"}
VALUE_LABELS = {"step": {"totp": "code de vérification", "password": "mot de passe"},
                "by": {"user": "l'utilisateur lui-même", "admin": "un administrateur"},
                "format": {"csv": "CSV", "xlsx": "XLSX"}}
QUERY_LABELS = {"dep": "départements", "epci": "EPCI", "commune": "commune", "du": "du", "au": "au"}


def value_text(field: str, value) -> str:
    """One value in French: levels, roles, colleges, feeds, booleans, lists, dates, numbers."""
    if value is None or value == "" or value == []:
        return "tous" if field == "departements" else "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return fmt_number(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(field, v) for v in value)
    if isinstance(value, Mapping):
        return _pairs(value)
    text = str(value)
    if field in VALUE_LABELS and text in VALUE_LABELS[field]:
        return VALUE_LABELS[field][text]
    if field == "role":
        return ROLE_LABELS.get(text, text)
    if field == "college":
        return COLLEGES.get(text, text)
    if field == "feed_kind":
        return FEED_LABELS.get(text, text)
    if field == "prefix":
        return f"emk_{text}_…"
    if field == "query":
        return _query(text)
    if field == "until":  # « 3 janvier 2031 à 1 h 00 (heure de Paris) »: the journal's column shows no clock
        try:
            local = to_paris(datetime.fromisoformat(text))
        except ValueError:
            return text
        return f"{fmt_date(local.date())} à {local.hour}\u00a0h\u00a0{local.minute:02d} (heure de Paris)"
    if field in ("end", "from", "to"):
        try:
            return fmt_date(date.fromisoformat(text))
        except ValueError:
            return text
    return LEVEL_LABELS.get(text, text) if field == "level" else text


def _query(query: str) -> str:
    """'?dep=55&du=2025-01&au=2025-06' → 'départements 55 ; du janvier 2025 ; au juin 2025'."""
    parts = []
    for key, value in parse_qsl(query.lstrip("?")):
        month = parse_month(value) if key in ("du", "au") else None
        parts.append(f"{QUERY_LABELS.get(key, key)} {fmt_month(month) if month else value}")
    return " ; ".join(parts) or "aucun"


def _pairs(detail: Mapping) -> str:
    return " ; ".join(f"{FIELD_LABELS.get(k, k)} : {value_text(k, v)}" for k, v in detail.items())


def describe(action: str, detail: Mapping | None) -> str:
    """The detail of one audit event as a French line (empty when there is none)."""
    if not detail:
        return ""
    if action == "grant.update":
        return f"niveau : {LEVEL_LABELS.get(detail.get('before'), detail.get('before') or '—')} → " \
               f"{LEVEL_LABELS.get(detail.get('after'), detail.get('after') or '—')}"
    before, after = detail.get("before"), detail.get("after")
    if isinstance(after, Mapping) and isinstance(before, Mapping):  # a change: only what changed
        changed = [f"{FIELD_LABELS.get(k, k)} : {value_text(k, before.get(k))} → {value_text(k, after.get(k))}"
                   for k in after if before.get(k) != after.get(k)]
        return " ; ".join(changed) or "aucun changement"
    if isinstance(after, Mapping):
        return _pairs(after)
    if "sessions" in detail and isinstance(detail["sessions"], int):
        rest = {k: v for k, v in detail.items() if k != "sessions"}
        ended = plural(detail["sessions"], "session terminée", "sessions terminées")
        return ended + (f" ; {_pairs(rest)}" if rest else "")
    if "rows" in detail and isinstance(detail["rows"], int):
        rest = {k: v for k, v in detail.items() if k not in ("rows", "params")}
        rows = plural(detail["rows"], "ligne")
        return (f"{_pairs(rest)} ; " if rest else "") + rows
    return _pairs(detail)
