"""Every role on every page and API route, including a sibling organization's objects (404).

The last test walks the URLconf: a route missing from this matrix fails the build (security.md B1).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core import signing
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dangjian.assistant import endpoints
from dangjian.audit.models import AuditEvent
from tests.conftest import login

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "member",
    "branch_worker",
    "committee_staff",
    "supervisor",
    "sibling_staff",
    "system_admin",
    "security_admin",
    "audit_admin",
    "no_grant",
]
NON_STAFF = {
    "member": 403,
    "system_admin": 403,
    "security_admin": 403,
    "audit_admin": 403,
    "no_grant": 403,
}


def expect(anonymous=302, **kw):
    out = {"anonymous": anonymous, **NON_STAFF}
    out.update(kw)
    return out


MEMBER_ONLY = {
    "anonymous": 302,
    **NON_STAFF,
    "member": 200,
    "branch_worker": 403,
    "committee_staff": 403,
    "supervisor": 403,
    "sibling_staff": 403,
}
STAFF_ALL = {"branch_worker": 200, "committee_staff": 200, "supervisor": 200, "sibling_staff": 200}
# a file of district A's (a photo, a logo, evidence): its staff and the supervisor above, others
# not found; members and the three admins are not staff
STAFF_FILE = {
    **dict.fromkeys(ROLES, 404),
    **NON_STAFF,
    "anonymous": 302,
    "committee_staff": 200,
    "supervisor": 200,
}

# name -> (args builder, query string, expected status per role)


def _correction(t):
    from dangjian.members.models import Correction

    m = t.members["A1-2"]
    return Correction.objects.create(
        member=m,
        organization=m.organization,
        field="work_unit",
        value_encrypted="",
        value_masked="某单位",
        reason="调动",
    ).pk


MATRIX = {
    "portal:home": (
        lambda t: [],
        "",
        {
            "anonymous": 302,
            "member": 302,
            "branch_worker": 200,
            "committee_staff": 200,
            "supervisor": 200,
            "sibling_staff": 200,
            "system_admin": 200,  # the admins' 待办 and their pages
            "security_admin": 200,
            "audit_admin": 200,
            "no_grant": 200,
        },
    ),
    "portal:me_info": (lambda t: [], "", MEMBER_ONLY),
    "portal:me_data": (lambda t: [], "", MEMBER_ONLY),
    "portal:me": (
        lambda t: [],
        "",
        {
            "anonymous": 302,
            "member": 200,
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
            "system_admin": 403,
            "security_admin": 403,
            "audit_admin": 403,
            "no_grant": 403,
        },
    ),
    "portal:member_home": (lambda t: [], "", MEMBER_ONLY),
    "portal:member_accounts": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "transfers:branches": (
        lambda t: [],
        "?q=乙",
        {role: (302 if role == "anonymous" else 200) for role in ROLES},
    ),
    "portal:grant_orgs": (
        lambda t: [],
        "?q=甲",
        {**dict.fromkeys(ROLES, 403), "anonymous": 302, "security_admin": 200},
    ),
    "portal:grant_users": (
        lambda t: [],
        "?q=staff",
        {**dict.fromkeys(ROLES, 403), "anonymous": 302, "security_admin": 200},
    ),
    "portal:account_members": (
        lambda t: [],
        "?q=党员",
        {**dict.fromkeys(ROLES, 403), "anonymous": 302, "system_admin": 200},
    ),
    "interchange:export": (lambda t: ["members"], "", expect(**STAFF_ALL)),
    "interchange:print": (lambda t: ["members"], "", expect(**STAFF_ALL)),
    "interchange:export#audit": (
        lambda t: ["audit"],
        "",
        {**dict.fromkeys(ROLES, 403), "anonymous": 302, "audit_admin": 200},
    ),
    "assistant:ask": (
        lambda t: [],
        "",
        {**dict.fromkeys(ROLES, 200), "anonymous": 302},
    ),
    "assistant:piece": (
        lambda t: [_kb_piece(t)],
        "",
        {
            **dict.fromkeys(ROLES, 404),
            "anonymous": 302,
            "member": 200,
            "branch_worker": 200,
            "committee_staff": 200,
            "supervisor": 200,
        },
    ),
    "assistant:documents": (
        lambda t: [],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=200),
    ),
    "assistant:speak": (
        lambda t: [],
        "?s=" + signing.dumps("测试", salt=endpoints.SPEAK_SALT, compress=True),
        # every signed-in user may hear a text a page showed when a reader exists (espeak-ng)
        {**dict.fromkeys(ROLES, 200 if endpoints.espeak() else 404), "anonymous": 302},
    ),
    "assistant:opinions": (
        lambda t: [],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=200),
    ),
    "assistant:opinion": (
        lambda t: [_opinion(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "assistant:opinion_photo": (
        lambda t: [_opinion(t), 999999],
        "",
        {**dict.fromkeys(ROLES, 404), "anonymous": 302},
    ),
    "assistant:my_opinions": ((lambda t: []), "", MEMBER_ONLY),
    "assistant:my_opinion": ((lambda t: [_opinion(t)]), "", MEMBER_ONLY),
    "assistant:opinion_new": ((lambda t: []), "", MEMBER_ONLY),
    "interchange:import_job": (
        lambda t: [_import_job(t)],
        "",
        {
            **dict.fromkeys(ROLES, 404),
            "anonymous": 302,
            "branch_worker": 200,
            "member": 403,
            "no_grant": 403,
            "supervisor": 403,
            "system_admin": 403,
            "security_admin": 403,
            "audit_admin": 403,
        },
    ),
    "interchange:export_job": (
        lambda t: [_export_job(t)],
        "",
        {
            **dict.fromkeys(ROLES, 404),
            "anonymous": 302,
            "committee_staff": 200,
        },
    ),
    "interchange:export_download": (
        lambda t: [_export_job(t)],
        "",
        {**dict.fromkeys(ROLES, 404), "anonymous": 302},  # not finished: nothing to download
    ),
    "orgs:tree": (lambda t: [], "", expect(**STAFF_ALL)),
    "orgs:lookup": (lambda t: [], "?q=甲", expect(**STAFF_ALL)),
    "members:lookup": (
        lambda t: [],
        "?org={a1}",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "orgs:detail": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "orgs:children": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "orgs:create": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:edit": (
        lambda t: [t.branch_a2.pk],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:move": (
        lambda t: [t.branch_a2.pk],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:dissolve": (
        lambda t: [t.branch_a2.pk],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:merge": (
        lambda t: [t.branch_a2.pk],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:term_create": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:post_create": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:units": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "orgs:unit_create": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:unit_edit": (
        lambda t: [t.district_a.pk, _unit(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:request_create": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:request_answer": (
        lambda t: [t.district_a.pk, _request(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:elections": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "orgs:election_request": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:election_result": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:election_report": (
        lambda t: [t.branch_a1.pk, _election(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "orgs:term_extend": (
        lambda t: [t.branch_a1.pk, t.branch_a1.terms.first().pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "fees:grid": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "fees:home": (
        lambda t: [],
        "",
        expect(branch_worker=302, committee_staff=302, supervisor=302, sibling_staff=302),
    ),
    "fees:summary": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "interchange:upload#fees": (
        lambda t: ["fees"],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=200),
    ),
    "fees:accounts": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "fees:remit": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "fees:publish": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "fees:pay_offline": (
        lambda t: [t.members["A1-1"].pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "fees:receipt": (
        lambda t: [_payment(t)],
        "",
        {
            **expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
            "member": 200,
            "system_admin": 404,
            "security_admin": 404,
            "audit_admin": 404,
            "no_grant": 404,
        },
    ),
    "fees:my": (
        lambda t: [],
        "",
        {
            **expect(),
            "member": 200,
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
        },
    ),
    "fees:my_order": (
        lambda t: [_order(t)],
        "",
        {
            **expect(),
            "member": 200,
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
        },
    ),
    "fees:sandbox_pay": (
        lambda t: [_order(t)],
        "",
        {
            **expect(),
            "member": 200,
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
        },
    ),
    "meetings:home": (
        lambda t: [],
        "",
        expect(branch_worker=302, committee_staff=302, supervisor=302, sibling_staff=302),
    ),
    "meetings:calendar": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "meetings:calendar#rollup": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "meetings:plan_new": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "meetings:record_new": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "meetings:handlings": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "meetings:handling_decide": (
        lambda t: [_handling(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "meetings:detail": (
        lambda t: [_held(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "meetings:plan_edit": (
        lambda t: [_planned(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "meetings:record": (
        lambda t: [_planned(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "meetings:appraisal": (
        lambda t: [_held(t, "democratic_review")],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "meetings:attachment": (
        lambda t: _meeting_file(t),
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "meetings:export": (
        lambda t: [_held(t), "docx"],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "meetings:member": (
        lambda t: [t.members["A1-1"].pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "meetings:my": (
        lambda t: [],
        "",
        {
            **expect(),
            "member": 200,
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
        },
    ),
    "meetings:member_meeting": (
        lambda t: [_published(t)],
        "",
        {
            **expect(),
            "member": 200,
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
        },
    ),
    "recruitment:home": (
        lambda t: [],
        "",
        expect(branch_worker=302, committee_staff=302, supervisor=302, sibling_staff=302),
    ),
    "recruitment:board": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "recruitment:board#rollup": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "recruitment:apply": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "recruitment:detail": (
        lambda t: [_candidate(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "recruitment:document": (
        lambda t: _candidate_doc(t),
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "recruitment:pdf": (
        lambda t: [_candidate(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "transfers:home": (
        lambda t: [],
        "",
        expect(branch_worker=302, committee_staff=302, supervisor=302, sibling_staff=302),
    ),
    "transfers:my": (
        lambda t: [],
        "",
        {
            **expect(),
            "member": 200,
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
        },
    ),
    "transfers:keys": (
        lambda t: [],
        "",
        {
            **expect(),
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
            "security_admin": 200,
        },
    ),
    "transfers:published_keys": (lambda t: [], "", dict.fromkeys(ROLES, 200)),
    "transfers:list": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "transfers:list#in": (
        lambda t: [t.district_a.pk],
        "?tab=in&status=all",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "transfers:list#incoming": (
        lambda t: [t.branch_a1.pk],
        "?tab=incoming",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "transfers:list#mobile": (
        lambda t: [t.branch_a1.pk],
        "?tab=mobile",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "transfers:list#lost": (
        lambda t: [t.branch_a1.pk],
        "?tab=lost",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "transfers:batch": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "transfers:incoming_new": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "transfers:mobile_new": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "transfers:lost_new": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "transfers:start": (
        lambda t: [t.members["A1-1"].pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "transfers:detail": (
        lambda t: [_transfer(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    # the letter carries the full ID number: only those who may unmask generate it
    "transfers:pdf": (
        lambda t: [_transfer(t)],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "transfers:token": (
        lambda t: [_transfer(t, token="DJ1.test")],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "transfers:incoming": (
        lambda t: [_incoming(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "transfers:receipt": (
        lambda t: [_incoming(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "transfers:mobile": (
        lambda t: [_mobile(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "transfers:lost": (
        lambda t: [_lost(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:home": (
        lambda t: [],
        "",
        expect(branch_worker=302, committee_staff=302, supervisor=302, sibling_staff=302),
    ),
    "community:places": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:place_new": (
        lambda t: [_community(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "community:reports": (
        lambda t: [_community(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:needs": (
        lambda t: [_community(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:issues": (
        lambda t: [_community(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:place": (
        lambda t: [_place(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:unit": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:alliances": (
        lambda t: [_community(t)],
        "?state=due",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:alliance": (
        lambda t: [_alliance(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:figures": (
        lambda t: [t.district_a.pk],
        "?year=2025",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:cards": (
        lambda t: [_in_service(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:units": (
        lambda t: [_community(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:appraisals": (
        lambda t: [_community(t)],
        "?year=2025",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:teams": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:team": (
        lambda t: [_team(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "community:community_lookup": (
        lambda t: [],
        "?q=社区",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=200),
    ),
    "community:place_lookup": (
        lambda t: [],
        "?q=花园",
        {**dict.fromkeys(ROLES, 200), "anonymous": 302},
    ),
    "community:issue": (
        lambda t: [_issue(t)],
        "",
        {
            **dict.fromkeys(ROLES, 404),
            "anonymous": 302,
            "committee_staff": 200,
            "supervisor": 200,
        },
    ),
    "community:photo": (
        lambda t: [_issue_photo(t)],
        "",
        {
            **dict.fromkeys(ROLES, 404),
            "anonymous": 302,
            "committee_staff": 200,
            "supervisor": 200,
        },
    ),
    "community:residence": (
        lambda t: [t.members["A1-1"].pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "community:my": (lambda t: [], "", MEMBER_ONLY),
    "villages:home": (
        lambda t: [],
        "",
        expect(branch_worker=302, committee_staff=302, supervisor=302, sibling_staff=302),
    ),
    "villages:summary": (
        lambda t: [t.district_a.pk],
        "?year=2025",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "villages:list": (
        lambda t: [t.district_a.pk],
        "?weak=1",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "villages:rounds": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "villages:plots": (
        lambda t: [t.district_a.pk],
        "?state=free",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "villages:joint": (
        lambda t: [_village(t)[1]],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "villages:town_income": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "villages:village": (
        lambda t: [_village(t)[0]],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "villages:village_edit": (
        lambda t: [_village(t)[0]],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "villages:income": (
        lambda t: [_village(t)[0]],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "villages:resident_new": (
        lambda t: [_village(t)[0]],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "villages:resident": (
        lambda t: [_village(t)[0], _resident(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "villages:project_new": (
        lambda t: [_village(t)[0]],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "villages:project": (
        lambda t: [_village(t)[0], _vproject(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "villages:plot_new": (
        lambda t: [_village(t)[0]],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    # a round is seen by staff under its organizer (their own villages' part) and above it
    "villages:round": (
        lambda t: [_vround(t)],
        "?state=none",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "villages:area_new": (
        lambda t: [_vround(t)],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "villages:area": (
        lambda t: [_vround(t), _varea(t)],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    # plots are offered to every unit of the deployment: any staff sees them and may adopt
    "villages:plot": (
        lambda t: [_plot(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=200),
    ),
    "villages:adopt": (
        lambda t: [_plot(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=200),
    ),
    "villages:activity": (
        lambda t: [_adoption(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "villages:photo": (
        lambda t: [_plot_photo(t)],
        "",
        {
            **dict.fromkeys(ROLES, 404),
            "anonymous": 302,
            "branch_worker": 200,
            "committee_staff": 200,
            "supervisor": 200,
        },
    ),
    "villages:my": (lambda t: [], "", MEMBER_ONLY),
    "enterprises:home": (
        lambda t: [],
        "",
        expect(branch_worker=302, committee_staff=302, supervisor=302, sibling_staff=302),
    ),
    "enterprises:coverage": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "enterprises:list": (
        lambda t: [t.district_a.pk],
        "?cover=none",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "enterprises:instructors": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "enterprises:enterprise_new": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "enterprises:instructor_new": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "enterprises:station_new": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "enterprises:park_new": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "enterprises:enterprise": (
        lambda t: [_enterprise(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "enterprises:enterprise_edit": (
        lambda t: [_enterprise(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "enterprises:instructor": (
        lambda t: [_instructor(t)],
        "?month=2026-01",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "enterprises:instructor_edit": (
        lambda t: [_instructor(t)],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "enterprises:instructor_lookup": (lambda t: [], "?q=陈", expect(**STAFF_ALL)),
    "enterprises:case": (
        lambda t: [_case(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "enterprises:my": (lambda t: [], "", MEMBER_ONLY),
    "enterprises:positions": (
        lambda t: [_enterprise(t)],
        "?form=cultivation",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "enterprises:teams": (
        lambda t: [t.district_a.pk],
        "?state=open",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "enterprises:team": (
        lambda t: [_commando(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "enterprises:milestone_photo": (
        lambda t: [_milestone_photo(t)],
        "",
        STAFF_FILE,
    ),
    "enterprises:honour_file": (
        lambda t: [_honour_file(t)],
        "",
        STAFF_FILE,
    ),
    "enterprises:joint": (
        lambda t: [t.district_a.pk],
        "?kind=activity",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "enterprises:showcase": (
        lambda t: [t.district_a.pk],
        "?kind=honour",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "enterprises:showcase_new": (
        lambda t: [t.district_a.pk, "honour"],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "enterprises:brand_logo": (
        lambda t: [_brand_logo(t)],
        "",
        STAFF_FILE,
    ),
    "academy:home": (lambda t: [], "?year=2026&status=open", expect(**STAFF_ALL)),
    "academy:new": (
        lambda t: [],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=200),
    ),
    "academy:teachers": (lambda t: [], "?q=王", expect(**STAFF_ALL)),
    "academy:figures": (lambda t: [], "?year=2026", expect(**STAFF_ALL)),
    "academy:my": (lambda t: [], "", MEMBER_ONLY),
    "academy:class": (
        lambda t: [_aclass(t)],
        "?status=nominated",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "academy:edit": (
        lambda t: [_aclass(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "academy:session_new": (
        lambda t: [_aclass(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "academy:nominate": (
        lambda t: [_aclass(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "academy:session": (
        lambda t: [_asession(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "academy:batch_file": (
        lambda t: [_abatch(t)],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=404, sibling_staff=404),
    ),
    "academy:certificate": (
        lambda t: [_acert(t)],
        "",
        {
            **dict.fromkeys(ROLES, 404),
            "anonymous": 302,
            "member": 200,  # the trainee's own
            "branch_worker": 200,  # the nominating branch
            "committee_staff": 200,
            "supervisor": 200,
        },
    ),
    # public: the room's QR code, a non-member trainee's link, the certificate's verification
    "academy:sign": (lambda t: [_asession(t)], "?t=" + "t" * 43, dict.fromkeys(ROLES, 200)),
    "academy:pass": (lambda t: ["not-a-pass"], "", dict.fromkeys(ROLES, 404)),
    "academy:verify": (lambda t: ["forged"], "", dict.fromkeys(ROLES, 200)),
    "community:my_issue_new": (lambda t: [], "", {**MEMBER_ONLY, "member": 302}),
    "learning:home": (
        lambda t: [],
        "",
        expect(branch_worker=302, committee_staff=302, supervisor=302, sibling_staff=302),
    ),
    "learning:library": (
        lambda t: [t.branch_a1.pk],
        "?q=党章",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "learning:course_new": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "learning:hours": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "learning:quiz": (
        lambda t: [t.district_a.pk],
        "",
        expect(branch_worker=404, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "learning:course": (
        lambda t: [_lcourse(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "learning:staff_media": (
        lambda t: [_lresource(t, video=True)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "learning:transcript": (
        lambda t: [_lresource(t, video=True)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "learning:points": (
        lambda t: [],
        "",
        {
            **expect(),
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
            "system_admin": 200,
        },
    ),
    "learning:my": (lambda t: [], "", MEMBER_ONLY),
    "learning:member_course": (lambda t: [_lcourse(t)], "", MEMBER_ONLY),
    "learning:study": (lambda t: [_lresource(t)], "", MEMBER_ONLY),
    "learning:media": (lambda t: [_lresource(t, video=True)], "", MEMBER_ONLY),
    "learning:paper": (lambda t: [_lpaper(t)], "", MEMBER_ONLY),
    "learning:attempt": (lambda t: [_lattempt(t)], "", MEMBER_ONLY),
    "recruitment:holidays": (
        lambda t: [],
        "",
        {
            **expect(),
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
            "system_admin": 200,
        },
    ),
    "members:list": (lambda t: [], "", expect(**STAFF_ALL)),
    "members:list#org": (
        lambda t: [],
        "?org={a1}",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "members:create": (
        lambda t: [],
        "?org={a1}",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "interchange:upload#members": (
        lambda t: ["members"],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=200),
    ),
    "interchange:template#members": (
        lambda t: ["members"],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=200),
    ),
    "interchange:template#fees": (
        lambda t: ["fees"],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=200),
    ),
    "members:detail": (
        lambda t: [t.members["A1-1"].pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "members:edit": (
        lambda t: [t.members["A1-1"].pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "members:status": (
        lambda t: [t.members["A1-1"].pk],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "compliance:dashboard": (lambda t: [], "", expect(**STAFF_ALL)),
    "compliance:dashboard#org": (
        lambda t: [],
        "?org={a1}",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "compliance:run": (
        lambda t: [_run(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "notify:inbox": (
        lambda t: [],
        "",
        {role: (302 if role == "anonymous" else 200) for role in ROLES},
    ),
    "notify:settings": (
        lambda t: [],
        "",
        {role: (302 if role == "anonymous" else 200) for role in ROLES},
    ),
    "notify:deliveries": (
        lambda t: [],
        "",
        {
            **expect(),
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
            "system_admin": 200,
        },
    ),
    "supervision:list": (lambda t: [], "", expect(**STAFF_ALL)),
    "supervision:create": (
        lambda t: [],
        "",
        expect(branch_worker=403, committee_staff=200, supervisor=200, sibling_staff=200),
    ),
    "supervision:detail": (
        lambda t: [_task(t)],
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "supervision:attachment": (
        lambda t: _attachment(t),
        "",
        expect(branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404),
    ),
    "compliance:rules": (
        lambda t: [],
        "",
        {
            **expect(),
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
            "security_admin": 200,
        },
    ),
    "portal:audit": (
        lambda t: [],
        "",
        {
            **expect(),
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
            "audit_admin": 200,
        },
    ),
    "portal:users": (
        lambda t: [],
        "",
        {
            **expect(),
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
            "system_admin": 200,
        },
    ),
    "portal:grants": (
        lambda t: [],
        "",
        {
            **expect(),
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
            "security_admin": 200,
        },
    ),
    "api-docs": (lambda t: [], "", expect(anonymous=403, **STAFF_ALL)),
    "api-schema": (lambda t: [], "", expect(anonymous=403, **STAFF_ALL)),
    "organization-list": (lambda t: [], "", expect(anonymous=403, **STAFF_ALL)),
    "organization-detail": (
        lambda t: [t.branch_a1.pk],
        "",
        expect(
            anonymous=403, branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404
        ),
    ),
    "member-list": (lambda t: [], "", expect(anonymous=403, **STAFF_ALL)),
    "member-detail": (
        lambda t: [t.members["A1-1"].pk],
        "",
        expect(
            anonymous=403, branch_worker=200, committee_staff=200, supervisor=200, sibling_staff=404
        ),
    ),
}

# POST-only routes, checked with a POST (side effects asserted elsewhere).
POST_MATRIX = {
    "villages:income": (
        lambda t: [_village(t)[0]],
        expect(branch_worker=404, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "villages:rounds": (
        lambda t: [t.district_a.pk],
        expect(branch_worker=404, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "villages:round": (
        lambda t: [_vround(t)],
        expect(branch_worker=403, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "villages:adopt": (
        lambda t: [_plot(t)],
        expect(branch_worker=400, committee_staff=400, supervisor=403, sibling_staff=400),
    ),
    "villages:my": (lambda t: [], {**MEMBER_ONLY, "member": 302}),
    "enterprises:enterprise": (
        lambda t: [_enterprise(t)],
        expect(branch_worker=404, committee_staff=404, supervisor=403, sibling_staff=404),
    ),
    "enterprises:case": (
        lambda t: [_case(t)],
        expect(branch_worker=404, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "academy:decide": (
        lambda t: [_aclass(t)],
        expect(branch_worker=404, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "academy:publish": (
        lambda t: [_aclass(t)],
        expect(branch_worker=404, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "academy:assess": (
        lambda t: [_aclass(t)],
        expect(branch_worker=404, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "academy:batch": (
        lambda t: [_aclass(t)],
        expect(branch_worker=404, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "academy:session_remove": (
        lambda t: [_asession(t)],
        expect(branch_worker=404, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "academy:attendance": (
        lambda t: [_asession(t)],
        expect(branch_worker=404, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "academy:score": (
        lambda t: [_aenrol(t)],
        expect(branch_worker=404, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "academy:leave_decide": (
        lambda t: [_aleave(t)],
        expect(branch_worker=404, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "academy:revoke": (
        lambda t: [_acert(t)],
        expect(branch_worker=404, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "academy:withdraw": (
        lambda t: [_aenrol(t)],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "academy:sign": (lambda t: [_asession(t)], dict.fromkeys(ROLES, 404)),  # no room code
    "academy:leave": (lambda t: [_asession(t)], dict.fromkeys(ROLES, 404)),
    "academy:rate": (lambda t: [_asession(t)], dict.fromkeys(ROLES, 404)),
    # without a configured speech server the endpoint is absent for everyone signed in
    "assistant:transcribe": (lambda t: [], {**dict.fromkeys(ROLES, 404), "anonymous": 302}),
    "orgs:post_end": (
        lambda t: [t.branch_a1.pk, t.branch_a1.posts.first().pk],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "orgs:set_joint": (
        lambda t: [t.branch_a2.pk],
        expect(branch_worker=403, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "fees:annual": (
        lambda t: [t.branch_a1.pk],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "fees:collection_day": (
        lambda t: [t.branch_a1.pk],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "fees:my_pay": (
        lambda t: [],
        {
            **expect(),
            "member": 302,
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
        },
    ),
    "fees:callback": (lambda t: ["sandbox"], dict.fromkeys(ROLES, 400)),
    "compliance:scan_start": (
        lambda t: [t.branch_a1.pk],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "meetings:plan_generate": (
        lambda t: [t.branch_a1.pk],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "meetings:publish": (
        lambda t: [_planned(t)],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "meetings:cancel": (
        lambda t: [_planned(t)],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "meetings:void": (
        lambda t: [_held(t, "life_meeting")],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "meetings:rectify": (
        lambda t: [_held(t, "life_meeting")],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "meetings:rectify_done": (
        lambda t: _rectification(t),
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "meetings:leave": (
        lambda t: [t.members["A1-1"].pk],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "meetings:leave_request": (
        lambda t: [_published(t)],
        {
            **expect(),
            "member": 302,
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
        },
    ),
    "meetings:leave_decide": (
        lambda t: [_leave_asked(t)],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "portal:member_accounts_open": (
        lambda t: [t.branch_a1.pk],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "portal:member_slips": (
        lambda t: [t.branch_a1.pk],
        expect(branch_worker=200, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "meetings:sign_in": (
        lambda t: [_published(t)],
        {
            **expect(),
            "member": 302,
            "branch_worker": 403,
            "committee_staff": 403,
            "supervisor": 403,
            "sibling_staff": 403,
        },
    ),
    "notify:notice": (
        lambda t: [0],
        {role: (302 if role == "anonymous" else 404) for role in ROLES},
    ),
    "learning:beat": (
        lambda t: [_lresource(t)],
        {**MEMBER_ONLY, "member": 400},
    ),  # a form post is not a heartbeat
    "learning:points_choice": (lambda t: [], {**MEMBER_ONLY, "member": 302}),
    "community:place_new": (
        lambda t: [_community(t)],
        expect(branch_worker=404, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "community:place": (
        lambda t: [_place(t)],
        expect(branch_worker=404, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "community:reports": (
        lambda t: [_community(t)],
        expect(branch_worker=404, committee_staff=404, supervisor=403, sibling_staff=404),
    ),
    "community:appraisals": (
        lambda t: [_community(t)],
        expect(branch_worker=404, committee_staff=404, supervisor=403, sibling_staff=404),
    ),
    "community:alliances": (
        lambda t: [_community(t)],
        expect(branch_worker=404, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "community:alliance": (
        lambda t: [_alliance(t)],
        expect(branch_worker=404, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "community:needs": (
        lambda t: [_community(t)],
        expect(branch_worker=404, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "community:issues": (
        lambda t: [_community(t)],
        expect(branch_worker=404, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "community:issue": (
        lambda t: [_issue(t)],
        {
            **dict.fromkeys(ROLES, 404),
            "anonymous": 302,
            "committee_staff": 403,
            "supervisor": 403,
        },
    ),
    "community:my": (lambda t: [], MEMBER_ONLY),
    "community:teams": (
        lambda t: [t.branch_a1.pk],
        expect(branch_worker=400, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "community:team": (
        lambda t: [_team(t)],
        expect(branch_worker=404, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "community:unit": (
        lambda t: [t.branch_a1.pk],
        expect(branch_worker=400, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "community:my_issue_new": (lambda t: [], {**MEMBER_ONLY, "member": 302}),
    "community:residence": (
        lambda t: [t.members["A1-1"].pk],
        expect(branch_worker=400, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "learning:transcript": (
        lambda t: [_lresource(t, video=True)],
        expect(branch_worker=403, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "transfers:act": (
        lambda t: [_transfer(t)],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "transfers:receipt_upload": (
        lambda t: [t.branch_a1.pk],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "recruitment:step": (
        lambda t: [_candidate(t)],
        expect(branch_worker=400, committee_staff=400, supervisor=403, sibling_staff=404),
    ),
    "recruitment:notice": (
        lambda t: [_candidate(t)],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "recruitment:close": (
        lambda t: [_candidate(t)],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "recruitment:cancel": (
        lambda t: [_candidate(t)],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "recruitment:extend": (
        lambda t: [_candidate(t)],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "recruitment:exception": (
        lambda t: [_candidate(t)],
        expect(branch_worker=404, committee_staff=404, supervisor=403, sibling_staff=404),
    ),
    "notify:read": (lambda t: [0], {role: (302 if role == "anonymous" else 404) for role in ROLES}),
    "supervision:act": (
        lambda t: [_task(t), t.branch_a1.assignments.first().pk],
        expect(branch_worker=302, committee_staff=302, supervisor=302, sibling_staff=404),
    ),
    "members:correction_decide": (
        lambda t: [t.members["A1-2"].pk, _correction(t)],
        expect(branch_worker=302, committee_staff=302, supervisor=403, sibling_staff=404),
    ),
    "members:unmask": (
        lambda t: [t.members["A1-1"].pk, "phone"],
        expect(branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404),
    ),
    "member-unmask": (
        lambda t: [t.members["A1-1"].pk, "phone"],
        expect(
            anonymous=403, branch_worker=403, committee_staff=200, supervisor=403, sibling_staff=404
        ),
    ),
}


def _held(t, kind="general_meeting"):
    from datetime import date

    from dangjian.meetings.models import Meeting

    return Meeting.objects.create(
        organization=t.branch_a1,
        kind=kind,
        status="held",
        held_on=date(2026, 1, 5),
        topic="会议",
        expected=4,
        attended=4,
    ).pk


def _planned(t):
    from datetime import timedelta

    from django.utils import timezone

    from dangjian.meetings.models import Meeting

    return Meeting.objects.create(
        organization=t.branch_a1,
        kind="theme_day",
        planned_on=timezone.localdate() + timedelta(days=3),
        topic="主题党日",
    ).pk


def _published(t):
    from django.utils import timezone

    from dangjian.meetings.models import Meeting

    return Meeting.objects.create(
        organization=t.branch_a1,
        kind="theme_day",
        status="published",
        planned_on=timezone.localdate(),
        topic="主题党日",
        sign_in_token="tok",
    ).pk


def _export_job(t):
    from dangjian.accounts.models import User
    from dangjian.interchange.models import ExportJob

    return ExportJob.objects.create(
        user=User.objects.get(username="staff_da"), name="members", title="党员花名册"
    ).pk


def _opinion(t):
    from dangjian.assistant.models import Opinion

    return Opinion.objects.get_or_create(
        member=t.members["A1-2"],
        organization=t.branch_a1,
        topic="life",
        text="建议主题党日放在周末。",
    )[0].pk


def _kb_piece(t):
    from dangjian.assistant.models import Document, Piece

    doc = Document.objects.create(
        key="甲区规定", title="甲区规定", kind="explanation", organization=t.district_a
    )
    return Piece.objects.create(
        document=doc, ordinal=0, text="甲区党员每月参加一次主题党日活动。", tokens="甲区 党员"
    ).pk


def _import_job(t):
    from dangjian.accounts.models import User
    from dangjian.interchange.models import ImportJob

    return ImportJob.objects.create(
        user=User.objects.get(username="worker_a1"),
        kind="members",
        title="导入党员名册",
        file_name="r.xlsx",
        sha256="0" * 64,
    ).pk


def _leave_asked(t):
    from django.utils import timezone

    from dangjian.meetings.models import Leave

    today = timezone.localdate()
    return Leave.objects.create(
        member=t.members["A1-2"],
        meeting_id=_published(t),
        starts_on=today,
        ends_on=today,
        reason="出差",
        status="requested",
        requested_at=timezone.now(),
    ).pk


def _meeting_file(t):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.core import uploads
    from dangjian.meetings.models import Attachment

    pk = _held(t)
    [f] = uploads.store([SimpleUploadedFile("记录.txt", "会议记录".encode())])
    a = Attachment.objects.create(
        meeting_id=pk,
        name=f.name,
        path=f.path,
        content_type=f.content_type,
        size=f.size,
        sha256=f.sha256,
    )
    return [pk, a.pk]


def _rectification(t):
    from datetime import date

    from dangjian.meetings.models import Rectification

    pk = _held(t, "life_meeting")
    return [
        pk,
        Rectification.objects.create(
            meeting_id=pk, item="整改", owner="书记", due_on=date(2026, 3, 1)
        ).pk,
    ]


def _handling(t):
    from datetime import date

    from dangjian.meetings.models import Handling

    m = t.members["A1-3"]
    return Handling.objects.create(
        member=m,
        organization=m.organization,
        reason="appraisal",
        detail="不合格",
        key="x",
        opened_on=date(2026, 1, 5),
    ).pk


def _community(t):
    """A street and a community under district A (plain inserts: the matrix may call this inside
    a transaction)."""
    from datetime import date

    from dangjian.orgs.models import Organization

    found = Organization.objects.filter(code="CM").first()
    if found is not None:
        return found.pk
    d = date(2010, 1, 1)
    da = Organization.objects.get(pk=t.district_a.pk)
    street = da.add_child(
        code="ST",
        name="中共示范街道工作委员会",
        kind="committee",
        category="community",
        established_on=d,
    )
    return street.add_child(
        code="CM",
        name="中共示范社区委员会",
        kind="committee",
        category="community",
        established_on=d,
    ).pk


def _village(t):
    """A village under district A with its party organization (plain inserts)."""
    from dangjian.orgs.models import Organization
    from dangjian.villages.models import Village

    v = Village.objects.filter(code="V001").first()
    if v is None:
        org = Organization.objects.get(pk=t.district_a.pk).add_child(
            code="VO1",
            name="中共示范村委员会",
            kind="committee",
            category="village",
            established_on=date(2000, 1, 1),
        )
        v = Village.objects.create(
            code="V001", name="示范村", town="示范镇", district="甲区", organization=org, key=True
        )
    return v.pk, v.organization_id


def _enterprise(t):
    """An enterprise in district A's charge (plain inserts; its credit code valid per GB 32100)."""
    from dangjian.enterprises.models import Enterprise
    from dangjian.orgs.models import Unit

    e = Enterprise.objects.filter(unit__credit_code="91350100M000100Y43").first()
    if e is None:
        u = Unit.objects.create(
            kind="unit",
            name="示范科技有限公司",
            credit_code="91350100M000100Y43",
            category="private",
            committee_id=t.district_a.pk,
        )
        e = Enterprise.objects.create(unit=u)
    return e.pk


