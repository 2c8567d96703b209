"""AG Grid tables with French texts (no JavaScript functions: the CSP forbids eval)."""
from __future__ import annotations

import dash_ag_grid as dag

LOCALE_FR = {
    "noRowsToShow": "Aucune ligne à afficher", "loadingOoo": "Chargement…", "page": "Page", "of": "sur",
    "to": "à", "more": "plus", "next": "Suivante", "last": "Dernière", "first": "Première",
    "previous": "Précédente", "filterOoo": "Filtrer…", "contains": "Contient", "notContains": "Ne contient pas",
    "equals": "Égal à", "notEqual": "Différent de", "startsWith": "Commence par", "endsWith": "Se termine par",
    "blank": "Vide", "notBlank": "Non vide", "andCondition": "ET", "orCondition": "OU",
    "applyFilter": "Appliquer", "resetFilter": "Réinitialiser", "clearFilter": "Effacer",
    "pageSizeSelectorLabel": "Lignes par page :", "ariaRowSelect": "Appuyez sur Espace pour sélectionner",
    "selectAll": "Tout sélectionner", "searchOoo": "Rechercher…", "sortAscending": "Tri croissant",
    "sortDescending": "Tri décroissant",
}


def grid(grid_id: str, columns: list[dict], rows: list[dict], *, selectable: bool = False, height: int = 360,
         page_size: int | None = None) -> dag.AgGrid:
    options: dict = {"localeText": LOCALE_FR, "animateRows": False}
    if selectable:
        options["rowSelection"] = {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
    if page_size:
        options.update(pagination=True, paginationPageSize=page_size, paginationPageSizeSelector=False)
    return dag.AgGrid(
        id=grid_id, columnDefs=columns, rowData=rows, columnSize="responsiveSizeToFit",
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        dashGridOptions=options, style={"height": f"{height}px"},
    )
