"""Professionnels de santé: density map, age structure, arrivals and departures, retirements, grants.

At summary level the density is per département (whatever scale was asked), on département polygons.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy.orm import Session

import data.views.grid as grid
from data.access import AccessScope
from data.filters import Filters
from data.formatting import de, fmt_date, fmt_number, fmt_signed
from data.models import Dataset
from data.queries import workforce as q
from data.queries.common import numeric
from data.secrecy import published_rate
from data.url_codecs import choice
from data.views.base import (
    SECRET_NOTE,
    AreaLayer,
    Detail,
    MapView,
    Stat,
    TableView,
    commune_name,
    departement_points,
    detail_for,
    focus,
    labelled,
    map_context,
    register_view,
    stat,
    territory_bounds,
)
from data.views.series import WeeklySeries

NAME = "workforce"
DENSITY_TABLE, AGES_TABLE, FLOWS_TABLE = "professionnels-densite", "professionnels-ages", "professionnels-flux"
CODE_HEADERS = {"commune": "Code INSEE", "epci": "SIREN de l'EPCI", "departement": "Code du département"}
DENSITY_COLUMNS = {"area_name": "Territoire", "area_code": "Code", "population": "Population",
                   "count": "Professionnels", "density": "Pour 10 000 habitants",
                   "aged_60_plus_pct": "Âgés de 60 ans et plus (%)"}
AGES_COLUMNS = {"band": "Âge", "count": "Professionnels", "share_pct": "Part (%)"}
FLOWS_COLUMNS = {"quarter": "Trimestre", "arrivals": "Installations", "departures": "Départs", "net": "Solde"}
PLURALS = {"medecin_gp": "Médecins généralistes", "medecin_spe": "Médecins spécialistes", "infirmier": "Infirmiers",
           "pharmacien": "Pharmaciens", "chirurgien_dentiste": "Chirurgiens-dentistes",
           "masseur_kinesitherapeute": "Masseurs-kinésithérapeutes", "sage_femme": "Sages-femmes"}


@dataclass(frozen=True)
class WorkforceOptions:
    profession: str = "medecin_gp"
    scale: str = "commune"

    def in_words(self) -> tuple[tuple[str, str], ...]:
        return (("Profession", q.PROFESSION_CHOICES[self.profession]), ("Échelle", q.SCALES[self.scale]))

    def to_query(self) -> str:
        return f"&profession={self.profession}&echelle={self.scale}"


# URL parameters of the page's own controls (bound to the controls in components/url_state.py)
PROFESSION = choice(q.PROFESSION_CHOICES, "medecin_gp")  # profession
SCALE = choice(q.SCALES, "commune")  # echelle


def workforce_options(*, profession=None, scale=None) -> WorkforceOptions:
    return WorkforceOptions(PROFESSION.decode(profession), SCALE.decode(scale))


def options_from_args(args: Mapping[str, str], _filters: Filters) -> WorkforceOptions:
    return workforce_options(profession=args.get("profession"), scale=args.get("echelle"))


@dataclass(frozen=True)
class WorkforceView:
    detail: Detail
    options: WorkforceOptions
    label: str
    stats: tuple[Stat, ...]
    map: MapView
    density_table: TableView
    ages: WeeklySeries
    ages_table: TableView
    flows: WeeklySeries
    flows_table: TableView
    note: str | None
    query: str


def _stats(r: q.Retirements, density: pd.DataFrame, label: str, detail: Detail) -> tuple[Stat, ...]:
    """The four cards, all of the page's profession (`label`)."""
    counts = numeric(density["count"]) if not density.empty else pd.Series(dtype=float)
    old = (density["aged_60_plus_pct"] * counts / 100).sum() if not density.empty else 0
    share_old = old / counts.sum() * 100 if counts.sum() else None
    grants = ("non accessible à votre profil" if r.grant_holders is None and r.grant_period_end is None else
              f"{detail.counted(r.grant_holders, 'installé')} (au {fmt_date(r.grant_period_end)})")
    who = label.lower()
    return (
        stat("wf-share60", "—" if share_old is None else f"{fmt_number(share_old, 1)}\u00a0%",
             f"{detail.count(int(counts.sum()))} professionnels en activité"
             + (" (hors effectifs masqués)" if counts.isna().any() else ""), profession=label),
        stat("wf-density", fmt_number(r.density_now, 1),
             f"{detail.secret(r.active)} en activité sur le territoire choisi", profession=label),
        stat("wf-retiring", detail.secret(r.retiring),
             f"{who} de {q.RETIREMENT_AGE - q.RETIRE_WITHIN_YEARS} ans et plus ; densité "
             f"restante sans remplacement : {fmt_number(r.density_after, 1)}", hidden=r.retiring is None,
             profession=label),
        stat("wf-grants", f"{detail.count(r.grant_holders)} / {detail.secret(r.departures)}",
             f"étudiants financés par le département ({grants}) ; départs {de(who)} sur la période", who=who),
    )