def _jpeg_stored():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from dangjian.core import uploads

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    [f] = uploads.store(uploads.clean_photos([SimpleUploadedFile("a.jpg", buf.getvalue())]))
    return {"name": f.name, "path": f.path, "content_type": f.content_type, "size": f.size,
            "sha256": f.sha256}  # fmt: skip


def _commando(t):
    from dangjian.enterprises.models import CommandoTeam

    return CommandoTeam.objects.get_or_create(
        name="攻关突击队",
        defaults={
            "organization_id": t.district_a.pk,
            "kind": "commando",
            "project": "芯片攻关",
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2026, 12, 31),
        },  # fmt: skip
    )[0].pk


def _milestone_photo(t):
    from dangjian.enterprises.models import Milestone, MilestonePhoto

    m = Milestone.objects.create(team_id=_commando(t), on=date(2026, 2, 1), text="完成流片")
    return MilestonePhoto.objects.create(milestone=m, **_jpeg_stored()).pk


def _honour_file(t):
    from dangjian.enterprises.models import Honour, HonourFile

    h, _ = Honour.objects.get_or_create(
        organization_id=t.district_a.pk, title="先进基层党组织",
        defaults={"awarded_by": "市委", "level": "city", "year": 2025},
    )  # fmt: skip
    return HonourFile.objects.create(honour=h, **_jpeg_stored()).pk


