"""The one registry of indicators: what every figure, table and map of the dashboard means.

Each entry says, in French, the indicator's name, definition, formula, unit, sources, what changes at
the « synthèse » level, its known limits and the reference it follows. The page views take their card
labels from here (`indicator(key).label(...)`), exports' « Métadonnées » and the « Méthodes » page read
the same entries: text and computation cannot drift apart. Written from the code that computes each
figure (data/queries, data/views, data/coverage.py); no Dash or Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass

from data.coverage import CONSULTATIONS_PER_FTE, DECAY_KM, DEFAULT_THRESHOLD, REACH_KM
from data.evaluation_economy import (
    CO2_SOURCE,
    COST_SOURCE,
    DETOUR_SOURCE,
    LAB_SOURCE,
    MIN_QUARTERS,
    MIN_RESULTS,
)
from data.formatting import fmt_number, guillemets
from data.geography import GEOMETRY_SOURCE, POPULATION_SOURCE, POPULATION_YEAR
from data.impact import MIN_CONTROLS as IMPACT_MIN_CONTROLS
from data.impact import MIN_EHPADS as IMPACT_MIN_EHPADS
from data.impact import MIN_POST as IMPACT_MIN_POST
from data.impact import MIN_PRE as IMPACT_MIN_PRE
from data.queries.programme import INDICATOR_LABELS, PEOPLE_UNITS
from data.queries.quality import DROP_MIN_BASELINE, DROP_SHARE, DROP_WEEKS, QUALITY_DAYS
from data.queries.workforce import RETIRE_WITHIN_YEARS, RETIREMENT_AGE
from data.secrecy import SMALL_LABEL
from data.terminology import BIOLOGY_TESTS, EXPERIMENTS

# --- sources: feed kinds and the API endpoints they arrive through (exports' « Sources » line) -----

SOURCES: dict[str, str] = {
    "teleconsultation": "Téléconsultation : séances déclarées par les sites (API /api/v1/teleconsultation/sessions)",
    "mobile": "Cabinets médicaux mobiles : arrêts et positions des véhicules (API /api/v1/mobile/stops, "
              "/api/v1/mobile/positions)",
    "biology": "Biologie délocalisée : résultats et état des automates en EHPAD (API /api/v1/biology/results, "
               "/api/v1/biology/device-status)",
    "workforce": "Professionnels de santé : extrait du répertoire (API /api/v1/workforce/practitioners, import CSV)",
    "programme": "Indicateurs d'évaluation du programme et bilans mensuels des EHPAD (API "
                 "/api/v1/programme/indicators, /api/v1/programme/ehpad-activity)",
    "coverage": "Couverture : accessibilité calculée à partir des professionnels, des services du programme et "
                "des populations communales",
    "feeds": "Journal d'ingestion des flux : sources, événements reçus et refusés",
    "population": f"{POPULATION_SOURCE}, population municipale millésime {POPULATION_YEAR} ; contours "
                  f"{GEOMETRY_SOURCE}",
}
FEED_KINDS = ("teleconsultation", "mobile", "biology", "workforce", "programme")  # data.models.FeedKind values

DATASET_TITLES = {"overview": "Accueil", "teleconsultation": "Téléconsultation", "mobile": "Cabinets médicaux mobiles",
                  "biology": "Biologie délocalisée", "workforce": "Professionnels de santé",
                  "coverage": "Couverture", "planner": "Couverture — scénarios", "programme": "Programme",
                  "evaluation": "Évaluation", "feeds": "Santé des flux"}

# --- references ------------------------------------------------------------------------------------

SNDS_RULE = (f"Règle du petit effectif du SNDS : aucun effectif de 1 à 10 n'est publié (lu « {SMALL_LABEL} ») "
             "au niveau « synthèse ».")
APL = ("DREES, accessibilité potentielle localisée (APL) aux médecins généralistes : méthode à deux étapes "
       "(2SFCA) avec décroissance par paliers de distance.")
INSEE = f"INSEE, population municipale millésime {POPULATION_YEAR} (populations légales)."

# --- level rules -------------------------------------------------------------------------------------

GRID_COUNT = ("Au niveau « synthèse » : total par département et par mois civil, lu sur la grille de publication "
              f"(chaque effectif de 1 à 10 lu « {SMALL_LABEL} », les autres publiés à ±2 près, toujours de la même "
              "façon) ; aucun site ni commune n'est nommé ; les filtres EPCI et commune ne s'appliquent pas.")
GRID_RATE = ("Au niveau « synthèse » : rapport de deux totaux publiés de la grille (département × mois), jamais "
             "d'un numérateur masqué ; les filtres EPCI et commune ne s'appliquent pas.")
NO_COUNT = ("Au niveau « synthèse » : même calcul sur les départements choisis (ce n'est pas un effectif de "
            "personnes) ; les filtres EPCI et commune ne s'appliquent pas.")
SUPPRESSED = (f"Au niveau « synthèse » : par département ; effectif de 1 à 10 lu « {SMALL_LABEL} », et d'autres "
              "masqués (« s ») quand un total permettrait de le retrouver par soustraction.")
DETAIL_ONLY = "Réservé au niveau « détail » : le planificateur n'est pas ouvert au niveau « synthèse »."
COMPLETENESS_LEVEL = ("Au niveau « synthèse » : par flux et par département, sans automate, site, véhicule ni "
                      "commune nommé ; rapports attendus, reçus, reçus à temps et sources en défaut lus sur la grille "
                      f"de publication (chaque effectif de 1 à 10 lu « {SMALL_LABEL} », les autres publiés à ±2 près, "
                      "toujours de la même façon), totaux et taux calculés sur ces effectifs publiés : la différence "
                      "de deux chiffres ne redonne pas un petit nombre de rapports manquants.")
FEEDS_LEVEL = (f"Au niveau « synthèse » : par flux, sans nom de source ; effectif de 1 à 10 lu « {SMALL_LABEL} ».")

DHIS2 = "DHIS2 : complétude = rapports reçus ÷ rapports attendus ; ponctualité = reçus à temps ÷ attendus."
DECAY_WORDS = " ; ".join(f"{fmt_number(w, 2)} jusqu'à {fmt_number(km)} km" for km, w in DECAY_KM)


@dataclass(frozen=True)
class Indicator:
    """One indicator as documented: the card label, the Méthodes entry and the export's definition line."""

    key: str
    dataset: str  # the page it belongs to (DATASET_TITLES)
    name: str
    definition: str
    formula: str
    unit: str
    sources: tuple[str, ...]  # SOURCES keys
    levels: str
    limits: str = ""
    reference: str = ""
    kind: str = "figure"  # figure (page card) | kpi (overview card) | table | map | chart
    card: str | None = None  # the card's label when it depends on a page control, e.g. « {profession} : … »

    def __post_init__(self) -> None:
        for name in ("name", "definition", "formula", "unit", "levels", "limits", "reference"):
            object.__setattr__(self, name, guillemets(getattr(self, name)))

    @property
    def feeds(self) -> tuple[str, ...]:
        """The feed kinds the indicator draws on (its provenance counts their sources)."""
        return tuple(s for s in self.sources if s in FEED_KINDS)

    @property
    def anchor(self) -> str:
        return f"/methodes#{self.key}"

    @property
    def source_text(self) -> str:
        return " ; ".join(SOURCES[s] for s in self.sources)

    def label(self, **words: str) -> str:
        """The card's label: the name, or the card template filled with the page's words."""
        return self.card.format(**words) if self.card and words else self.name


def _entries(*items: Indicator) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    for item in items:
        assert item.key not in out, item.key
        out[item.key] = item
    return out


