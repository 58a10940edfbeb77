"""Pages of the performance app (SPEC §9)."""

app_name = "performance"
urlpatterns: list = []
