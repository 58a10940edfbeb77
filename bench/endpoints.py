"""Where the measured endpoints live, in one place. Each function returns (url, params) or a url,
and raises NotBuilt while the owning app has not built the endpoint yet."""

from bench.items import NotBuilt, need_url


def _page(offset, page_size):
    return {"page": offset // page_size + 1, "page_size": page_size}


def _list_params(tier_id, cursor, page_size):
    params = {"page_size": page_size}
    if tier_id:
        params["tier"] = tier_id
    if cursor:
        params["cursor"] = cursor
    return params


def customer_list_api(*, tier_id=None, cursor=None, page_size=20):
    url = "/api/customers/"
    need_url(url, "customer list API /api/customers/ (customers app)")
    return url, _list_params(tier_id, cursor, page_size)


def customer_list_html(*, tier_id=None, cursor=None, page_size=20):
    url = "/customers/"
    need_url(url, "customer list page /customers/ (customers app)")
    return url, _list_params(tier_id, cursor, page_size)


def customer_search_api(q, *, page_size=20):
    url = "/api/customers/"
    need_url(url, "customer search API (customers app)")
    return url, {"q": q, "page_size": page_size}


def customer_360_html(pk):
    url = f"/customers/{pk}/"
    need_url(url, "customer 360° page /customers/<pk>/ (customers app)")
    return url


def customer_detail_api(pk):
    url = f"/api/customers/{pk}"
    need_url(url, "customer detail API /api/customers/<pk> (customers app)")
    return url


def _first_resolving(candidates, what):
    from django.urls import Resolver404, resolve

    for url in candidates:
        try:
            resolve(url)
            return url
        except Resolver404:
            continue
    raise NotBuilt(what)


def overdue_api(*, offset=0, page_size=20):
    url = _first_resolving(
        ["/api/work/cadence", "/api/work/cadence/", "/api/work/contact-status"],
        "overdue-contact list API /api/work/cadence (work app)",
    )
    return url, {"status": "overdue", "limit": page_size, "offset": offset}


def overdue_html(*, offset=0, page_size=50):
    url = "/work/cadence/"
    need_url(url, "overdue-contact list page /work/cadence/ (work app)")
    return url, {"status": "overdue", "page": offset // 50 + 1}


def home_html():
    return "/"
