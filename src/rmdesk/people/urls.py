"""Pages of the people app (SPEC §10)."""

app_name = "people"
urlpatterns: list = []
