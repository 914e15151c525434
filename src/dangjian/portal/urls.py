from django.urls import path

from .views import activate, audit, console, home, member_accounts, signin

app_name = "portal"

urlpatterns = [
    path("", home.home_view, name="home"),
    path("me/", home.me_view, name="me"),
    path("me/info/", home.me_info_view, name="me_info"),
    path("me/info/data.json", home.me_data_view, name="me_data"),
    path("m/", home.member_home_view, name="member_home"),
    path("accounts/login/", signin.login_view, name="login"),
    path("accounts/logout/", signin.logout_view, name="logout"),
    path("accounts/activate/", activate.activate_view, name="activate"),
    path("accounts/activate/code/", activate.activate_code_view, name="activate_code"),
    path("accounts/activate/slip/", activate.activate_slip_view, name="activate_slip"),
    path("accounts/2fa/", signin.otp_view, name="otp"),
    path("accounts/2fa/setup/", signin.otp_setup_view, name="otp_setup"),
    path("accounts/password/", signin.password_change_view, name="password_change"),
    path("accounts/users/", console.user_list_view, name="users"),
    path("accounts/grants/", console.grant_list_view, name="grants"),
    path("accounts/grants/orgs/", console.grant_org_lookup_view, name="grant_orgs"),
    path("accounts/grants/users/", console.grant_user_lookup_view, name="grant_users"),
    path("accounts/users/members/", console.account_member_lookup_view, name="account_members"),
    path("audit/", audit.list_view, name="audit"),
    path(
        "accounts/members/<int:pk>/",
        member_accounts.member_accounts_view,
        name="member_accounts",
    ),
    path(
        "accounts/members/<int:pk>/open/",
        member_accounts.member_accounts_open_view,
        name="member_accounts_open",
    ),
    path(
        "accounts/members/<int:pk>/slips/", member_accounts.member_slips_view, name="member_slips"
    ),
]
