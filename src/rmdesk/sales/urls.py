"""Pages of the sales app (SPEC §4)."""

app_name = "sales"
urlpatterns: list = []
