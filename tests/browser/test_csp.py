"""The Content-Security-Policy allows no inline script (issue 16, D1): the pages whose behaviour
used inline scripts still work — the dashboard's chart (ECharts), the offline payment form's
sum, the organization tree (htmx), the print view, the API docs — and the browser reports no
violation."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dangjian.fees import services as fee_services
from tests.browser.test_roster_flow import _backup_code, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_work_under_the_policy(browser, live_server, tree, users, shot):
    from dangjian.compliance.services import scan_run

    fee_services.ledger_generate(month=fee_services.current_index())
    scan_run(as_of=timezone.localdate())
    _backup_code(users["committee_staff"], "csp00001")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    base = live_server.url
    _sign_in(page, base, "staff_da", "csp00001")
    page.wait_for_selector("main h1")

    page.goto(f"{base}/monitor/?org={tree.district_a.pk}")
    page.wait_for_selector("#trend canvas")  # ECharts drew the trend
    shot(page, "95-csp-dashboard")

    page.goto(f"{base}/fees/member/{tree.members['A1-1'].pk}/pay/")
    box = page.locator(".month-pick input").first
    before = int(page.inner_text("#monthsChosen"))
    box.set_checked(not box.is_checked())
    after = int(page.inner_text("#monthsChosen"))
    assert abs(after - before) == 1  # the script counted the months ticked
    assert (page.get_by_label("金额（元）").input_value() in ("", "0.00")) == (after == 0)

    page.goto(f"{base}/orgs/")
    page.get_by_role("button", name="展开下级组织").first.click()
    page.wait_for_selector("ul[id^=kids-]:not(.d-none) li")

    page.goto(f"{base}/export/members/print/")
    page.wait_for_selector("table")

    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".swagger-ui .info")
    assert violations == []
    context.close()