TC, MOB, BIO, WF, COV, PROG, FEEDS, POP = ("teleconsultation", "mobile", "biology", "workforce", "coverage",
                                          "programme", "feeds", "population")
TWO_SFCA_LIMITS = (f"Distance à vol d'oiseau entre des points situés dans les communes, et non temps de trajet "
                   f"routier ; population non standardisée par âge ; chaque ETP de médecin généraliste vaut "
                   f"{fmt_number(CONSULTATIONS_PER_FTE)} consultations par an ; médecins de 65 ans et plus exclus "
                   "par défaut (option « avec les 65 ans et plus ») ; communes limitrophes hors territoire (anneau "
                   f"de {fmt_number(REACH_KM)} km) comptées comme demande seulement, leurs médecins n'étant pas dans "
                   "l'extrait.")

INDICATORS: dict[str, Indicator] = _entries(
    # --- overview (KPI cards) ---
    Indicator("teleconsultations", "overview", "Téléconsultations réalisées",
              "Séances de téléconsultation abouties (statut « réalisée ») sur la période, dans les sites des "
              "départements choisis, comparées à la période précédente de même durée.",
              "Σ séances au statut « réalisée », jour ∈ période", "séances", (TC,), GRID_COUNT,
              "Une séance non déclarée par son site n'est pas comptée ; la date est celle du début de séance.",
              SNDS_RULE, kind="kpi"),
    Indicator("poc_tests", "overview", "Analyses de biologie délocalisée",
              "Résultats d'analyses de biologie délocalisée (automates en EHPAD) prélevés sur la période.",
              "Σ résultats reçus, jour de prélèvement ∈ période", "analyses", (BIO,), GRID_COUNT,
              "Seuls les six examens autorisés (codes LOINC de la table des examens) sont acceptés.",
              SNDS_RULE, kind="kpi"),
    Indicator("mobile_consultations", "overview", "Consultations en cabinet mobile",
              "Consultations déclarées lors des arrêts réalisés des cabinets médicaux mobiles sur la période.",
              "Σ consultations des arrêts au statut « réalisé », jour ∈ période", "consultations", (MOB,),
              GRID_COUNT, "Le nombre de consultations est celui déclaré par l'équipe du véhicule à l'arrêt.",
              SNDS_RULE, kind="kpi"),
    Indicator("gp_density", "overview", "Médecins généralistes pour 10 000 habitants",
              "Médecins généralistes en activité au dernier jour de la période, rapportés à la population "
              "municipale des communes choisies.",
              "médecins généralistes actifs au dernier jour ÷ population municipale × 10 000",
              "médecins pour 10 000 habitants", (WF, POP),
              "Au niveau « synthèse » : effectif par département lu sur la grille de publication (effectif de "
              f"1 à 10 lu « {SMALL_LABEL} », densité alors non calculée).",
              "Un médecin compte pour un, quel que soit son temps de travail (ETP) ; la population est celle "
              f"du millésime {POPULATION_YEAR}.", INSEE, kind="kpi"),
    Indicator("accueil-carte", "overview", "Carte : médecins généralistes pour 10 000 habitants",
              "Densité de médecins généralistes en activité au dernier jour de la période, par commune (par "
              "département au niveau « synthèse »).",
              "médecins généralistes actifs de la commune ÷ population municipale × 10 000", "pour 10 000 habitants",
              (WF, POP), "Au niveau « synthèse » : une valeur par département, calculée sur l'effectif de la grille "
              "de publication (le même que la page « Professionnels de santé » et le chiffre clé, publié à ±2 près) ; "
              f"un effectif de 1 à 10 est masqué (« {SMALL_LABEL} »).",
              "Un médecin est compté dans sa commune d'exercice, pas dans celles qu'il dessert.", INSEE, kind="map"),
    # --- teleconsultation ---
    Indicator("tc-completed", TC, "Séances réalisées",
              "Séances de téléconsultation abouties sur la période, avec le nombre de séances programmées "
              "(tous statuts).",
              "Σ séances au statut « réalisée » ; programmées = Σ séances, tous statuts", "séances", (TC,),
              GRID_COUNT, "Une séance est datée de son début ; une séance jamais déclarée n'est pas vue.", SNDS_RULE),
    Indicator("tc-completion", TC, "Taux de réalisation",
              "Part des séances programmées qui ont abouti ; le détail donne la part des échecs techniques, des "
              "patients absents et des annulations.",
              "séances réalisées ÷ séances programmées × 100", "%", (TC,), GRID_RATE,
              "Le statut est celui déclaré par le site.", SNDS_RULE),
    Indicator("tc-median", TC, "Durée médiane d'une séance",
              "Durée médiane des séances réalisées, et part des patients de 75 ans et plus parmi elles.",
              "médiane des durées (minutes) des séances réalisées ; 75 ans et plus ÷ séances réalisées × 100",
              "minutes", (TC,), "Au niveau « synthèse » : la médiane n'est pas un effectif, elle est calculée sur "
              "les départements choisis ; la part des 75 ans et plus vient de la grille de publication.",
              "La durée est celle déclarée par le site, en minutes entières.", SNDS_RULE),
    Indicator("tc-ehpad", TC, "EHPAD avec téléconsultation active",
              "EHPAD ayant eu au moins une séance réalisée sur la période, sur les EHPAD du territoire ; le "
              "détail donne le temps médical apporté par mois pour 100 résidents.",
              "EHPAD avec ≥ 1 séance réalisée ÷ EHPAD du territoire ; heures = minutes réalisées en EHPAD ÷ 60 ÷ "
              "résidents × 100 ÷ mois de la période", "EHPAD", (TC,),
              f"Au niveau « synthèse » : effectifs de 1 à 10 lus « {SMALL_LABEL} » ; aucun EHPAD n'est nommé.",
              "Le nombre de résidents est celui déclaré pour l'établissement (capacité), pas l'occupation du jour.",
              SNDS_RULE),
    Indicator("teleconsultation-hebdo", TC, "Séances réalisées par semaine",
              "Séances réalisées et non abouties chaque semaine (du lundi), par spécialité ; par mois et par "
              "département au niveau « synthèse ».",
              "Σ séances par semaine (ou mois) et par groupe, selon le statut", "séances", (TC,), GRID_COUNT,
              "La dernière semaine peut être incomplète.", SNDS_RULE, kind="table"),
    Indicator("teleconsultation-sites", TC, "Activité par site",
              "Par site (par département au niveau « synthèse ») : séances, réalisées, taux de réalisation et "
              "d'échec technique, temps médical et part des 75 ans et plus.",
              "réalisées ÷ séances × 100 ; échecs techniques ÷ séances × 100 ; minutes réalisées ÷ 60",
              "séances, %, heures", (TC,), GRID_COUNT, "Un site sans séance sur la période n'apparaît pas.",
              SNDS_RULE, kind="table"),
    Indicator("teleconsultation-carte", TC, "Carte des sites de téléconsultation",
              "Chaque site ayant eu des séances, cercle de surface proportionnelle aux séances réalisées ; au "
              "niveau « synthèse », chaque département coloré selon ses séances réalisées.",
              "diamètre = 8 + 34 × √(séances réalisées ÷ maximum) pixels", "séances", (TC,), GRID_COUNT,
              "Le site est placé au point de sa commune, pas à son adresse.", SNDS_RULE, kind="map"),
    # --- mobile ---
    Indicator("mob-stops", MOB, "Arrêts réalisés",
              "Arrêts des cabinets mobiles réalisés, sur les arrêts programmés de la période ; le détail donne les "
              "annulés et ceux prévus à venir.",
              "Σ arrêts au statut « réalisé » / Σ arrêts programmés (tous statuts)", "arrêts", (MOB,), GRID_COUNT,
              "Un arrêt est rattaché à la commune où il a lieu.", SNDS_RULE),
    Indicator("mob-consultations", MOB, "Consultations",
              "Consultations données lors des arrêts réalisés, dont celles de nouveaux patients, et moyenne par "
              "arrêt.", "Σ consultations des arrêts réalisés ; par arrêt = consultations ÷ arrêts réalisés",
              "consultations", (MOB,), GRID_COUNT, "Nombres déclarés par l'équipe du véhicule.", SNDS_RULE),
    Indicator("mob-slots", MOB, "Créneaux utilisés",
              "Part des créneaux offerts lors des arrêts réalisés qui ont donné une consultation.",
              "consultations ÷ créneaux offerts (arrêts réalisés) × 100", "%", (MOB,), GRID_RATE,
              "Créneaux offerts et consultations déclarés par l'équipe du véhicule.", SNDS_RULE),
    Indicator("mob-reach", MOB, "Communes desservies",
              "Communes ayant eu au moins un arrêt réalisé sur la période, leurs habitants, et les habitants à "
              "moins de 10 et 20 km d'une commune desservie.",
              "nombre de communes avec ≥ 1 arrêt réalisé ; habitants = Σ population municipale",
              "communes", (MOB, POP), f"Au niveau « synthèse » : effectif de 1 à 10 lu « {SMALL_LABEL} » ; aucune "
              "commune n'est nommée.", "Distances à vol d'oiseau entre points des communes.", INSEE),
    Indicator("cabinets-mobiles-vehicules", MOB, "Dernière position des véhicules",
              "Dernière position GPS reçue de chaque véhicule, avec son heure (par département au niveau "
              "« synthèse »).", "dernière position reçue par véhicule", "positions", (MOB,),
              "Au niveau « synthèse » : nombre de véhicules par département, sans position ni nom.",
              "Une position non transmise laisse la précédente affichée.", SNDS_RULE, kind="table"),
    Indicator("cabinets-mobiles-tournee", MOB, "Tournée du jour",
              "Arrêts prévus aujourd'hui, avec leur horaire prévu et réel et leur statut.",
              "arrêts du jour, heure de Paris", "arrêts", (MOB,),
              "Au niveau « synthèse » : nombre d'arrêts du jour par département, sans commune ni véhicule.",
              "Le statut suit les déclarations de l'équipe au fil de la journée.", SNDS_RULE, kind="table"),
    Indicator("cabinets-mobiles-hebdo", MOB, "Arrêts par semaine",
              "Arrêts programmés, réalisés et annulés, et consultations, chaque semaine (chaque mois au niveau "
              "« synthèse »).", "Σ arrêts par semaine et par statut ; Σ consultations", "arrêts", (MOB,),
              GRID_COUNT, "La dernière semaine peut être incomplète.", SNDS_RULE, kind="table"),
    Indicator("cabinets-mobiles-communes", MOB, "Communes desservies",
              "Par commune desservie (par département au niveau « synthèse ») : arrêts réalisés, consultations, "
              "nouveaux patients.", "Σ par commune des arrêts réalisés et de leurs consultations", "arrêts",
              (MOB, POP), GRID_COUNT, "Un arrêt compte dans la commune où il a lieu.", SNDS_RULE, kind="table"),
    Indicator("cabinets-mobiles-carte", MOB, "Carte des cabinets mobiles",
              "Communes desservies et position des véhicules au niveau « détail » ; consultations par département "
              "au niveau « synthèse ».", "Σ consultations des arrêts réalisés par commune (ou département)",
              "consultations", (MOB,), GRID_COUNT, "Les positions sont celles du dernier envoi de chaque véhicule.",
              SNDS_RULE, kind="map"),
    # --- biology ---
    Indicator("bio-tests", BIO, "Analyses réalisées",
              "Résultats de biologie délocalisée prélevés sur la période, et nombre d'EHPAD concernés.",
              "Σ résultats, jour de prélèvement ∈ période", "analyses", (BIO,), GRID_COUNT,
              "Seuls les examens de la table des examens (codes LOINC) sont acceptés.", SNDS_RULE),
    Indicator("bio-abnormal", BIO, "Résultats anormaux",
              "Part des résultats hors de l'intervalle de référence (celui envoyé avec le résultat, sinon celui "
              "de la table des examens).", "résultats hors [borne basse ; borne haute] ÷ résultats × 100", "%",
              (BIO,), GRID_RATE, "L'anomalie est recalculée à la réception ; un indicateur contraire envoyé par "
              "l'automate fait refuser le résultat.", "LOINC et intervalles de référence de la table des examens."),
    Indicator("bio-turnaround", BIO, "Délai prélèvement → résultat",
              "Délai moyen entre le prélèvement et le résultat, puis entre le résultat et sa transmission au "
              "laboratoire, et part des résultats transmis.",
              "Σ (résultat − prélèvement) ÷ résultats ; transmis ÷ résultats × 100", "minutes", (BIO,),
              "Au niveau « synthèse » : moyennes des cellules de la grille pondérées par leurs effectifs publiés.",
              "Heures des automates : une horloge déréglée fausse le délai.", SNDS_RULE),
    Indicator("bio-devices", BIO, "Automates en alerte",
              "Automates dont le dernier contrôle qualité a échoué ou qui n'ont envoyé aucun rapport d'état "
              "depuis 48 heures, sur les automates du territoire.",
              "automates (contrôle qualité en échec ou silencieux > 48 h) / automates", "automates", (BIO,),
              f"Au niveau « synthèse » : effectifs de 1 à 10 lus « {SMALL_LABEL} » ; aucun automate n'est nommé.",
              "L'état est lu à l'heure pleine.", SNDS_RULE),
    Indicator("biologie-automates", BIO, "État des automates",
              "Dernier rapport d'état de chaque automate (contrôle qualité, batterie, erreur), les alertes en "
              "premier ; par département au niveau « synthèse ».", "dernier rapport d'état par automate",
              "automates", (BIO,), "Au niveau « synthèse » : nombre d'automates et d'alertes par département.",
              "Un automate silencieux garde son dernier état connu.", SNDS_RULE, kind="table"),
    Indicator("biologie-hebdo", BIO, "Analyses par semaine et par examen",
              "Analyses et résultats anormaux chaque semaine (chaque mois au niveau « synthèse »), par examen.",
              "Σ résultats et Σ anormaux par semaine et par code LOINC", "analyses", (BIO,), GRID_COUNT,
              "La dernière semaine peut être incomplète.", SNDS_RULE, kind="table"),
    Indicator("biologie-sites", BIO, "Analyses par EHPAD et par examen",
              "Par EHPAD (par département au niveau « synthèse ») et par examen : analyses, part anormale, délais "
              "moyens et part transmise.", "anormaux ÷ analyses × 100 ; délais moyens ; transmis ÷ analyses × 100",
              "analyses, %, minutes", (BIO,), GRID_COUNT, "Un EHPAD sans analyse n'apparaît pas.", SNDS_RULE,
              kind="table"),
    # --- workforce ---
    Indicator("wf-share60", WF, "Part des professionnels de 60 ans et plus",
              "Part des professionnels de la profession choisie, en activité au dernier jour de la période, "
              "âgés de 60 ans et plus.", "professionnels de 60 ans et plus ÷ professionnels en activité × 100",
              "%", (WF,), GRID_RATE, "L'âge est calculé sur l'année de naissance seule.", SNDS_RULE,
              card="{profession} : 60 ans et plus"),
    Indicator("wf-density", WF, "Densité pour 10 000 habitants",
              "Professionnels de la profession choisie en activité au dernier jour de la période, rapportés à la "
              "population municipale.", "professionnels en activité ÷ population municipale × 10 000",
              "pour 10 000 habitants", (WF, POP), GRID_COUNT,
              "Un professionnel compte pour un, quel que soit son ETP.", INSEE, card="{profession} pour 10 000 hab."),
    Indicator("wf-retiring", WF, "Départs en retraite attendus (5 ans)",
              f"Professionnels en activité âgés de {RETIREMENT_AGE - RETIRE_WITHIN_YEARS} ans et plus, attendus "
              f"en retraite dans les {RETIRE_WITHIN_YEARS} ans, et densité restante sans remplacement.",
              f"professionnels nés au plus tard en (année de fin − {RETIREMENT_AGE - RETIRE_WITHIN_YEARS}) ; "
              "densité restante = (actifs − départs attendus) ÷ population × 10 000", "professionnels",
              (WF, POP), GRID_COUNT, f"Hypothèse d'un départ à {RETIREMENT_AGE} ans pour tous ; les départs "
              "anticipés ou prolongations ne sont pas connus.", INSEE,
              card=f"{{profession}} : départs en retraite attendus ({RETIRE_WITHIN_YEARS} ans)"),
    Indicator("wf-grants", WF, "Boursiers installés / départs",
              "Étudiants financés par le département et installés sur le territoire (indicateur du programme), "
              "rapprochés des départs de la profession sur la période.",
              "boursiers installés (dernière valeur du programme) / Σ fins d'activité sur la période",
              "personnes", (WF, PROG), GRID_COUNT,
              "Les boursiers viennent des indicateurs du programme : visibles seulement avec ce jeu de données.",
              SNDS_RULE, card="Boursiers installés / départs ({who})"),
    Indicator("professionnels-densite", WF, "Densité pour 10 000 habitants",
              "Par territoire (commune, EPCI ou département) : population, professionnels en activité, densité "
              "et part des 60 ans et plus.", "professionnels ÷ population municipale × 10 000", "pour 10 000 habitants",
              (WF, POP), "Au niveau « synthèse » : par département seulement, effectifs lus sur la grille.",
              "Densité très instable dans les petites communes.", INSEE, kind="table"),
    Indicator("professionnels-ages", WF, "Pyramide des âges",
              "Professionnels en activité au dernier jour de la période, par tranche d'âge.",
              "Σ professionnels par tranche d'âge ; part = tranche ÷ total × 100", "professionnels", (WF,),
              GRID_COUNT, "Âge calculé sur l'année de naissance.", SNDS_RULE, kind="table"),
    Indicator("professionnels-flux", WF, "Installations et départs",
              "Débuts et fins d'activité par trimestre, et leur solde.", "solde = installations − départs",
              "professionnels", (WF,), GRID_COUNT, "Dates d'activité telles que déclarées au répertoire.",
              SNDS_RULE, kind="table"),
    Indicator("professionnels-carte", WF, "Carte de densité des professionnels",
              "Densité de la profession choisie pour 10 000 habitants à l'échelle choisie (par département au "
              "niveau « synthèse »).", "professionnels ÷ population municipale × 10 000", "pour 10 000 habitants",
              (WF, POP), "Au niveau « synthèse » : départements seulement.",
              "Un professionnel est compté dans sa commune d'exercice.", INSEE, kind="map"),
    # --- coverage ---
    Indicator("cov-mean", COV, "Accessibilité moyenne",
              "Accessibilité potentielle aux médecins généralistes, en consultations par habitant et par an, "
              "moyenne des communes pondérée par leur population.",
              "A_i = Σ_j w(d_ij) · S_j ÷ Σ_k w(d_jk) · P_k ; moyenne = Σ A_i · P_i ÷ Σ P_i ; "
              f"S_j = ETP × {fmt_number(CONSULTATIONS_PER_FTE)} ; w : {DECAY_WORDS}, 0 au-delà",
              "consultations par habitant et par an", (WF, POP), NO_COUNT, TWO_SFCA_LIMITS, APL),
    Indicator("cov-under", COV, "Communes sous le seuil",
              "Communes habitées dont l'accessibilité est sous le seuil (consultations par habitant et par an).",
              f"nombre de communes habitées avec A_i < seuil (par défaut {fmt_number(DEFAULT_THRESHOLD, 1)})",
              "communes", (WF, POP), SUPPRESSED, TWO_SFCA_LIMITS, APL),
    Indicator("cov-under-pop", COV, "Habitants sous le seuil",
              "Habitants des communes sous le seuil, et leur part de la population.",
              "Σ P_i des communes avec A_i < seuil ; part = ce total ÷ Σ P_i × 100", "habitants", (WF, POP), SUPPRESSED,
              TWO_SFCA_LIMITS, f"{APL} {INSEE}"),
    Indicator("cov-zero", COV, "Communes sans médecin à moins de 20 km",
              f"Communes habitées d'accessibilité nulle : aucune offre de médecin généraliste dans l'aire de "
              f"{fmt_number(REACH_KM)} km.", "nombre de communes habitées avec A_i = 0", "communes", (WF, POP),
              SUPPRESSED, TWO_SFCA_LIMITS, APL),
    Indicator("couverture-sous-dotees", COV, "Communes sous le seuil",
              "Liste de travail des communes sous le seuil, avec le médecin généraliste et le service du "
              "programme les plus proches (par département au niveau « synthèse »).",
              "communes avec A_i < seuil ; distances à vol d'oiseau au plus proche", "communes",
              (WF, TC, MOB, BIO, POP),
              SUPPRESSED, TWO_SFCA_LIMITS, APL, kind="table"),
    Indicator("couverture-sous-dotees-epci", COV, "Sous le seuil, par EPCI",
              "Par EPCI : communes et habitants sous le seuil, leur part et l'accessibilité moyenne.",
              "Σ par EPCI ; part = habitants sous le seuil ÷ population × 100 ; moyenne pondérée par la population",
              "communes, habitants", (WF, POP), "Réservé au niveau « détail ».", TWO_SFCA_LIMITS, APL, kind="table"),
    Indicator("couverture-carte", COV, "Carte de l'accessibilité",
              "Accessibilité de chaque commune (moyenne par département au niveau « synthèse ») et, au niveau "
              "« détail », les lieux des services du programme.", "A_i, consultations par habitant et par an",
              "consultations par habitant et par an", (WF, TC, MOB, BIO, POP),
              "Au niveau « synthèse » : moyenne pondérée par département, sans lieu de service.", TWO_SFCA_LIMITS,
              APL, kind="map"),
    # --- planner ---
    Indicator("plan-under", "planner", "Communes sous le seuil",
              "Communes sous le seuil avant → après le scénario (ajouts ou retraits d'offre).",
              "nombre de communes avec A_i < seuil, avant puis après", "communes", (WF, POP), DETAIL_ONLY,
              TWO_SFCA_LIMITS, APL),
    Indicator("plan-under-pop", "planner", "Habitants sous le seuil",
              "Habitants des communes sous le seuil avant → après le scénario.",
              "Σ P_i des communes avec A_i < seuil, avant puis après", "habitants", (WF, POP), DETAIL_ONLY,
              TWO_SFCA_LIMITS, APL),
    Indicator("plan-lifted", "planner", "Habitants portés au-dessus du seuil",
              "Habitants des communes qui passent au-dessus du seuil avec le scénario (et ceux qui passent "
              "dessous).", "Σ P_i des communes sous le seuil avant et au-dessus après", "habitants", (WF, POP),
              DETAIL_ONLY, TWO_SFCA_LIMITS, APL),
    Indicator("plan-mean", "planner", "Accessibilité moyenne",
              "Accessibilité moyenne pondérée par la population, avant → après le scénario.",
              "Σ A_i · P_i ÷ Σ P_i, avant puis après", "consultations par habitant et par an", (WF, POP), DETAIL_ONLY,
              TWO_SFCA_LIMITS, APL),
    Indicator("couverture-scenario", "planner", "Scénario — accessibilité avant / après par commune",
              "Communes dont l'accessibilité change avec le scénario, la plus grande hausse d'abord.",
              "Δ = A_i après − A_i avant", "consultations par habitant et par an", (WF, POP), DETAIL_ONLY,
              TWO_SFCA_LIMITS, APL, kind="table"),
    Indicator("couverture-scenario-epci", "planner", "Scénario — effet par EPCI",
              "Par EPCI : habitants sous le seuil avant et après, portés au-dessus, passés dessous, accessibilité "
              "moyenne.", "Σ par EPCI des habitants concernés ; moyennes pondérées par la population", "habitants",
              (WF, POP), DETAIL_ONLY, TWO_SFCA_LIMITS, APL, kind="table"),
    Indicator("couverture-scenario-carte", "planner", "Carte du scénario",
              "Variation de l'accessibilité de chaque commune avec le scénario.", "Δ = A_i après − A_i avant",
              "consultations par habitant et par an", (WF, POP), DETAIL_ONLY, TWO_SFCA_LIMITS, APL, kind="map"),
    # --- programme ---
    Indicator("prog-indicateur", PROG, "Indicateur d'expérimentation",
              "Valeur d'un indicateur d'évaluation d'une expérimentation du programme, pour un territoire et une "
              "période, comparée à sa cible.", "dernière valeur déclarée de la période ; atteinte si valeur ≥ cible "
              "(objectif de hausse) ou ≤ cible (objectif de baisse)", "selon l'indicateur", (PROG,),
              f"Au niveau « synthèse » : par département ; un effectif de personnes de 1 à 10 lu « {SMALL_LABEL} ».",
              "Valeurs calculées et déclarées par chaque expérimentation, non recalculées ici.", SNDS_RULE,
              card="{indicator_name} — {territory}"),
    Indicator("programme-indicateurs", PROG, "Indicateurs des expérimentations",
              "Toutes les valeurs des indicateurs de l'expérimentation choisie, par territoire et période, avec "
              "leur cible.", "valeur déclarée ; cible atteinte selon l'objectif (hausse ou baisse)",
              "selon l'indicateur", (PROG,), f"Au niveau « synthèse » : départements seulement ; effectifs de "
              f"personnes de 1 à 10 lus « {SMALL_LABEL} ».", "Valeurs déclarées, non recalculées.", SNDS_RULE,
              kind="table"),
    Indicator("programme-graphique", PROG, "Indicateurs au fil des périodes",
              "Une courbe par territoire (et indicateur) au fil des périodes, avec sa cible en pointillés.",
              "valeur déclarée par période", "selon l'indicateur", (PROG,),
              "Au niveau « synthèse » : départements seulement.", "Valeurs déclarées, non recalculées.", SNDS_RULE,
              kind="chart"),
    # --- feeds ---
    Indicator("feeds-sources", FEEDS, "Sources déclarées",
              "Émetteurs de flux déclarés (une clé d'API par source), quel que soit l'état de leur clé.",
              "nombre de sources déclarées",
              "sources", (FEEDS,), FEEDS_LEVEL, "Une source sans clé ou à clé révoquée compte aussi.", ""),
    Indicator("feeds-silent", FEEDS, "Sources silencieuses",
              "Sources dont aucun événement n'a été reçu depuis plus de 24 heures.",
              "nombre de sources avec maintenant − dernier envoi > 24 h", "sources", (FEEDS,), FEEDS_LEVEL,
              "Une source qui n'envoie que la nuit paraît silencieuse le jour.", ""),
    Indicator("feeds-hour", FEEDS, "Événements (dernière heure)",
              "Événements livrés par toutes les sources depuis le début de l'heure précédente : acceptés, mis à "
              "jour, doublons et refusés.",
              "Σ (acceptés + mis à jour + doublons + refusés), heure ≥ heure pleine précédente", "événements",
              (FEEDS,), FEEDS_LEVEL,
              "Un doublon (même identifiant d'événement) est compté comme livré, sans rien changer aux données.", ""),
    Indicator("feeds-rejects", FEEDS, "Refus (7 jours)",
              "Éléments refusés par l'API sur les 7 derniers jours, conservés tels quels avec leur motif.",
              "nombre de refus enregistrés, reçus depuis 7 jours", "refus", (FEEDS,), FEEDS_LEVEL,
              "Un même événement renvoyé et refusé deux fois compte deux fois.", ""),
    Indicator("flux-sources", FEEDS, "Santé des flux par source",
              "Chaque source : état de sa clé, dernier envoi, événements de la dernière heure, débit moyen, refus "
              "sur 24 heures et leurs motifs (par flux au niveau « synthèse »).",
              "débit = événements des 24 dernières heures ÷ 24", "événements", (FEEDS,), FEEDS_LEVEL,
              "Heures en heure de Paris.", "", kind="table"),
    Indicator("flux-horaire", FEEDS, "Événements reçus par heure",
              "Événements reçus et refusés par heure et par flux sur 48 heures (par jour au niveau « synthèse »).",
              "Σ acceptés + mis à jour + doublons par heure ; Σ refusés", "événements", (FEEDS,), FEEDS_LEVEL,
              "L'heure en cours est incomplète.", "", kind="table"),
    Indicator("flux-refus", FEEDS, "Refus par motif (7 jours)",
              "Refus des 7 derniers jours par flux, motif et champ en cause.", "Σ refus par motif", "refus",
              (FEEDS,), FEEDS_LEVEL, "Motifs en français ; le code d'origine reste dans le journal.", "", kind="table"),
    Indicator("feeds-complete-biology", FEEDS, "Complétude des rapports d'automates",
              "Rapports d'état quotidiens reçus des automates sur les 7 derniers jours complets, sur ceux attendus "
              "(un par jour depuis la mise en service) ; le détail donne la ponctualité (reçu avant minuit, heure "
              "de Paris).", "rapports reçus ÷ rapports attendus × 100 ; à temps ÷ attendus × 100", "%", (BIO, FEEDS),
              COMPLETENESS_LEVEL, "La mise en service est la date du premier rapport d'état reçu.", DHIS2),
    Indicator("feeds-complete-teleconsultation", FEEDS, "Complétude des séances de téléconsultation",
              "Séances déclarées sur les 7 derniers jours complets, sur celles attendues ; à temps si déclarée dans "
              "l'heure qui suit sa fin ; un site équipé silencieux doit le quart de ses séances des 28 jours "
              "précédents (au moins 1).", "séances reçues ÷ séances attendues × 100 ; à temps ÷ attendues × 100",
              "%", (TC, FEEDS), COMPLETENESS_LEVEL,
              "Les séances attendues d'un site silencieux sont estimées d'après son activité habituelle.", DHIS2),
    Indicator("feeds-complete-mobile", FEEDS, "Complétude des confirmations d'arrêts",
              "Arrêts programmés des 7 derniers jours complets confirmés (réalisés ou annulés), sur les arrêts "
              "programmés ; à temps si confirmés avant la fin de leur journée.",
              "arrêts confirmés ÷ arrêts programmés × 100 ; à temps ÷ programmés × 100", "%", (MOB, FEEDS),
              COMPLETENESS_LEVEL, "La première confirmation d'un arrêt fait foi.", DHIS2),
    Indicator("flux-completude", FEEDS, "Complétude et ponctualité des rapports par département",
              "Par flux et par département : rapports attendus, reçus, reçus à temps, complétude et ponctualité "
              "sur les 7 derniers jours complets.", "reçus ÷ attendus × 100 ; à temps ÷ attendus × 100",
              "rapports, %", (BIO, TC, MOB, FEEDS), COMPLETENESS_LEVEL, "", DHIS2, kind="table"),
    Indicator("flux-completude-detail", FEEDS, "Complétude et ponctualité par automate, site et véhicule",
              "Par automate, site et véhicule : rapports attendus, reçus, reçus à temps, les moins complets en tête.",
              "reçus ÷ attendus × 100 ; à temps ÷ attendus × 100", "rapports, %", (BIO, TC, MOB, FEEDS),
              "Réservé au niveau « détail » : chaque ligne nomme un automate, un site ou un véhicule.", "",
              DHIS2, kind="table"),
    Indicator("flux-manquants", FEEDS, "Rapports manquants",
              "Automates sans rapport certains jours, sites équipés silencieux, arrêts restés « prévus » après leur "
              "date (nombre par flux et par département au niveau « synthèse »).", "attendus − reçus, par source",
              "sources en défaut", (BIO, TC, MOB, FEEDS), COMPLETENESS_LEVEL, "", DHIS2, kind="table"),
    Indicator("flux-qualite", FEEDS, "Qualité des données par source (7 jours)",
              f"Par source (par flux au niveau « synthèse ») : part des événements des {QUALITY_DAYS} derniers "
              "jours ni refusés ni signalés, événements, refusés, signalés, et baisse soudaine du volume d'hier.",
              "score = (acceptés + mis à jour − signalés) ÷ (acceptés + mis à jour + refusés) × 100, doublons "
              f"exclus ; baisse soudaine : hier < {fmt_number(DROP_SHARE * 100)}\u00a0% de la moyenne du même jour "
              f"de la semaine sur les {DROP_WEEKS} semaines précédentes", "%", (FEEDS,),
              f"Au niveau « synthèse » : par flux, sans nom de source ; effectif de 1 à 10 lu « {SMALL_LABEL} » et "
              "score alors donné comme borne basse (« ≥ … »).",
              f"Baisse soudaine évaluée seulement si la moyenne de référence atteint {DROP_MIN_BASELINE} "
              "événements (sinon « historique insuffisant ») ; un événement signalé est conservé.", "",
              kind="table"),
    Indicator("flux-signalements", FEEDS, "Signalements par contrôle (7 jours)",
              "Événements acceptés mais signalés, par flux et par contrôle : valeur de biologie hors des limites "
              "physiologiques de son examen, même professionnel (RPPS haché) reçu dans deux communes.",
              f"Σ signalements par flux et contrôle sur {QUALITY_DAYS} jours", "signalements", (FEEDS,),
              FEEDS_LEVEL, "Un signalement n'est pas une erreur certaine : la valeur peut être vraie.", "",
              kind="table"),
    Indicator("flux-signalements-recents", FEEDS, "Derniers événements signalés",
              "Les derniers événements signalés, du plus récent au plus ancien, avec le contrôle, la valeur, la "
              "source et le motif.", "les 20 derniers signalements", "événements", (FEEDS,),
              "Réservé au niveau « détail » : ces lignes nomment leur source.",
              "L'événement reste enregistré tel qu'il a été reçu.", "", kind="table"),
)