@register_view(NAME, dataset=Dataset.WORKFORCE.value, datasets=(Dataset.WORKFORCE.value, Dataset.PROGRAMME.value),
               options=options_from_args,
               tables={DENSITY_TABLE: "Densité pour 10 000 habitants", AGES_TABLE: "Pyramide des âges",
                       FLOWS_TABLE: "Installations et départs"})
def workforce_view(session: Session, *, scope: AccessScope, filters: Filters,
                   options: WorkforceOptions) -> WorkforceView:
    detail = detail_for(scope, filters, Dataset.WORKFORCE)
    profession, scale = options.profession, "departement" if detail.summary else options.scale
    label = PLURALS.get(profession, q.PROFESSION_CHOICES[profession])
    density = q.density(session, scope=scope, filters=filters, profession=profession, scale=scale)
    ages = q.age_structure(session, scope=scope, filters=filters, profession=profession)
    flows = q.flows(session, scope=scope, filters=filters, profession=profession)
    retire = q.retirements(session, scope=scope, filters=filters, profession=profession)
    if detail.summary and retire:
        density, ages, flows, retire = _from_grid(session, detail, filters, profession, retire)
    dens = numeric(density["density"]) if not density.empty else pd.Series(dtype=float)
    scale_words = q.SCALES[scale].lower()
    density_caption = (f"{label} pour 10 000 habitants à l'échelle « {scale_words} » au {fmt_date(filters.period.end)}"
                       + (" (niveau « synthèse »)" if detail.summary else "")
                       + f" : de {fmt_number(dens.min(), 1)} à {fmt_number(dens.max(), 1)} ; "
                       f"{detail.counted(int((numeric(density['count']) == 0).sum()), 'territoire')} sans aucun "
                       "professionnel." if dens.notna().any() else "Aucune donnée pour ce filtre.")
    age_counts = numeric(ages["count"]) if not ages.empty else pd.Series(dtype=float)
    return WorkforceView(
        detail=detail, options=options, label=label,
        stats=_stats(retire, density, label, detail) if retire else (),
        map=_map(session, scope, filters, detail, density, profession, scale, density_caption),
        density_table=TableView(DENSITY_TABLE, "Données du graphique",
                                labelled(density, {**DENSITY_COLUMNS, "area_code": CODE_HEADERS[scale]}),
                                caption=density_caption),
        ages=WeeklySeries(tuple(ages["band"]), ((label, tuple(None if v != v else float(v) for v in age_counts)),),
                          masked=bool(age_counts.isna().any())) if age_counts.sum() else WeeklySeries((), ()),
        ages_table=TableView(AGES_TABLE, "Données du graphique", labelled(ages, AGES_COLUMNS),
                             caption=f"Répartition par âge des {label.lower()} en activité au "
                                     f"{fmt_date(filters.period.end)}."
                                     + (f" {SECRET_NOTE}" if age_counts.isna().any() else "")),
        flows=_flows_series(flows),
        flows_table=TableView(FLOWS_TABLE, "Données du graphique", labelled(flows, FLOWS_COLUMNS),
                              caption=_flows_caption(flows, label, detail)),
        note=detail.note, query=filters.to_query() + options.to_query())


def _from_grid(session: Session, detail: Detail, filters: Filters, profession: str, retire: q.Retirements):
    """Summary level: professionals per département and age band on the period's last day, and arrivals and
    departures per département and month, from the publication grid; populations (census) as they are."""
    deps = detail.area.departements
    ref = departement_points(session, deps).set_index("code")
    on = filters.period.end
    stock = grid.workforce_stock(session, deps, profession, on)
    old_bands = {b for low, _, b in grid.GRID_AGE_BANDS if low >= 60}
    rows = []
    for d in deps:
        n, old = stock.total(deps={d}), stock.total(deps={d}, categories=old_bands)
        pop = int(ref.loc[d, "population"])
        rows.append({"area_code": d, "area_name": ref.loc[d, "name"], "population": pop, "count": grid.shown(n),
                     "density": round(n.value / pop * q.PER, 2) if pop and not n.small else float("nan"),
                     "aged_60_plus_pct": published_rate(old, n)})
    density = pd.DataFrame(rows, columns=["area_code", "area_name", "population", "count", "density",
                                          "aged_60_plus_pct"])
    shown_bands: dict[str, list[str]] = {}
    for *_, band in grid.GRID_AGE_BANDS:
        shown_bands.setdefault(grid.SHOWN_BAND.get(band, band), []).append(band)
    total = stock.total()
    ages = pd.DataFrame([{"band": shown, "count": grid.shown(cell := stock.total(categories=set(bands))),
                          "share_pct": published_rate(cell, total)} for shown, bands in shown_bands.items()],
                        columns=["band", "count", "share_pct"])
    flow = grid.workforce_flows(session, deps, profession, filters.period)
    frows = []
    for quarter in sorted({k for _, k, _ in flow.cells}, key=lambda t: (t.split()[1], t)):
        a, dep_ = (flow.total(periods={quarter}, categories={k}) for k in ("arrivals", "departures"))
        frows.append({"quarter": quarter, "arrivals": grid.shown(a), "departures": grid.shown(dep_),
                      "net": a.value - dep_.value if not (a.small or dep_.small) else "s"})
    flows = pd.DataFrame(frows, columns=["quarter", "arrivals", "departures", "net"])
    active = total
    retiring = stock.total(categories={b for low, _, b in grid.GRID_AGE_BANDS
                                       if low >= q.RETIREMENT_AGE - q.RETIRE_WITHIN_YEARS})
    departures = flow.total(categories={"departures"})
    population = int(ref["population"].sum())
    per = q.PER / population if population else None
    retire = replace(retire, active=grid.value_or_none(active), retiring=grid.value_or_none(retiring),
                     density_now=active.value * per if per and not active.small else None,
                     density_after=(active.value - retiring.value) * per
                     if per and not (active.small or retiring.small) else None,
                     departures=grid.value_or_none(departures))
    return density, ages, flows, retire


