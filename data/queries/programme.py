"""Programme: each experiment's indicators against their targets, over time and by territory."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.access import AccessScope
from data.filters import Filters
from data.models import Dataset, Departement, ProgrammeIndicatorValue
from data.queries.common import area_for, frame
from data.secrecy import SMALL_LABEL, is_small
from data.terminology import EXPERIMENTS

PIV = ProgrammeIndicatorValue
PEOPLE_UNITS = ("adolescents", "femmes", "étudiants", "patients", "personnes")  # counts of people: secrecy
INDICATOR_LABELS = {
    "utilisateurs_actifs": "Utilisateurs actifs de l'application",
    "mois_vie_autonome_domicile": "Mois de vie autonome à domicile gagnés",
    "personnes_agees_depistees_pct": "Personnes âgées dépistées (dénutrition)",
    "femmes_accompagnees": "Femmes accompagnées",
    "ruptures_parcours_pour_1000": "Ruptures de parcours",
    "renoncement_soins_pct": "Renoncement aux soins",
    "boursiers_installes": "Boursiers installés sur le territoire",
}


def indicators(session: Session, *, scope: AccessScope, filters: Filters, experiment: str | None = None
               ) -> pd.DataFrame:
    """Indicator values whose period overlaps the filter's, per territory (départements at summary)."""
    area = area_for(scope, filters, Dataset.PROGRAMME)
    cols = ["experiment", "experiment_label", "indicator", "indicator_label", "territory", "period_end", "value",
            "target", "unit", "objective", "reached"]
    if area.empty:
        return pd.DataFrame(columns=cols)
    p = filters.period
    stmt = (select(PIV.experiment, PIV.indicator, PIV.territory_level, PIV.territory_code, Departement.name,
                   PIV.period_end, PIV.value, PIV.target, PIV.unit)
            .join(Departement, Departement.code == PIV.departement_code)
            .where(PIV.departement_code.in_(area.departements), PIV.period_end >= p.start, PIV.period_start <= p.end)
            .order_by(PIV.experiment, PIV.indicator, Departement.name, PIV.period_end))
    if experiment:
        stmt = stmt.where(PIV.experiment == experiment)
    if area.summary:
        stmt = stmt.where(PIV.territory_level == "departement")
    df = frame(session.execute(stmt).all(), columns=["experiment", "indicator", "level", "code", "dep_name",
                                                            "period_end", "value", "target", "unit"])
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["territory"] = [d if lvl == "departement" else f"{lvl.upper()} {c}"
                       for lvl, c, d in zip(df["level"], df["code"], df["dep_name"], strict=True)]
    first = df.groupby(["indicator", "territory"])["value"].transform("first")
    lower_is_better = first > df["target"]
    df["objective"] = ["baisse" if low else "hausse" for low in lower_is_better]
    df["reached"] = pd.Series([None if t != t else ("oui" if (v <= t if low else v >= t) else "non")
                               for v, t, low in zip(df["value"], df["target"], lower_is_better, strict=True)],
                              dtype=object, index=df.index)
    df["experiment_label"] = df["experiment"].map(lambda e: EXPERIMENTS.get(e, e))
    df["indicator_label"] = df["indicator"].map(lambda i: INDICATOR_LABELS.get(i, i))
    if area.summary:
        df["value"] = df["value"].astype(object)
        small = df["unit"].isin(PEOPLE_UNITS) & df["value"].map(lambda v: is_small(v))
        df.loc[small, "value"] = SMALL_LABEL
        df.loc[small, "reached"] = None
    return df[cols]
