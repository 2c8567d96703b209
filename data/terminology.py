"""Codes the programme accepts: biology tests (LOINC + UCUM), statuses, professions, experiments."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BiologyTest:
    key: str
    loinc: str
    label: str
    unit: str  # UCUM
    ref_low: float
    ref_high: float
    plausible_low: float  # physiological (plausibility) limits: a value outside is accepted but flagged
    plausible_high: float


# Reference ranges: usual adult ranges (INR: the target range of a patient on a vitamin K antagonist).
# Plausibility limits: the programme's choice, not a published standard — values beyond which a living
# patient is very unlikely, so a unit, device or transcription error is the likelier cause (set wider than
# the laboratory « critical values » that call for an urgent phone call: those are real and must not be
# flagged). A value outside them is stored (it may be true) and flagged for the data manager to check.
BIOLOGY_TESTS: tuple[BiologyTest, ...] = (
    BiologyTest("inr", "6301-6", "INR (AVK)", "{INR}", 2.0, 3.0, 0.5, 15.0),
    BiologyTest("crp", "1988-5", "Protéine C-réactive", "mg/L", 0.0, 5.0, 0.0, 600.0),
    BiologyTest("hba1c", "4548-4", "Hémoglobine glyquée (HbA1c)", "%", 4.0, 6.0, 3.0, 20.0),
    BiologyTest("hb", "718-7", "Hémoglobine", "g/dL", 12.0, 17.0, 3.0, 25.0),
    BiologyTest("k", "2823-3", "Potassium", "mmol/L", 3.5, 5.0, 1.5, 10.0),
    BiologyTest("creat", "14682-9", "Créatinine", "umol/L", 45.0, 104.0, 10.0, 2500.0),
)
BIOLOGY_BY_LOINC = {t.loinc: t for t in BIOLOGY_TESTS}

TELECONSULTATION_STATUSES = ("completed", "cancelled", "no_show", "technical_failure")
TELECONSULTATION_OUTCOMES = ("resolved", "follow_up", "referral", "emergency_transfer")
AGE_BANDS = ("0-17", "18-39", "40-59", "60-74", "75-84", "85+")
AGE_BANDS_75_PLUS = ("75-84", "85+")
SPECIALTIES = {
    "medecine_generale": "Médecine générale",
    "geriatrie": "Gériatrie",
    "dermatologie": "Dermatologie",
    "cardiologie": "Cardiologie",
    "psychiatrie": "Psychiatrie",
    "plaies_cicatrisation": "Plaies et cicatrisation",
    "neurologie": "Neurologie",
    "endocrinologie": "Endocrinologie",
}
REQUESTER_TYPES = ("infirmier", "medecin_coordonnateur", "medecin_generaliste", "pharmacien")
SITE_KINDS = {"ehpad": "EHPAD", "centre_sante": "Centre / maison de santé",
              "pharmacie": "Pharmacie", "hopital": "Hôpital de proximité"}
MOBILE_STOP_STATUSES = ("planned", "completed", "cancelled")
QC_STATUSES = ("passed", "failed", "not_run")

GP_PROFESSION = "medecin"
GP_SPECIALTY = "medecine_generale"
PROFESSIONS = {
    "medecin": "Médecin",
    "infirmier": "Infirmier(ère)",
    "pharmacien": "Pharmacien(ne)",
    "chirurgien_dentiste": "Chirurgien(ne)-dentiste",
    "masseur_kinesitherapeute": "Masseur-kinésithérapeute",
    "sage_femme": "Sage-femme",
}

EXPERIMENTS = {
    "prevention_ados": "Application de prévention pour les adolescents",
    "soins_domicile": "Soins à domicile",
    "nutrition_domicile": "Nutrition à domicile des personnes âgées",
    "perinatalite": "Accompagnement périnatal",
    "snacs": "Outil de coordination SNACs",
    "teleconsultation": "Téléconsultation",
    "installation_etudiants": "Bourses d'études et installation",
}