def _flows_series(flows: pd.DataFrame) -> WeeklySeries:
    if flows.empty:
        return WeeklySeries((), ())
    a, d = numeric(flows["arrivals"]), numeric(flows["departures"])
    return WeeklySeries(tuple(flows["quarter"]),
                        (("Installations", tuple(None if v != v else float(v) for v in a)),
                         ("Départs", tuple(None if v != v else float(v) for v in d))),
                        masked=bool(a.isna().any() or d.isna().any()))


def _flows_caption(df: pd.DataFrame, label: str, detail: Detail) -> str:
    if df.empty:
        return "Aucun mouvement pour ce filtre."
    if detail.summary:
        return (f"Installations et départs {de(label.lower())} par trimestre entier (niveau « synthèse » : "
                "trimestres complets, valeurs publiées après perturbation statistique).")
    a, d = numeric(df["arrivals"]), numeric(df["departures"])
    if a.isna().any() or d.isna().any():
        return f"Installations et départs {de(label.lower())} par trimestre ; {SECRET_NOTE.lower()}"
    return (f"{detail.counted(int(a.sum()), 'installation')} et {detail.counted(int(d.sum()), 'départ')} "
            f"{de(label.lower())} sur la période, soit un solde de {fmt_signed(a.sum() - d.sum())}.")


def _map(session: Session, scope: AccessScope, filters: Filters, detail: Detail, density: pd.DataFrame,
         profession: str, scale: str, caption: str) -> MapView:
    if density.empty:
        return MapView(None, (), ((), ()), caption)
    bounds = territory_bounds(session, detail.area.departements)
    dens, counts = numeric(density["density"]), density["count"]
    if detail.summary:  # one polygon per département
        area = AreaLayer(
            level=detail.map_level, codes=tuple(density["area_code"]),
            values=tuple(None if v != v else float(v) for v in dens),
            value_hover="%{z:.1f} pour 10 000 hab. (département)<br>%{customdata} professionnels",
            customdata=tuple(str(c) if isinstance(c, str) else fmt_number(int(c)) for c in counts),
            missing_hover=tuple(f"{c} professionnels (secret statistique)" if isinstance(c, str)
                                else "Sans valeur (aucun habitant)" for c in counts),
            colorbar_title="Pour 10 000 hab.", zmax=float(dens.max()) if dens.notna().any() else None)
        return MapView(area, (), bounds, caption)
    context = map_context(filters, detail)  # a chosen commune among its neighbours
    if context != filters:
        density = q.density(session, scope=scope, filters=context, profession=profession, scale=scale)
    communes = q.density_by_commune(session, scope=scope, filters=context, profession=profession, scale=scale)
    merged = communes.merge(density, on="area_code", how="left")
    mdens = numeric(merged["density"])
    level = "" if scale == "commune" else f" (valeur de l'{'EPCI' if scale == 'epci' else 'ensemble du département'})"
    area = AreaLayer(
        level=detail.map_level, codes=tuple(merged["insee"]), values=tuple(None if v != v else float(v) for v in mdens),
        value_hover=f"%{{z:.1f}} pour 10 000 hab.{level}<br>%{{customdata:,}} professionnels",
        customdata=tuple(0 if c != c else int(c) for c in numeric(merged["count"])),
        missing_hover="Sans valeur (aucun habitant)", colorbar_title="Pour 10 000 hab.",
        zmax=float(mdens.quantile(0.95)) if mdens.notna().any() else None)
    bounds, highlight = focus(session, detail, filters, (tuple(merged["lat"]), tuple(merged["lon"])))
    if highlight:
        caption += f" La commune choisie, {commune_name(session, highlight)}, est entourée."
    return MapView(area, (), bounds, caption, highlight=highlight)
