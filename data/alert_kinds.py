"""The kinds of alert rule and who may read one: shared by the evaluation (data/alerts.py) and the texts
(data/views/alerts.py)."""
from __future__ import annotations

from dataclasses import dataclass

from data.access import AccessScope
from data.models import AlertRule, Dataset, Level, Role

FIRING, RESOLVED, REMINDER = "firing", "resolved", "reminder"
SEVERITIES = {"info": "Information", "warning": "Avertissement", "critical": "Critique"}
WINDOW_DAYS = 7


class AlertError(ValueError):
    """A rule, silence or subscription request that is refused (the message is French, for the user)."""


@dataclass(frozen=True)
class AlertKind:
    """A kind of rule: the dataset its subscribers need, its threshold and how it reads."""

    key: str
    dataset: Dataset
    label: str  # « Automate silencieux »
    param: str  # hours | pct | count
    param_label: str  # « Heures sans rapport »
    default: float
    page: str  # the page that shows the cause


KINDS: dict[str, AlertKind] = {k.key: k for k in (
    AlertKind("device_silent", Dataset.BIOLOGY, "Automate silencieux", "hours", "Heures sans rapport", 24,
              "/biologie"),
    AlertKind("device_qc_failed", Dataset.BIOLOGY, "Contrôle qualité d'un automate en échec", "none", "", 0,
              "/biologie"),
    AlertKind("device_battery_low", Dataset.BIOLOGY, "Batterie d'un automate faible", "pct", "Batterie sous (%)",
              20, "/biologie"),
    AlertKind("source_silent", Dataset.FEEDS, "Source de flux silencieuse", "hours", "Heures sans événement", 24,
              "/flux"),
    AlertKind("source_reject_rate", Dataset.FEEDS, "Taux de rejet d'une source", "pct",
              "Rejets sur 24 h au-delà de (%)", 10, "/flux"),
    AlertKind("biology_abnormal_rate", Dataset.BIOLOGY, "Taux de résultats anormaux d'un EHPAD", "pct",
              "Résultats anormaux sur 7 jours au-delà de (%)", 30, "/biologie"),
    AlertKind("teleconsultation_failure_rate", Dataset.TELECONSULTATION, "Échecs techniques de téléconsultation",
              "pct", "Échecs techniques sur 7 jours au-delà de (%)", 10, "/teleconsultation"),
    AlertKind("mobile_cancelled", Dataset.MOBILE, "Arrêts de cabinet mobile annulés", "count",
              "Arrêts annulés en 7 jours au-delà de", 3, "/cabinets-mobiles"),
    AlertKind("programme_off_target", Dataset.PROGRAMME, "Indicateur du programme hors cible", "none", "", 0,
              "/programme"),
)}
MIN_EVENTS = 20  # a rate is judged on at least this many tests / sessions / deliveries in its window


def can_manage(scope: AccessScope) -> bool:
    """Admin and ARS make, switch off and silence rules."""
    return scope.role in (Role.ADMIN.value, Role.ARS.value)


def recipient_allowed(scope: AccessScope, rule: AlertRule) -> bool:
    """A rule's notifications go to who may see its dataset — at `detail` when it is scoped on one site or
    source — and whose départements meet the rule's."""
    kind = KINDS[rule.kind]
    need = Level.DETAIL if (rule.site_id is not None or rule.source_id is not None) else Level.SUMMARY
    if not scope.can_see(kind.dataset, need):
        return False
    return not rule.departements or bool(set(rule.departements) & scope.departements)
