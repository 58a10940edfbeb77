"""URL map: each domain app is mounted under its own prefix; the API under /api/ (SPEC §12)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rmdesk.api import api
from rmdesk.org import views as org_views

admin.site.site_header = "RM Desk 客户经理工作台 · 系统管理"
admin.site.site_title = "RM Desk"
admin.site.index_title = "系统配置"

urlpatterns = [
    path("", org_views.home, name="home"),
    path("healthz", org_views.healthz, name="healthz"),
    path("readyz", org_views.readyz, name="readyz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("rmdesk.org.security_urls")),  # OTP step, account security, password change (issue 17)
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("rmdesk.org.urls")),
    path("core/", include("rmdesk.core.urls")),
    path("customers/", include("rmdesk.customers.urls")),
    path("work/", include("rmdesk.work.urls")),
    path("service/", include("rmdesk.service.urls")),
    path("sales/", include("rmdesk.sales.urls")),
    path("credit/", include("rmdesk.credit.urls")),
    path("contracts/", include("rmdesk.contracts.urls")),
    path("compliance/", include("rmdesk.compliance.urls")),
    path("people/", include("rmdesk.people.urls")),
    path("performance/", include("rmdesk.performance.urls")),
    path("analytics/", include("rmdesk.analytics.urls")),
    path("packs/", include("rmdesk.packs.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

handler403 = "rmdesk.org.views.error_403"
handler404 = "rmdesk.org.views.error_404"
handler500 = "rmdesk.org.views.error_500"