# --- évaluation (/evaluation): impact estimates ---------------------------------------------------------

EVAL = "evaluation"
EVAL_ESTIMATE_LEVEL = (f"Au niveau « synthèse » : estimations pour l'ensemble des départements choisis et pour "
                       f"chacun, sans EHPAD nommé ; nombre d'EHPAD de 1 à 10 lu « {SMALL_LABEL} » ; aucun nombre "
                       "d'événements publié ; les filtres EPCI et commune ne s'appliquent pas. Au niveau « détail » : "
                       "mêmes estimations sur les EHPAD de la sélection (EPCI, commune).")
EVAL_ITS_FORMULA = ("log E[y_it] = log(résidents_it) + α_i + β_i·t + saison(mois) + δ·après_it (Poisson) ; "
                    "variation = exp(δ) − 1 ; IC 95 % = exp(δ ± t(0,975 ; G − 1) × ET robuste par EHPAD) − 1")
EVAL_DID_FORMULA = ("empilement par cohorte g (mois de la 1re séance) : EHPAD de g contre EHPAD non équipés ou équipés "
                    "après la fenêtre [g − 12, g + 11] ; log E[y] = log(résidents) + effet pile × groupe + effet pile "
                    "× mois + δ·(équipé × après) ; variation = exp(δ) − 1")