def _brand_logo(t):
    from dangjian.enterprises.models import Brand, BrandLogo

    b, _ = Brand.objects.get_or_create(
        organization_id=t.district_a.pk, name="红色引擎", defaults={"since": 2020}
    )
    return BrandLogo.objects.create(brand=b, **_jpeg_stored()).pk


def _instructor(t):
    from dangjian.enterprises.models import Instructor

    return Instructor.objects.get_or_create(
        ref="ZT1",
        defaults={"name": "陈指导", "kind": "full", "organization_id": t.district_a.pk},
    )[0].pk


def _case(t):
    """A member found in the relationship check, handed to district A (plain inserts)."""
    from dangjian.enterprises.models import Assignment, InstructorVisit, RelationCase

    c = RelationCase.objects.first()
    if c is None:
        e, i = _enterprise(t), _instructor(t)
        Assignment.objects.create(instructor_id=i, enterprise_id=e, since=date(2026, 1, 1))
        v = InstructorVisit.objects.create(
            instructor_id=i, enterprise_id=e, visited_on=date(2026, 1, 2), met="张总",
            topics=["relations"],
        )  # fmt: skip
        c = RelationCase.objects.create(
            visit=v, name="林某", finding="lost", handler_id=t.district_a.pk
        )
    return c.pk


