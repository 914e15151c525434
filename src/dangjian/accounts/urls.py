from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("2fa/", views.otp_view, name="otp"),
    path("2fa/setup/", views.otp_setup_view, name="otp_setup"),
    path("password/", views.password_change_view, name="password_change"),
    path("users/", views.user_list_view, name="users"),
    path("grants/", views.grant_list_view, name="grants"),
]