EVAL_LIMITS = ("Données déclarées par les EHPAD (bilans mensuels), non vérifiées par le programme ; le mois de la "
               "première téléconsultation compte dans l'« après » ; un EHPAD entre dans une estimation s'il est "
               f"observé au moins {IMPACT_MIN_PRE} mois avant et {IMPACT_MIN_POST} mois après, et une estimation "
               f"demande au moins {IMPACT_MIN_EHPADS} EHPAD équipés (et {IMPACT_MIN_CONTROLS} de comparaison pour la "
               "différence de différences), sinon une phrase remplace le chiffre ; l'effet estimé est celui d'être "
               "équipé (intention de traiter), quel que soit le nombre de séances ; un autre changement survenu le "
               "même mois dans l'EHPAD serait confondu avec la téléconsultation.")
EVAL_REFERENCE = ("Bernal, Cummins & Gasparrini (2017), « Interrupted time series regression for the evaluation of "
                  "public health interventions », Int J Epidemiol ; Cengiz, Dube, Lindner & Zipperer (2019) et Baker, "
                  "Larcker & Wang (2022) pour la différence de différences empilée ; Goodman-Bacon (2021) sur le biais "
                  "des effets fixes à deux dimensions avec adoption échelonnée ; statsmodels (GLM).")
ITS_DEFINITION = ("Variation relative du taux {what} pour 100 résidents après la première téléconsultation de "
                  "chaque EHPAD, estimée par série temporelle interrompue : régression segmentée de Poisson sur les "
                  "bilans mensuels, chaque EHPAD avec son niveau et sa propre tendance antérieure, saisonnalité "
                  "mensuelle commune (à partir de 24 mois), changement de niveau au mois de la première séance.")