def _vround(t):
    from dangjian.villages.models import Round

    return Round.objects.get_or_create(
        name="2025—2027年组团帮扶",
        defaults={
            "organization_id": t.district_a.pk,
            "starts_on": date(2025, 1, 1),
            "ends_on": date(2027, 12, 31),
        },
    )[0].pk


def _varea(t):
    from dangjian.villages.models import Area

    a, _ = Area.objects.get_or_create(
        round_id=_vround(t), name="示范片区", defaults={"team_name": "示范团队", "leader": "张团长"}
    )
    a.villages.add(_village(t)[0])
    return a.pk


def _resident(t):
    from dangjian.villages.models import Resident

    return Resident.objects.get_or_create(
        village_id=_village(t)[0],
        member=t.members["A1-3"],
        defaults={"role": "first_secretary", "unit": t.branch_a1, "arrived_on": date(2026, 1, 1)},
    )[0].pk


def _vproject(t):
    from dangjian.villages.models import Project

    return Project.objects.get_or_create(
        village_id=_village(t)[0], name="鹧鸪养殖", defaults={"industry": "养殖"}
    )[0].pk


def _plot(t):
    from decimal import Decimal

    from dangjian.villages.models import Plot

    return Plot.objects.get_or_create(
        code="PL1",
        defaults={"village_id": _village(t)[0], "area_mu": Decimal("3.5"), "crop": "水稻"},
    )[0].pk


