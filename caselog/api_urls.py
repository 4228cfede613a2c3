from django.urls import path

from caselog import api

urlpatterns = [
    path("case-log/entries/", api.EntryListApi.as_view(), name="api-caselog-entry-list"),
    path(
        "case-log/entries/<int:pk>/",
        api.EntryDetailApi.as_view(),
        name="api-caselog-entry-detail",
    ),
    path("case-log/totals/", api.TotalsApi.as_view(), name="api-caselog-totals"),
    path("case-log/procedures/", api.ProceduresToLogApi.as_view(), name="api-caselog-procedures"),
    path(
        "case-log/to-verify/",
        api.EntriesToVerifyApi.as_view(),
        name="api-caselog-to-verify",
    ),
    path(
        "case-log/entries/<int:pk>/verify/",
        api.EntryVerifyApi.as_view(),
        name="api-caselog-entry-verify",
    ),
    path(
        "programs/<int:program_id>/procedures/",
        api.ProcedureListApi.as_view(),
        name="api-program-procedures",
    ),
    path(
        "programs/<int:program_id>/procedures/import/",
        api.ProcedureImportApi.as_view(),
        name="api-program-procedures-import",
    ),
]