DID_DEFINITION = ("Variation relative du taux {what} pour 100 résidents des EHPAD équipés par rapport aux EHPAD pas "
                  "encore équipés, par différence de différences avec adoption échelonnée (empilée : un EHPAD déjà "
                  "équipé ne sert jamais de comparaison).")


def _evaluation_entries() -> tuple[Indicator, ...]:
    out = []
    for outcome, what in (("transfers", "de transferts aux urgences"), ("referrals", "d'orientations vers l'hôpital")):
        label = "Transferts aux urgences" if outcome == "transfers" else "Orientations vers l'hôpital"
        out += [
            Indicator(f"eval-ehpad-{outcome}-its", EVAL, f"{label} après la 1re téléconsultation (série interrompue)",
                      ITS_DEFINITION.format(what=what), EVAL_ITS_FORMULA, "% de variation", (PROG, TC),
                      EVAL_ESTIMATE_LEVEL, EVAL_LIMITS + " Série interrompue : la tendance antérieure de chaque EHPAD "
                      "est prolongée ; sans groupe de comparaison, un choc commun à tous au même moment serait "
                      "attribué à la téléconsultation.", EVAL_REFERENCE),
            Indicator(f"eval-ehpad-{outcome}-did", EVAL, f"{label} : équipés contre pas encore équipés",
                      DID_DEFINITION.format(what=what), EVAL_DID_FORMULA, "% de variation", (PROG, TC),
                      EVAL_ESTIMATE_LEVEL, EVAL_LIMITS + " Différence de différences : suppose que, sans "
                      "téléconsultation, les taux des EHPAD équipés auraient évolué comme ceux des EHPAD de "
                      "comparaison (tendances parallèles, en rapport) ; erreurs robustes par EHPAD, intervalle de "
                      "Student (autant de degrés de liberté que d'EHPAD, moins un).", EVAL_REFERENCE),
        ]
    out += [
        Indicator("evaluation-ehpad-estimations", EVAL, "Téléconsultation en EHPAD : estimations d'impact",
                  "Pour les transferts aux urgences et les orientations vers l'hôpital, l'estimation par série "
                  "temporelle interrompue et par différence de différences, pour la sélection et chaque département : "
                  "variation relative, intervalle de confiance à 95 %, EHPAD, mois et EHPAD-mois derrière elle, ou "
                  "la raison de son absence.", f"{EVAL_ITS_FORMULA} ; {EVAL_DID_FORMULA}", "%", (PROG, TC),
                  EVAL_ESTIMATE_LEVEL, EVAL_LIMITS, EVAL_REFERENCE, kind="table"),
        Indicator("evaluation-ehpad-temps-relatif", EVAL, "Taux autour de la première téléconsultation",
                  "Taux observés de transferts aux urgences et d'orientations pour 100 résidents des EHPAD équipés, "
                  "par mois relatif à leur première téléconsultation (−12 à +11), avec un intervalle à 95 %.",
                  "Σ événements ÷ Σ résidents-mois × 100 par mois relatif ; intervalle exact de Poisson (χ²)",
                  "pour 100 résidents", (PROG, TC),
                  "Au niveau « synthèse » : un point reposant sur moins de 11 EHPAD ou 11 événements n'est pas "
                  f"publié ; nombre d'EHPAD de 1 à 10 lu « {SMALL_LABEL} » ; ni événements ni résidents-mois publiés.",
                  "Taux bruts : ni la tendance ni la saison ne sont retirées, et les EHPAD présents changent d'un mois "
                  "relatif à l'autre (adoption échelonnée).", EVAL_REFERENCE, kind="table"),
        Indicator("evaluation-ehpad-par-ehpad", EVAL, "Estimations par EHPAD",
                  "Pour chaque EHPAD équipé : mois observés avant et après sa première téléconsultation, taux avant et "
                  "après, variation estimée par sa propre série temporelle interrompue et son intervalle à 95 %.",
                  "log E[y_t] = log(résidents_t) + a + b·t + c·cos + d·sin + δ·après_t (quasi-Poisson) ; "
                  "variation = exp(δ) − 1", "%", (PROG, TC),
                  "Réservé au niveau « détail » : chaque ligne nomme un EHPAD.",
                  "Une série d'un seul EHPAD compte peu d'événements par mois : intervalles larges ; " + EVAL_LIMITS,
                  EVAL_REFERENCE, kind="table"),
        Indicator("evaluation-ehpad-series", EVAL, "Séries mensuelles par EHPAD",
                  "Bilans mensuels de chaque EHPAD : résidents, transferts aux urgences, orientations vers l'hôpital, "
                  "taux de transferts pour 100 résidents, et si le mois suit sa première téléconsultation.",
                  "transferts ÷ résidents × 100", "pour 100 résidents", (PROG, TC),
                  "Réservé au niveau « détail » : chaque ligne nomme un EHPAD.",
                  "Valeurs déclarées par l'EHPAD ; de plusieurs bilans d'un même mois, le dernier reçu compte.", "",
                  kind="table"),
    ]
    return tuple(out)


