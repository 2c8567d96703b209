"""Leak detector for `summary`-level answers (DESIGN.md §4): what a Dash response must not carry.

`Detector.from_session(session)` reads, once, what identifies a place or a thing in the database;
`Detector.find_leaks(raw_json_text)` parses one raw `/_dash-update-component` body (or any JSON) and
returns human-readable findings, each with the JSON path of the value, e.g.
``commune code 55029 in response['coverage-map-graph']['figure']['data'][0]['locations'][3]``.
An empty list means: nothing below was found.

What is a leak at `summary` level
---------------------------------
1. **commune code** — a commune INSEE code of the database: a whole JSON string, a JSON integer, a
   dict key, or a token inside a text (not touching a letter, digit, decimal or digit-group
   separator). Département codes ("55") and EPCI SIREN codes (9 digits) are not commune codes.
   One exception: the commune the request itself sent as its filter, echoed as the `commune=`
   parameter of a link (export URLs repeat the page's query) — `find_leaks(raw, sent=[...])`.
2. **names** — a commune, site (EHPAD, health centre, pharmacy…), site code, device serial, device
   model, mobile-unit (vehicle) name or code, or a feed-source name that names sites (a source
   restricted to `site_codes`), found in any string: case-sensitive, whole-name match (the characters
   either side are neither letters/digits nor a hyphen, so "Marne" is not found in "Haute-Marne").
   The longest name wins at a position ("EHPAD de Wassy" is one site name, not also "Wassy").
   `NAME_ALLOWLIST` lists the names that are also ordinary UI words or labels (none so far).
3. **coordinates** — every `lat`/`lon` pair (parallel arrays in map traces, or scalars in a dict)
   that is not a département reference point: the plain mean of the latitudes and longitudes of all
   communes of the département (SQL ``avg(lat), avg(lon) GROUP BY departement_code``), compared
   within 1e-6. The map's framing centre (`layout.<map|mapbox|geo>.center`) may be anything. A
   lone `lat` or `lon` is a leak. Table columns headed Latitude/Longitude are leaks unless each row
   shows a département reference point as the table would format it (one decimal).
   **commune geometry** — any string naming the commune outlines (`/geo/communes.`), as a trace's
   `geojson` or a map layer's `source`: summary maps draw départements.
4. **counts 1–10** — an integer from 1 to 10 that counts people or events (DESIGN.md §4: such a
   count is shown as "< 11" at summary level), or counts the sites, EHPAD, automates or communes
   behind a département figure (the issue asks for these too: "dans 3 EHPAD" next to département
   totals lets one read each EHPAD's activity). It is looked for in five places, and only there:
   a. *text*: an integer 1–10 standing alone — not part of a larger number ("10 000", "1 234"), not
      a decimal ("1,8"), not signed ("+3": a difference), not followed by "%", not part of a date
      or time ("2026-03-30", "30/03", "14:05"), not glued to letters ("1er", "T3") — one of whose
      next two words is a count noun (`COUNT_NOUNS`: séances, consultations, analyses, arrêts,
      patients, habitants, médecins, professionnels, installations, départs, annulés, programmées,
      communes, sites, EHPAD, automates, alertes, événements, refus, étudiants…). The look-ahead
      stops at a unit (km, min, h, ans, mois, semaines, jours, heures…) or a month name, since the
      number then measures a distance, a duration or a date, and at punctuation that ends a phrase
      (; : . · | / = < > ( ) — → and line breaks), since the next words then describe something
      else. A number after "<", "≤", "moins de", "plus de", "au moins", "au plus" is a bound (a
      threshold, the "< 11" label itself), not a count; "3 sites ou départements" counts
      territories (at summary level, départements). So "5 séances", "10 annulés", "2 nouveaux
      patients", "dans 4 EHPAD" are counts; "12 semaines", "à moins de 10 km d'un arrêt", "6,9",
      "1,8 %", "(5 ans)", "de 1 à 10 masqués", "3 véhicules" are not.
   b. *bar and line charts*: in traces of type bar/scatter, integer-valued y values (x for
      horizontal bars) of 1–10 when the value axis title is a count title (below), or, with no
      axis title, the trace name is. Target lines (trace name "Cible …") are targets, not counts;
      0 is not a small count (it is published as 0 at summary level too).
   c. *tables* (`components/panel.table_payload`: a dict with `columns`, `numeric`, `rows` of
      formatted cells): cells "1" … "10" in a numeric column — flagged numeric, or whose cells are
      all numbers, "< 11", "s" or "—" (a column that holds secret labels is sent as text) — whose
      header is a count title. Other cells are text and fall under a. ("9 automates").
   d. *customdata*: integers 1–10 in a trace's `customdata` (or `customdata[k]`) when the
      hovertemplate prints that placeholder as a count (followed by a count noun, as in a.), e.g.
      "%{customdata:,} professionnels", "%{customdata[0]:,} habitants".
   e. *headline cards* (an H2 `kpi-label` next to a P `kpi-value`): an integer 1–10 in the value
      ("3", "3 / 36", "5 étudiants") or after "période précédente :" when the label is a count title.

   A *count title* (axis title, column header, card label, trace name) contains a count noun (or
   "population", "anormaux", "mis à jour") and none of: "%", "pour 10 000"/"pour 1 000"/"pour 100",
   "/ hab", " par ", a unit min/km/h not preceded by a number ("(min)" is a unit of the values,
   "(24 h)" a window), taux, part, délai, durée, moyen(ne), médian(e), densité, accessibilité,
   âge, batterie, solde, latitude, longitude. So "Analyses", "Séances réalisées", "Arrêts",
   "Refusés (24 h)", "Professionnels", "Population", "Nouveaux patients" are count titles;
   "Anormaux (%)", "Pour 10 000 habitants", "Consultations par arrêt", "Prélèvement → résultat
   (min, moyenne)", "Accessibilité (consultations / hab. / an)", "Solde" (a difference, whose
   terms are checked themselves) are not.

   Deliberately **not** counts: rates, percentages, ratios, densities, durations, distances,
   dates, years, ages, thresholds, targets, zoom levels, marker sizes, indexes, and the numbers of
   weeks, periods, indicators, territories, table lines, vehicles or feed sources (the shape of the
   page, public or not about people or events). Choropleth `z` values are not checked (in this
   app they are rates or densities); their `customdata` is (rule d).

Each value is reported once (the first rule that fires, by JSON path), so the number of findings is
the number of leaking values.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Commune, Device, FeedSource, MobileUnit, Site

TOLERANCE = 1e-6

# Names of the database that are also ordinary words or labels of the UI. Calibrated by running the
# detector on every summary response of the demo data (all colleges, all callbacks, random filters)
# and checking each name hit by hand; every entry says where the word comes from.
NAME_ALLOWLIST: dict[str, str] = {
    # no entry needed on the demo data so far: capitalised commune names that are French words
    # ("Avril", "Moyen", "Bourg", "Loges"…) never appear capitalised in the UI texts, département
    # names ("Meuse", "Haute-Marne") are not commune names, and the hyphen boundary keeps
    # "Marne"-like parts of compound names from matching.
}

_WORD = r"[^\W\d_]+"  # letters only (accents included): hyphens and apostrophes split words
COUNT_NOUNS = re.compile(r"""^(?:
    séances? | téléconsultations? | consultations? | analyses? | examens? | prélèvements? | résultats?
  | arrêts? | patients? | habitants? | résidents? | personnes? | usagers?
  | professionnel(?:le)?s? | médecins? | généralistes? | spécialistes? | infirmi(?:er|ère)s? | pharmacien(?:ne)?s?
  | chirurgien(?:ne)?s? | dentistes? | kinésithérapeutes? | masseurs? | sages? | femmes?
  | installations? | installé(?:e)?s? | départs? | boursiers? | étudiants? | adolescents? | utilisateurs?
  | annulé(?:e)?s? | annulations? | programmé(?:e)?s? | réalisé(?:e)?s? | prévu(?:e)?s? | absents? | abouti(?:e)?s?
  | communes? | sites? | ehpad | automates? | alertes?
  | événements? | refus | refusé(?:e)?s? | accepté(?:e)?s? | doublons?
)$""", re.IGNORECASE | re.VERBOSE)
TITLE_ONLY_NOUNS = re.compile(r"^(?:population|anormaux|mis)$", re.IGNORECASE)  # "Mis à jour": updated events
UNITS = re.compile(r"^(?:km|m|min|mn|minutes?|h|heures?|s|secondes?|jours?|semaines?|mois|ans?|années?|hab|fois"
                   r"|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
                   r"|er|e|ème)$", re.IGNORECASE)
NOT_A_COUNT_TITLE = re.compile(
    r"%|pour\s*1[\s\u00a0\u202f]?0|pour\s*100\b|/\s*hab|\spar\s|(?<!\d[\s\u00a0])\b(?:min|km|h)\b|taux|\bpart\b"
    r"|délai|durée|moyen"
    r"|médian|densit|accessibilit|âge|batterie|solde|latitude|longitude", re.IGNORECASE)
STOP = re.compile(r"[;:.·|/=<>()\n—→]")
NUMBER_CELL = re.compile(r"^[−+-]?\d{1,3}(?:[\u202f\u00a0 ]\d{3})*(?:,\d+)?(?:[\u00a0 ]?%)?$")
SECRET_CELLS = {"< 11", "s", "—", ""}
# an integer 1–10 standing alone: not inside a larger number, a decimal, a date, a time or a word
SMALL_INT = re.compile(
    r"(?<![\w.,:/+−\-\u202f\u00a0])(?<![\d][\u202f\u00a0 ])(10|[1-9])"
    r"(?![\w])(?![.,:/\-]\d)(?![\u202f\u00a0 ]\d{3})(?![\u202f\u00a0 ]?%)")
BOUND_BEFORE = re.compile(r"(?:[<≤>≥]|\bmoins de|\bplus de|\bau moins|\bau plus)\s*$", re.IGNORECASE)
INSEE_TOKEN = re.compile(r"(?<![\w.,\u202f\u00a0])(\d[\dAB]\d{3})(?![\w])(?![.,]\d)(?![\u202f\u00a0 ]\d{3})")
TAG = re.compile(r"<br\s*/?>|<[^>]*>", re.IGNORECASE)
CUSTOMDATA_PLACEHOLDER = re.compile(r"%\{customdata(?:\[(\d+)\])?(?::[^}]*)?\}")
GEOMETRY = "/geo/communes."


def _fmt1(value: float) -> str:
    """A coordinate as a table cell shows it (components/panel._cell: one decimal, decimal comma)."""
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")


def _plain(text: str) -> str:
    """Hover/HTML text without tags; a line break ends a phrase."""
    return TAG.sub(lambda m: " | " if m.group(0).lower().startswith("<br") else " ", text)


def _words_after(text: str, limit: int = 2) -> list[str]:
    """The next `limit` words of a phrase; stops at phrase punctuation and after a unit."""
    words: list[str] = []
    for m in re.finditer(rf"{_WORD}|{STOP.pattern}|\d+", text):
        token = m.group(0)
        if STOP.fullmatch(token) or token.isdigit():
            break
        words.append(token)
        if UNITS.match(token) or len(words) == limit:
            break
    return words


TERRITORIES = re.compile(rf"^\s*{_WORD}\s+ou\s+départements", re.IGNORECASE)


def _counted(text_after: str) -> str | None:
    """The count noun among the next two words (None if a unit or punctuation comes first).

    "3 sites ou départements" counts territories (at summary level, départements): not a count.
    """
    if TERRITORIES.match(text_after):
        return None
    for word in _words_after(text_after):
        if UNITS.match(word):
            return None
        if COUNT_NOUNS.match(word):
            return word
    return None


def small_counts_in_text(text: str) -> list[tuple[int, str]]:
    """(value, noun) of each integer 1–10 of `text` counting something (rule a)."""
    plain = _plain(text)
    out = []
    for m in SMALL_INT.finditer(plain):
        if BOUND_BEFORE.search(plain[:m.start()]):
            continue
        noun = _counted(plain[m.end():])
        if noun:
            out.append((int(m.group(1)), noun))
    return out


def is_count_title(title: object) -> bool:
    if not isinstance(title, str) or not title.strip() or NOT_A_COUNT_TITLE.search(title):
        return False
    return any(COUNT_NOUNS.match(w) or TITLE_ONLY_NOUNS.match(w) for w in re.findall(_WORD, title))


def _small_int_value(v: object) -> int | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float) and (math.isnan(v) or not v.is_integer()):
        return None
    return int(v) if 1 <= v <= 10 else None


def _key(k: object) -> str:
    return f"[{k!r}]" if isinstance(k, str) else f"[{k}]"


def _title_text(axis: object) -> str | None:
    if not isinstance(axis, dict):
        return None
    title = axis.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    return title if isinstance(title, str) else None


@dataclass
class Detector:
    communes: dict[str, str]  # INSEE code -> name
    names: dict[str, str]  # name -> kind ("commune name", "site name", …)
    dep_points: dict[str, tuple[float, float]]  # département -> (mean lat, mean lon) of its communes
    allowlist: frozenset[str] = frozenset(NAME_ALLOWLIST)
    _index: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _echoed: frozenset[str] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        index: dict[str, list[str]] = {}
        for name in self.names:
            if name in self.allowlist or not name.strip():
                continue
            first = re.match(r"\w+", name)
            if first:
                index.setdefault(first.group(0), []).append(name)
        for names in index.values():
            names.sort(key=len, reverse=True)
        self._index = index
        self._cells = {(_fmt1(lat), _fmt1(lon)) for lat, lon in self.dep_points.values()}

    @classmethod
    def from_session(cls, session: Session, *, allowlist: frozenset[str] | None = None) -> Detector:
        communes = dict(session.execute(select(Commune.insee, Commune.name)).all())
        names: dict[str, str] = {}

        def add(kind: str, values) -> None:
            for v in values:
                if v and v not in names:
                    names[v] = kind

        # the most specific kinds first: a site named like its commune is reported as a site
        add("device serial", session.scalars(select(Device.serial)))
        add("device model", session.scalars(select(Device.model).distinct()))
        add("site name", session.scalars(select(Site.name)))
        add("site code", session.scalars(select(Site.code)))
        add("vehicle name", session.scalars(select(MobileUnit.name)))
        add("vehicle code", session.scalars(select(MobileUnit.code)))
        sources = session.execute(select(FeedSource.name, FeedSource.site_codes)).all()
        add("source name", [n for n, codes in sources if codes])  # a source scoped to sites names them
        add("commune name", communes.values())
        points = {d: (float(lat), float(lon)) for d, lat, lon in session.execute(
            select(Commune.departement_code, func.avg(Commune.lat), func.avg(Commune.lon))
            .group_by(Commune.departement_code))}
        return cls(communes, names, points, frozenset(NAME_ALLOWLIST) if allowlist is None else allowlist)

    # --- public -------------------------------------------------------------------------------

    def find_leaks(self, raw: str | bytes, *, sent: Iterable[str] = ()) -> list[str]:
        """Findings in one raw JSON response (see the module docstring); [] when clean.

        `sent`: the commune codes the request itself carried (the caller's filter). Echoed back as
        the `commune=` parameter of a link (export URLs repeat the page's query), they tell the
        caller nothing and are not reported; anywhere else they are.
        """
        echoed = frozenset(sent)
        if isinstance(raw, bytes):
            raw = raw.decode()
        if not raw.strip():
            return []
        doc = json.loads(raw)
        if isinstance(doc, dict) and "response" in doc and len(doc) <= 2:
            doc, root = doc["response"], "response"
        else:
            root = "body"
        found: dict[str, str] = {}  # path -> finding (one per value: the first rule that fires)

        def report(path: str, what: str) -> None:
            found.setdefault(path, f"{what} in {path}")

        self._echoed = echoed
        self._walk(doc, root, report)
        return list(found.values())

    def is_reference_point(self, lat: object, lon: object) -> bool:
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lon)):
            return False
        return any(abs(lat - a) <= TOLERANCE and abs(lon - b) <= TOLERANCE for a, b in self.dep_points.values())

    # --- the walk -----------------------------------------------------------------------------

    def _walk(self, value: object, path: str, report) -> None:
        if isinstance(value, dict):
            self._dict_rules(value, path, report)
            for k, v in value.items():
                if isinstance(k, str) and k in self.communes:
                    report(f"{path} (key {k!r})", f"commune code {k} (dict key)")
                self._walk(v, path + _key(k), report)
        elif isinstance(value, list):
            self._card_rules(value, path, report)
            for i, v in enumerate(value):
                self._walk(v, f"{path}[{i}]", report)
        elif isinstance(value, str):
            self._string_rules(value, path, report)
        elif isinstance(value, int) and not isinstance(value, bool) and str(value) in self.communes:
            report(path, f"commune code {value} (number)")

    def _string_rules(self, text: str, path: str, report) -> None:
        for m in INSEE_TOKEN.finditer(text):
            if m.group(1) in self._echoed and text[:m.start()].endswith("commune=") and text.startswith("/"):
                continue
            if m.group(1) in self.communes:
                report(path, f"commune code {m.group(1)}" + ("" if m.group(0) == text else f" in text {text[:80]!r}"))
        for name, kind in self._names_in(text):
            report(path, f"{kind} {name!r}" + ("" if name == text else f" in text {text[:80]!r}"))
        if GEOMETRY in text:
            report(path, f"commune geometry {text!r}")
        for n, noun in small_counts_in_text(text):
            report(path, f"count {n} ({noun}) in text {text[:80]!r}")

    def _names_in(self, text: str) -> Iterator[tuple[str, str]]:
        end = 0
        for m in re.finditer(r"(?<![\w-])\w+", text):
            if m.start() < end:
                continue
            for name in self._index.get(m.group(0), ()):
                stop = m.start() + len(name)
                if text.startswith(name, m.start()) and (stop == len(text) or not (text[stop].isalnum()
                                                                                   or text[stop] in "-_")):
                    yield name, self.names[name]
                    end = stop
                    break

    def _dict_rules(self, d: dict, path: str, report) -> None:
        # coordinates
        if ("lat" in d or "lon" in d) and not (path.endswith("['center']") and "['layout']" in path):
            lat, lon = d.get("lat"), d.get("lon")
            if isinstance(lat, list) and isinstance(lon, list):
                for i, (a, b) in enumerate(zip(lat, lon, strict=False)):
                    if a is not None and b is not None and not self.is_reference_point(a, b):
                        report(f"{path}['lat'][{i}]", f"coordinate ({a}, {b})")
            elif lat is not None and lon is not None and not isinstance(lat, list):
                if not self.is_reference_point(lat, lon):
                    report(f"{path}['lat']", f"coordinate ({lat}, {lon})")
            elif lat is not None or lon is not None:
                key = "lat" if "lat" in d else "lon"
                report(f"{path}[{key!r}]", f"coordinate ({key} without its pair)")
        # figures: bar/line values and customdata counts
        if isinstance(d.get("data"), list) and isinstance(d.get("layout"), dict):
            self._figure_rules(d, path, report)
        # table payloads
        if isinstance(d.get("columns"), list) and isinstance(d.get("rows"), list) and "numeric" in d:
            self._table_rules(d, path, report)

    def _figure_rules(self, fig: dict, path: str, report) -> None:
        layout = fig["layout"]
        for t, trace in enumerate(fig["data"]):
            if not isinstance(trace, dict):
                continue
            tpath = f"{path}['data'][{t}]"
            kind = trace.get("type", "scatter")
            name = trace.get("name") if isinstance(trace.get("name"), str) else ""
            if kind in ("bar", "scatter", "scattergl") and not name.startswith("Cible"):
                horizontal = trace.get("orientation") == "h"
                key = "x" if horizontal else "y"
                title = _title_text(layout.get("xaxis" if horizontal else "yaxis"))
                if is_count_title(title if title else name):
                    for i, v in enumerate(trace.get(key) or []):
                        n = _small_int_value(v)
                        if n is not None:
                            report(f"{tpath}[{key!r}][{i}]", f"count {n} ({title or name}) in chart")
            self._customdata_rule(trace, tpath, report)

    def _customdata_rule(self, trace: dict, tpath: str, report) -> None:
        template, data = trace.get("hovertemplate"), trace.get("customdata")
        if not isinstance(template, str) or not isinstance(data, list):
            return
        plain = _plain(template)
        for m in CUSTOMDATA_PLACEHOLDER.finditer(plain):
            noun = _counted(plain[m.end():])
            if not noun:
                continue
            k = None if m.group(1) is None else int(m.group(1))
            for i, item in enumerate(data):
                v = item if k is None else (item[k] if isinstance(item, list) and len(item) > k else None)
                n = _small_int_value(v)
                if n is not None:
                    where = f"{tpath}['customdata'][{i}]" + ("" if k is None else f"[{k}]")
                    report(where, f"count {n} ({noun}) in customdata")

    def _table_rules(self, table: dict, path: str, report) -> None:
        columns, rows = table["columns"], table["rows"]
        numeric = table.get("numeric") or []
        cells = [[r[c] if isinstance(r, list) and c < len(r) else None for r in rows] for c in range(len(columns))]
        lat_col = next((c for c, h in enumerate(columns) if str(h).lower() in ("latitude", "lat")), None)
        lon_col = next((c for c, h in enumerate(columns) if str(h).lower() in ("longitude", "lon")), None)
        for c, header in enumerate(columns):
            if c in (lat_col, lon_col):
                continue
            flagged = c < len(numeric) and numeric[c]
            looks_numeric = all(isinstance(v, str) and (v.strip() in SECRET_CELLS or NUMBER_CELL.match(v.strip()))
                                for v in cells[c])
            if not (flagged or looks_numeric) or not is_count_title(header):
                continue
            for r, v in enumerate(cells[c]):
                if isinstance(v, str) and re.fullmatch(r"10|[1-9]", v.strip()):
                    report(f"{path}['rows'][{r}][{c}]", f"count {v.strip()} ({header}) in table")
        for col in (lat_col, lon_col):
            if col is None:
                continue
            other = lon_col if col == lat_col else lat_col
            for r, v in enumerate(cells[col]):
                if v in (None, "—", ""):
                    continue
                pair = (v, cells[other][r]) if col == lat_col and other is not None else \
                       (cells[other][r], v) if other is not None else None
                if pair not in self._cells:
                    report(f"{path}['rows'][{r}][{col}]", f"coordinate {v!r} ({columns[col]}) in table")

    def _card_rules(self, items: list, path: str, report) -> None:
        """A headline card: a `kpi-label` H2 and a `kpi-value` P among the same children."""
        label, value, value_at, others = None, None, None, []
        for i, item in enumerate(items):
            props = item.get("props") if isinstance(item, dict) else None
            if not isinstance(props, dict):
                continue
            cls = str(props.get("className") or "")
            text = props.get("children")
            if "kpi-label" in cls and isinstance(text, str):
                label = text
            elif "kpi-value" in cls and isinstance(text, str):
                value, value_at = text, f"{path}[{i}]['props']['children']"
            else:
                others.append((i, props))
        if label is None or value is None or not is_count_title(label):
            return
        for m in SMALL_INT.finditer(value):
            report(value_at, f"count {m.group(1)} ({label}) in headline card")
        for i, props in others:
            for j, part in enumerate(_texts(props.get("children"))):
                m = re.search(r"période précédente\s*:\s*(10|[1-9])(?![\d,\u202f\u00a0])", part)
                if m:
                    report(f"{path}[{i}]['props']['children'] (text {j})",
                           f"count {m.group(1)} ({label}, previous period) in headline card")


def _texts(children) -> Iterator[str]:
    if isinstance(children, str):
        yield children
    elif isinstance(children, list):
        for c in children:
            yield from _texts(c)
    elif isinstance(children, dict):
        yield from _texts((children.get("props") or {}).get("children"))
