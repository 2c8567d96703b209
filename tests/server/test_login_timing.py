"""Sign-in takes as long for an unknown account as for a known one with a wrong password (no enumeration)."""
from __future__ import annotations

import statistics
import time

from tests.conftest import Auth

ATTEMPTS = 20


def _median_ms(client, auth: Auth, email: str, offset: int) -> float:
    token = auth.csrf()
    times = []
    for i in range(ATTEMPTS):  # a new address each time: the lockout (5 per address and account) never applies
        environ = {"REMOTE_ADDR": f"203.0.113.{offset + i}"}
        t0 = time.perf_counter()
        r = client.post("/login", data={"email": email, "password": "pas-le-bon-mot-de-passe", "csrf_token": token},
                        environ_base=environ)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 401
    return statistics.median(times)


def test_unknown_and_known_accounts_take_the_same_time(app):
    client = app.test_client()
    auth = Auth(client)
    _median_ms(client, auth, "warm-up@nulle.part", 200)
    known = _median_ms(client, auth, "financeurs@demo.e-meuse-sante.fr", 10)
    unknown = _median_ms(client, auth, "personne-inconnue@demo.e-meuse-sante.fr", 40)
    ratio = known / unknown
    print(f"\nsign-in with a wrong password, median of {ATTEMPTS}: known {known:.1f} ms, unknown {unknown:.1f} ms, "
          f"ratio {ratio:.2f}")
    assert 0.5 <= ratio <= 2.0