INDICATORS.update({e.key: e for e in _evaluation_entries()})

PROGRAMME_GENERIC = "prog-indicateur"


def programme_indicator_key(code: str) -> str:
    """Registry key of a programme indicator code (the generic entry for a code the registry does not know)."""
    return f"prog-{code}" if f"prog-{code}" in INDICATORS else PROGRAMME_GENERIC


def _programme_entries() -> dict[str, Indicator]:
    """One entry per known programme indicator, from the generic one (same rules, its own name)."""
    from dataclasses import replace

    generic = INDICATORS[PROGRAMME_GENERIC]
    people = ", ".join(PEOPLE_UNITS)
    return {f"prog-{code}": replace(generic, key=f"prog-{code}", name=label,
                                    definition=generic.definition,  # its name is the entry's title
                                    limits=f"{generic.limits} Effectifs de personnes (secret) : unités {people}.")
            for code, label in INDICATOR_LABELS.items()}


INDICATORS.update(_programme_entries())

# --- « Évaluation »: trips avoided, point-of-care turnaround, GP density and the study grants -------------

EVAL_LEVEL = ("Section montrée au niveau le plus strict entre le jeu « programme » et sa source. Au niveau "
              "« synthèse » : par département, effectifs lus sur la grille de publication (chaque effectif de 1 à 10 "
              f"lu « {SMALL_LABEL} », les autres à ±2 près), aucune commune, aucun site ni EHPAD nommé.")
