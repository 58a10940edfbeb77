"""Pages of the contracts app (SPEC §7)."""

app_name = "contracts"
urlpatterns: list = []