def _adoption(t):
    from dangjian.villages.models import Adoption

    return Adoption.objects.get_or_create(
        plot_id=_plot(t), season="2026", defaults={"unit": t.branch_a1}
    )[0].pk


def _plot_photo(t):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from dangjian.core import uploads
    from dangjian.villages.models import PlotActivity, PlotPhoto

    act = PlotActivity.objects.create(
        adoption_id=_adoption(t), kind="harvest", done_on=date(2026, 6, 1)
    )
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    [f] = uploads.store(uploads.clean_photos([SimpleUploadedFile("a.jpg", buf.getvalue())]))
    return PlotPhoto.objects.create(
        activity=act,
        name=f.name,
        path=f.path,
        content_type=f.content_type,
        size=f.size,
        sha256=f.sha256,
    ).pk


def _alliance(t):
    from datetime import date

    from dangjian.community.models import Alliance

    return Alliance.objects.get_or_create(
        community_id=_community(t),
        name="美食街共建共管共享协议",
        defaults={
            "parties": "美食街商户联合会\n示范物业",
            "commitments": "装卸货车位共管",
            "started_on": date(2026, 1, 1),
            "ends_on": date(2027, 1, 1),
        },
    )[0].pk


def _in_service(t):
    """District A, with branch A1 an office's branch: its members are 在职党员 who get 报到证."""
    from dangjian.orgs.models import Organization

    Organization.objects.filter(pk=t.branch_a1.pk).update(category="organ")
    return t.district_a.pk


