"""Password policy: at least 12 characters and not guessable (zxcvbn, which knows common passwords)."""
from __future__ import annotations

import secrets

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn: 0 (too guessable) .. 4 (very unguessable)


def policy_errors(password: str, *, user_inputs: list[str] | None = None) -> list[str]:
    """French reasons why a new password is refused (empty when it is acceptable)."""
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.")
    if len(password) > 200:
        errors.append("Le mot de passe ne doit pas dépasser 200 caractères.")
        return errors
    inputs = [p for value in (user_inputs or []) for p in value.replace("@", " ").replace(".", " ").split() if p]
    result = zxcvbn(password, user_inputs=inputs)
    if any(m.get("dictionary_name") == "passwords" and len(m.get("token", "")) >= len(password) - 4
           for m in result["sequence"]):  # a common password, maybe with a few characters added
        errors.append("Ce mot de passe fait partie des mots de passe les plus courants (ou en dérive).")
    elif result["score"] < MIN_SCORE:
        errors.append("Ce mot de passe est trop facile à deviner : allongez-le ou mélangez des mots sans lien.")
    return errors


def temporary_password() -> str:
    """A random password an administrator hands over; the user must change it at first login."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))