TRIP_RULE = ("une téléconsultation réalisée ou une consultation en cabinet mobile = un aller-retour du patient "
             "évité, depuis sa commune (téléconsultation : commune du patient ; cabinet mobile : commune de l'arrêt) "
             "jusqu'au lieu de soins le plus proche : commune d'un médecin généraliste en activité à la fin de la "
             "période, ou hôpital de référence (site de type « hôpital ») s'il est plus proche.")
TRIP_LIMITS = ("Distance à vol d'oiseau entre les points des communes, multipliée par un facteur de détour (pas de "
               "réseau routier) ; 0 km quand un généraliste exerce dans la commune même ; hypothèse que chaque "
               "consultation aurait donné lieu à un trajet en voiture particulière, seul, vers le lieu le plus proche "
               "(une téléconsultation de spécialité aurait souvent demandé un trajet plus long : borne basse) ; les "
               "kilomètres du cabinet mobile lui-même ne sont pas déduits ; au niveau « synthèse », les séances sont "
               "comptées au département du site et l'aller-retour moyen est celui des communes du département. "
               + DETOUR_SOURCE)
EVAL_ENTRIES = _entries(
    Indicator("eval-trips", EVAL, "Trajets de patients évités",
              "Téléconsultations réalisées et consultations en cabinet médical mobile sur la période : " + TRIP_RULE,
              "Σ téléconsultations réalisées (par commune du patient) + Σ consultations aux arrêts réalisés",
              "trajets (allers-retours)", (TC, MOB), EVAL_LEVEL, TRIP_LIMITS, SNDS_RULE),
    Indicator("eval-km", EVAL, "Kilomètres évités",
              "Kilomètres que les patients n'ont pas parcourus : " + TRIP_RULE,
              "Σ communes trajets × 2 × distance à vol d'oiseau au lieu de soins le plus proche × facteur de détour "
              "(EVALUATION_DETOUR_FACTOR)", "km", (TC, MOB, WF, POP), EVAL_LEVEL, TRIP_LIMITS, DETOUR_SOURCE),
    Indicator("eval-co2", EVAL, "CO₂ évité",
              "Émissions de gaz à effet de serre des kilomètres évités, en voiture particulière thermique.",
              "kilomètres évités × facteur d'émission (EVALUATION_CO2_KG_PER_KM, kgCO₂e/km)", "kg ou t de CO₂e",
              (TC, MOB, WF, POP), EVAL_LEVEL, TRIP_LIMITS + " Facteur moyen d'une voiture thermique, sans "
              "covoiturage ni motorisation réelle des patients.", CO2_SOURCE),
    Indicator("eval-cost", EVAL, "Coût de transport évité",
              "Coût des kilomètres évités au tarif kilométrique retenu.",
              "kilomètres évités × tarif par km (EVALUATION_COST_EUR_PER_KM)", "€", (TC, MOB, WF, POP), EVAL_LEVEL,
              TRIP_LIMITS + " Ni taxi, ni VSL, ni ambulance : un transport sanitaire coûte bien plus (le chiffre "
              "est une borne basse pour les résidents d'EHPAD) ; temps de trajet et d'attente non valorisés.",
              COST_SOURCE),
    Indicator("evaluation-trajets", EVAL, "Trajets, kilomètres, CO₂ et coût évités",
              "Par commune (niveau « détail ») ou par département (« synthèse ») : téléconsultations, consultations "
              "en cabinet mobile, trajets évités, distance au lieu de soins le plus proche, kilomètres, CO₂ et coût "
              "évités.", "voir « Kilomètres évités », « CO₂ évité », « Coût de transport évité »", "trajets, km, kg, €",
              (TC, MOB, WF, POP), EVAL_LEVEL, TRIP_LIMITS, CO2_SOURCE, kind="table"),
    Indicator("eval-poc-median", EVAL, "Délai prélèvement → résultat (biologie délocalisée)",
              "Médiane et 90e centile du délai entre le prélèvement et le résultat des automates de biologie "
              "délocalisée en EHPAD sur la période.",
              "médiane et 90e centile de (résultat − prélèvement), en minutes entières, sur tous les résultats",
              "minutes", (BIO,), EVAL_LEVEL + f" Non montré sous {MIN_RESULTS} résultats.",
              "Délai de l'automate seulement : le temps d'attente avant le prélèvement n'est pas connu.", ""),
    Indicator("eval-poc-gain", EVAL, "Gain de délai sur la voie du laboratoire",
              "Différence entre le délai de la voie du laboratoire (réglage) et le délai médian de la biologie "
              "délocalisée.", "EVALUATION_LAB_TURNAROUND_HOURS − médiane (prélèvement → résultat)", "heures",
              (BIO,), EVAL_LEVEL, "La voie du laboratoire est une hypothèse, non une mesure. " + LAB_SOURCE,
              LAB_SOURCE),
    Indicator("eval-poc-transfers", EVAL, "Transferts évités après un résultat anormal",
              "Transferts hospitaliers évités parce qu'un résultat anormal a été pris en charge sur place : non "
              "disponible ; la carte donne le nombre de résultats anormaux de la période.",
              "non calculé (résultats anormaux : Σ résultats hors intervalle de référence)", "résultats",
              (BIO,), EVAL_LEVEL, "Le flux de biologie ne dit pas la suite donnée à un résultat (transfert, "
              "hospitalisation, prise en charge sur place) et ne partage aucun identifiant de patient avec la "
              "téléconsultation : aucun rapprochement honnête n'est possible.", ""),
    Indicator("evaluation-biologie", EVAL, "Délai prélèvement → résultat et voie du laboratoire",
              "Par EHPAD (niveau « détail ») ou par département (« synthèse ») : résultats, résultats anormaux, "
              "médiane et 90e centile du délai, voie du laboratoire et gain médian.",
              "voir « Délai prélèvement → résultat » et « Gain de délai »", "résultats, minutes, heures", (BIO,),
              EVAL_LEVEL + f" Médiane et centile non montrés sous {MIN_RESULTS} résultats.",
              "La voie du laboratoire est une hypothèse. " + LAB_SOURCE, LAB_SOURCE, kind="table"),
    Indicator("eval-grant-holders", EVAL, "Boursiers installés",
              "Étudiants bénéficiaires d'une bourse d'études du département, installés sur le territoire à la fin "
              "de la période (indicateur « boursiers installés » du programme, un stock par trimestre).",
              "Σ départements dernière valeur de l'indicateur à la fin de la période", "personnes", (PROG,),
              EVAL_LEVEL, "Valeur déclarée par département, sans commune ni date d'installation de chaque boursier.",
              SNDS_RULE),
    Indicator("eval-gp-trend-before", EVAL, "Densité de généralistes : tendance avant les boursiers",
              "Évolution annuelle de la densité de médecins généralistes (pour 10 000 habitants) aux fins de "
              "trimestre précédant le premier boursier installé du département.",
              "pente des moindres carrés de (généralistes en activité ÷ population × 10 000) selon la date, par an",
              "points pour 10 000 habitants par an", (WF, PROG, POP), EVAL_LEVEL + f" Au moins {MIN_QUARTERS} "
              "trimestres de chaque côté, sinon « données insuffisantes ».",
              "Avant/après sans territoire témoin : la tendance peut changer pour d'autres raisons ; un extrait du "
              "répertoire sans les départs anciens surestime la densité passée ; population au millésime fixe.",
              INSEE),
    Indicator("eval-gp-trend-after", EVAL, "Densité de généralistes : tendance depuis les boursiers",
              "Évolution annuelle de la densité de médecins généralistes depuis le premier trimestre où le programme "
              "déclare un boursier installé dans le département, et l'écart avec la tendance d'avant.",
              "pente après − pente avant (moindres carrés, par an)", "points pour 10 000 habitants par an",
              (WF, PROG, POP), EVAL_LEVEL, "Comparaison avant/après simple, sans groupe témoin ni intervalle de "
              "confiance ; quelques trimestres seulement.", INSEE),
    Indicator("eval-gp-chart", EVAL, "Densité de généralistes par trimestre",
              "Médecins généralistes en activité pour 10 000 habitants à chaque fin de trimestre, une ligne par "
              "département ; le trait vertical marque le premier trimestre où le programme déclare un boursier "
              "installé.", "généralistes en activité ÷ population municipale × 10 000", "pour 10 000 habitants",
              (WF, PROG, POP), EVAL_LEVEL, "Voir « Densité de généralistes : tendance avant les boursiers ».", INSEE,
              kind="chart"),
    Indicator("evaluation-densite-mg", EVAL, "Densité de généralistes avant et après les bourses d'études",
              "Par département et fin de trimestre : généralistes en activité, population, densité, boursiers "
              "installés, densité sans les boursiers, côté avant/après le premier boursier installé.",
              "généralistes ÷ population × 10 000 ; (généralistes − boursiers) ÷ population × 10 000",
              "pour 10 000 habitants", (WF, PROG, POP), EVAL_LEVEL, "La densité sans les boursiers suppose que tous "
              "les boursiers installés sont des généralistes en activité.", INSEE, kind="table"),
)
INDICATORS.update(EVAL_ENTRIES)


def indicator(key: str) -> Indicator:
    """The registry entry of `key` (KeyError: an indicator shown without documentation)."""
    return INDICATORS[key]


def by_dataset() -> dict[str, list[Indicator]]:
    """Entries grouped by page, in the order of DATASET_TITLES: the « Méthodes » page's sections."""
    out: dict[str, list[Indicator]] = {d: [] for d in DATASET_TITLES}
    for item in INDICATORS.values():
        out.setdefault(item.dataset, []).append(item)
    return {d: items for d, items in out.items() if items}


def biology_tests() -> list[dict[str, str]]:
    """The POC tests table: LOINC code, label, UCUM unit, reference range (as written in French)."""
    return [{"LOINC": t.loinc, "Examen": t.label, "Unité UCUM": t.unit,
             "Intervalle de référence": f"{fmt_number(t.ref_low, 1)} – {fmt_number(t.ref_high, 1)} {t.unit}"}
            for t in BIOLOGY_TESTS]


EXPERIMENT_NAMES = EXPERIMENTS
