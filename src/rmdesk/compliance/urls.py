"""Pages of the compliance app (SPEC §8)."""

app_name = "compliance"
urlpatterns: list = []
