"""The coverage map updated by a Dash Patch in the browser: after a threshold change, the 65+ option or a layer
toggled, the map Plotly draws shows the new values (the same as a fresh page with those controls), a patch and
not a whole figure came over the network, and the console stays clean."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import login, wait_for

pytestmark = pytest.mark.browser

ARS = ("ars@demo.e-meuse-sante.fr", "demo-ars-grand-est-2026")
PAGE = "/couverture?dep=55&du=2026-01&au=2026-06&couches=gp,teleconsultation"
PLOT = "document.querySelector('#coverage-map-graph .js-plotly-plot')"

# Every /_dash-update-component answer, kept by the page: whether it carried the map as a patch or whole.
RECORD = """
window.mapAnswers = [];
const original = window.fetch;
window.fetch = async function (...args) {
  const response = await original.apply(this, args);
  if (String(args[0]).includes('_dash-update-component')) {
    response.clone().text().then(text => {
      if (text.includes('coverage-map-graph')) {
        const figure = JSON.parse(text).response['coverage-map-graph'];
        window.mapAnswers.push(figure && figure.figure && figure.figure.__dash_patch_update ? 'patch' : 'full');
      }
    });
  }
  return response;
};
"""


def drawn(driver) -> list[dict]:
    """What Plotly draws: per trace its name and visibility (the figure it was given) and the hover template and
    values it computed (its _fullData)."""
    return driver.execute_script(
        f"const p = {PLOT}; if (!p || !p._fullData || !p.data) return null; "
        "return p._fullData.map((t, i) => ({name: p.data[i].name || null, visible: p.data[i].visible === false ? "
        "false : true, hovertemplate: t.hovertemplate, z: t.z ? Array.from(t.z) : null, "
        "n: (t.locations || t.lat || []).length}));")


def wait_drawn(driver, condition, timeout=40):
    wait_for(driver, timeout).until(lambda d: (data := drawn(d)) and condition(data))
    return drawn(driver)


def test_a_threshold_change_and_a_toggle_redraw_the_map_from_a_patch(dash_duo, served):
    login(dash_duo, served, *ARS)
    driver = dash_duo.driver
    driver.get(served + PAGE)
    before = wait_drawn(driver, lambda d: "seuil 2,5" in (d[0]["hovertemplate"] or ""))
    assert before[0]["n"] > 400  # the Meuse's communes
    driver.execute_script(RECORD)

    field = driver.find_element(By.ID, "coverage-threshold")
    field.clear()
    field.send_keys("1,5", Keys.ENTER)
    after = wait_drawn(driver, lambda d: "seuil 1,5" in (d[0]["hovertemplate"] or ""))
    assert after[0]["z"] == before[0]["z"]  # accessibility does not depend on the threshold
    wait_for(driver, 20).until(lambda d: d.execute_script("return window.mapAnswers.length") >= 1)

    driver.find_element(By.XPATH, "//label[contains(., 'Exclure les médecins de 65 ans')]").click()
    changed = wait_drawn(driver, lambda d: d[0]["z"] != before[0]["z"])
    driver.find_element(By.XPATH, "//label[contains(., 'Site de téléconsultation')]").click()
    toggled = wait_drawn(driver, lambda d: any(t["name"] == "Site de téléconsultation" and t["visible"] is False
                                               for t in d))
    assert toggled[0]["z"] == changed[0]["z"]
    answers = driver.execute_script("return window.mapAnswers")
    assert answers and set(answers) == {"patch"}, answers
    assert dash_duo.get_logs() == []

    # the same controls on a fresh page (a full figure) draw the same values
    driver.get(served + "/couverture?dep=55&du=2026-01&au=2026-06&seuil=1.5&avec65=1&couches=gp")
    fresh = wait_drawn(driver, lambda d: "seuil 1,5" in (d[0]["hovertemplate"] or ""))
    assert fresh[0]["z"] == toggled[0]["z"]
    shown = sorted(t["name"] for t in toggled if t["visible"] is not False and t["name"])
    assert shown == sorted(t["name"] for t in fresh if t["visible"] is not False and t["name"])
    assert dash_duo.get_logs() == []