def _place(t):
    from dangjian.community.models import Place

    return Place.objects.get_or_create(
        code="P001", defaults={"name": "示范花园", "community_id": _community(t)}
    )[0].pk


def _team(t):
    from datetime import date

    from dangjian.community.models import Team

    return Team.objects.get_or_create(
        owner_id=_community(t), name="巡查劝导先锋队", defaults={"formed_on": date(2026, 1, 5)}
    )[0].pk


def _issue(t):
    from datetime import date

    from dangjian.community.models import Issue

    return Issue.objects.create(
        community_id=_community(t),
        title="路灯不亮",
        text="三号楼前路灯坏了一周",
        raiser_name="邻长",
        raised_on=date(2026, 1, 5),
    ).pk


def _issue_photo(t):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from dangjian.community.models import Photo
    from dangjian.core import uploads

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    [f] = uploads.store(uploads.clean_photos([SimpleUploadedFile("a.jpg", buf.getvalue())]))
    return Photo.objects.create(
        issue_id=_issue(t),
        stage="raised",
        name=f.name,
        path=f.path,
        content_type=f.content_type,
        size=f.size,
        sha256=f.sha256,
    ).pk


def _lcourse(t):
    from datetime import date

    from dangjian.learning.models import Course

    c = Course.objects.create(
        publisher=t.district_a, title="党章学习", published_on=date(2026, 1, 5)
    )
    c.units.create(title="第一章")
    return c.pk


