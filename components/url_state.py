"""The URL state of every page, declared once: each page's own controls (component id, the query
parameter it is kept in, its codec), and the ids of the stores and menu links that carry it.

The address bar always holds the shared filters (`data.filters.Filters.to_query`) followed by the
current page's own controls; the menu links carry the shared filters to every page and each page's
own last controls back to it (`callbacks/url_state.py`, `assets/url_state.js`). A layout reads its
controls from the query through `initial_values`, a callback reads what the browser sent through
`clean_values`: both through the codecs, so junk in a URL or a request falls back to the default.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from data.url_codecs import Codec
from data.views import coverage, programme, workforce


@dataclass(frozen=True)
class Control:
    id: str  # component id on the page
    param: str  # URL query parameter (French, as users share it)
    codec: Codec
    prop: str = "value"


# Every dashboard page with the shared filter bar (module name in pages/), with its own controls.
PAGE_CONTROLS: dict[str, tuple[Control, ...]] = {
    "overview": (),
    "teleconsultation": (),
    "mobile": (),
    "biology": (),
    "coverage": (Control("coverage-threshold", "seuil", coverage.THRESHOLD),
                 Control("coverage-exclude", "avec65", coverage.EXCLUDE_65),
                 Control("coverage-layers", "couches", coverage.LAYERS_CODEC),
                 Control("coverage-sort", "tri", coverage.SORT_CODEC)),
    "workforce": (Control("workforce-profession", "profession", workforce.PROFESSION),
                  Control("workforce-scale", "echelle", workforce.SCALE)),
    "programme": (Control("programme-experiment", "experience", programme.EXPERIMENT),),
    "evaluation": (),
}

PAGE_STATE = "page-state"  # pattern id type of the store holding the current page's query
NAV_LINK = "nav-link"  # pattern id type of the menu links (and the brand)
NAV_MEMORY = "nav-memory"  # session store: the shared filters and each page's own last controls


def controls(page: str) -> tuple[Control, ...]:
    return PAGE_CONTROLS.get(page, ())


def control(page: str, component_id: str) -> Control:
    return next(c for c in controls(page) if c.id == component_id)


def initial_values(page: str, query: Mapping[str, str]) -> dict[str, object]:
    """Each control's value read from the URL query (validated by its codec), by component id."""
    return {c.id: c.codec.decode(_text(query.get(c.param))) for c in controls(page)}


def clean_values(page: str, values: Sequence) -> tuple:
    """The values the browser sent for the page's controls (in registry order), validated."""
    return tuple(c.codec.clean(v) for c, v in zip(controls(page), values, strict=True))


def own_query(page: str, values: Sequence) -> str:
    """The page's own part of the query (`seuil=3&couches=gp`, defaults left out), no leading separator."""
    params = {c.param: c.codec.encode(v) for c, v in zip(controls(page), values, strict=True)}
    return urlencode({k: v for k, v in params.items() if v is not None}, safe=",")


def page_state_id(page: str) -> dict:
    return {"type": PAGE_STATE, "page": page}


def page_state(filters_query: str, own: str) -> dict:
    """What the page's store holds: the shared filters' query (`?dep=…`) and the page's own part."""
    return {"filters": filters_query, "own": own}


def nav_link_id(page: str, path: str, slot: str = "menu") -> dict:
    """A menu link (or the brand, slot `brand`): the page it opens (`page` keys the memory) and its path."""
    return {"type": NAV_LINK, "page": page, "path": path, "slot": slot}


def _text(raw) -> str | None:
    if isinstance(raw, list | tuple):  # a repeated parameter: the first one counts
        raw = raw[0] if raw else None
    return raw if isinstance(raw, str) else None