def _lresource(t, video=False):
    from dangjian.learning.models import Course, Resource

    c = Course.objects.get(pk=_lcourse(t))
    extra = {}
    if video:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from dangjian.core import uploads

        f = uploads.store_media(
            SimpleUploadedFile("v.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
        )
        extra = {"path": f.path, "content_type": f.content_type, "size": f.size}
    return Resource.objects.create(
        unit=c.units.get(),
        kind="video" if video else "article",
        title="总纲",
        body="<p>正文</p>",
        **extra,
    ).pk


def _lpaper(t):
    from dangjian.learning.models import Paper, Question

    q = Question.objects.create(
        publisher=t.district_a,
        topic="党章",
        kind="tf",
        text="题",
        choices=["正确", "错误"],
        answer=[0],
    )
    p = Paper.objects.create(publisher=t.district_a, title="测试", topic="党章")
    p.questions.add(q)
    return p.pk


def _lattempt(t):
    from dangjian.learning.models import Attempt

    return Attempt.objects.create(
        paper_id=_lpaper(t), member=t.members["A1-2"], answers={}, total=1
    ).pk


def _transfer(t, token=""):
    from datetime import date

    from dangjian.transfers.models import Transfer

    m = t.members["A1-3"]
    return Transfer.objects.create(
        member=m,
        from_org=m.organization,
        to_name="外单位党委",
        issued_on=date(2026, 1, 5),
        valid_days=90,
        letter_no="ZJTEST1",
        token=token,
    ).pk


def _incoming(t):
    from datetime import date

    from dangjian.transfers.models import IncomingLetter

    return IncomingLetter.objects.create(
        letter_no="WL1",
        from_name="外省",
        to_org=t.branch_a1,
        member_no="W1",
        name="外来",
        gender="男",
        birth_date=date(1990, 1, 1),
        member_status="full",
        joined_on=date(2015, 1, 1),
        issued_on=date(2026, 1, 5),
        valid_days=90,
        receipt_token="DJ1.receipt",
    ).pk


def _mobile(t):
    from datetime import date

    from dangjian.transfers.models import MobileMember

    m = t.members["A1-3"]
    return MobileMember.objects.create(
        direction="out",
        organization=m.organization,
        member=m,
        name=m.name,
        place="深圳",
        reason="务工",
        since=date(2026, 1, 5),
    ).pk


def _lost(t):
    from datetime import date

    from dangjian.transfers.models import LostContact

    m = t.members["A1-4"]
    return LostContact.objects.create(
        member=m, organization=m.organization, since=date(2026, 1, 5)
    ).pk


def _candidate(t):
    from datetime import date

    from dangjian.recruitment.models import Candidate

    c, _ = Candidate.objects.get_or_create(  # several routes share it
        person_no="R9001",
        defaults={
            "name": "申请人",
            "gender": "男",
            "birth_date": date(1998, 1, 1),
            "organization": t.branch_a1,
            "applied_on": date(2026, 1, 5),
        },
    )
    return c.pk


def _candidate_doc(t):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.core import uploads
    from dangjian.recruitment.models import Document

    pk = _candidate(t)
    [f] = uploads.store([SimpleUploadedFile("申请书.txt", "我志愿加入中国共产党".encode())])
    d = Document.objects.create(
        candidate_id=pk,
        step=1,
        name=f.name,
        path=f.path,
        content_type=f.content_type,
        size=f.size,
        sha256=f.sha256,
    )
    return [pk, d.pk]


def _payment(t):
    from datetime import date

    from dangjian.fees.models import Payment

    m = t.members["A1-2"]  # the member user's own record
    return Payment.objects.create(
        member=m,
        organization=m.organization,
        amount_fen=100,
        channel="cash",
        paid_on=date(2026, 1, 5),
        receipt_no="DF-TEST-1",
        months=["2026-01"],
    ).pk


def _order(t):
    from dangjian.fees.models import PaymentOrder, SandboxTransaction

    SandboxTransaction.objects.create(out_trade_no="DJTEST1", amount_fen=100, description="党费")
    return PaymentOrder.objects.create(
        out_trade_no="DJTEST1",
        provider="sandbox",
        member=t.members["A1-2"],
        month_indexes=[24312],
        amount_fen=100,
    ).out_trade_no


def _unit(t):
    from dangjian.orgs.models import Unit

    return Unit.objects.create(
        committee=t.district_a, name="示范公司", category="private", full_members=3
    ).pk


def _request(t):
    from datetime import date

    from dangjian.orgs.models import OrgRequest

    return OrgRequest.objects.create(
        committee=t.district_a, proposed_name="中共示范公司支部", submitted_on=date(2026, 1, 5)
    ).pk


def _election(t):
    from datetime import date

    from dangjian.orgs.models import Election

    return Election.objects.create(
        organization=t.branch_a1,
        held_on=date(2026, 1, 5),
        eligible=4,
        present=4,
        seats=1,
        candidates=2,
        min_winner_votes=3,
    ).pk


def _attachment(t):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.core import uploads
    from dangjian.supervision.models import Attachment, Task

    task = Task.objects.get(pk=_task(t))
    [f] = uploads.store([SimpleUploadedFile("要求.txt", "请按期整改。".encode())])
    a = Attachment.objects.create(
        task=task,
        name=f.name,
        path=f.path,
        content_type=f.content_type,
        size=f.size,
        sha256=f.sha256,
    )
    return [task.pk, a.pk]


def _run(t):
    from datetime import date

    from dangjian.compliance.models import ScanRun

    return ScanRun.objects.create(as_of=date(2026, 1, 15), scope=t.branch_a1).pk


def _task(t):
    from datetime import timedelta

    from django.utils import timezone

    from dangjian.supervision.models import Assignment, Task

    task = Task.objects.create(
        title="督办",
        body="要求",
        deadline=timezone.localdate() + timedelta(days=3),
        issuer=t.district_a.grants.first().user,
        issuer_org=t.district_a,
    )
    Assignment.objects.get_or_create(task=task, organization=t.branch_a1)
    return task.pk


def _aclass(t):
    from dangjian.academy.models import ClassKind, TrainingClass

    kind, _ = ClassKind.objects.get_or_create(
        code="secretary", defaults={"name": "支部书记培训班", "purpose": "secretary"}
    )
    k, _ = TrainingClass.objects.get_or_create(
        code="PX-MATRIX",
        defaults={
            "kind": kind,
            "organizer": t.district_a,
            "title": "支部书记培训班",
            "starts_on": date(2026, 3, 1),
            "ends_on": date(2026, 3, 3),
        },
    )
    return k.pk


def _asession(t):
    from datetime import time

    from dangjian.academy.models import ClassSession

    s, _ = ClassSession.objects.get_or_create(
        klass_id=_aclass(t),
        topic="党章",
        defaults={
            "on": date(2026, 3, 1),
            "starts_at": time(9),
            "ends_at": time(12),
            "hours": 3,
            "token": "t" * 43,
        },
    )
    return s.pk


def _aenrol(t):
    from django.utils import timezone

    from dangjian.academy.models import Enrolment

    e, _ = Enrolment.objects.get_or_create(
        klass_id=_aclass(t),
        member=t.members["A1-2"],
        defaults={
            "name": t.members["A1-2"].name,
            "nominee": "member",
            "nominated_by": t.branch_a1,
            "status": "accepted",
            "nominated_at": timezone.now(),
            "completed": True,
        },
    )
    return e.pk


def _acert(t):
    from dangjian.academy.models import Certificate

    c, _ = Certificate.objects.get_or_create(
        enrolment_id=_aenrol(t),
        defaults={"number": "JY-M-0001", "token": "v" * 32, "issued_on": date(2026, 3, 4)},
    )
    return c.pk


def _aleave(t):
    from dangjian.academy.models import LeaveRequest

    lv, _ = LeaveRequest.objects.get_or_create(
        session_id=_asession(t), enrolment_id=_aenrol(t), defaults={"reason": "出差"}
    )
    return lv.pk


def _abatch(t):
    from pathlib import Path

    from django.conf import settings
    from django.utils import timezone

    from dangjian.academy.models import CertificateBatch

    path = Path(settings.MEDIA_ROOT) / "academy" / "matrix.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    from dangjian.academy.documents import certificates_pdf

    path.write_bytes(certificates_pdf([], verify_url=str, footer="测试"))
    b = CertificateBatch.objects.create(
        klass_id=_aclass(t), path="academy/matrix.pdf", count=1, finished_at=timezone.now()
    )
    return b.pk


OPEN = {
    "portal:login",
    "portal:logout",
    "portal:otp",
    "portal:otp_setup",
    "portal:password_change",
    "portal:activate",  # open by design: tests/portal/test_activation.py
    "portal:activate_code",
    "portal:activate_slip",
    "healthz",
    "api-root",
}


def _client_for(client, users, role):
    if role != "anonymous":
        login(client, users[role])
    return client


# what a read may write: access logs, and the log of a document downloaded
READ_LOGS = [
    "accounts.access_denied",
    "members.view",
    "members.unmask",
    "members.data_download",
    "audit.view",
    "exports.export",
    "meetings.export",
    "recruitment.export",
    "transfers.export",
    "fees.receipt",
    "community.cards",
    "academy.export",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_get_matrix(client, tree, users, name, role):
    args_fn, query, expected = MATRIX[name]
    url = reverse(name.split("#")[0], args=args_fn(tree)) + query.format(a1=tree.branch_a1.pk)
    _client_for(client, users, role)
    before = AuditEvent.objects.exclude(action__in=READ_LOGS).count()
    resp = client.get(url)
    assert resp.status_code == expected[role], f"{name} as {role}: {resp.status_code}"
    # a read never writes anything but access logs
    assert AuditEvent.objects.exclude(action__in=READ_LOGS).count() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(POST_MATRIX))
def test_post_matrix(client, tree, users, name, role):
    args_fn, expected = POST_MATRIX[name]
    url = reverse(name, args=args_fn(tree))
    _client_for(client, users, role)
    resp = client.post(url)
    assert resp.status_code == expected[role], f"{name} as {role}: {resp.status_code}"


def test_sibling_404_leaves_no_trace_of_the_object(client, tree, users):
    login(client, users["sibling_staff"])
    resp = client.get(reverse("members:detail", args=[tree.members["A1-1"].pk]))
    assert resp.status_code == 404
    assert tree.members["A1-1"].name not in resp.content.decode()
    assert not AuditEvent.objects.filter(action="members.view").exists()


def _all_names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            yield from _all_names(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name


def test_every_route_is_in_the_matrix():
    covered = {n.split("#")[0] for n in MATRIX} | set(POST_MATRIX) | OPEN
    missing = sorted({n for n in _all_names() if not n.startswith("djdt")} - covered)
    assert missing == []


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_password_only_session_reaches_nothing(client, tree, users, name):
    """security.md A6: a staff session that has not passed two-factor is denied every route."""
    args_fn, query, _ = MATRIX[name]
    url = reverse(name.split("#")[0], args=args_fn(tree)) + query.format(a1=tree.branch_a1.pk)
    login(client, users["committee_staff"], verify=False)
    resp = client.get(url)
    if url.startswith("/api/"):
        assert resp.status_code == 403
    else:
        assert resp.status_code == 302
        assert resp["Location"] == reverse("portal:otp")
