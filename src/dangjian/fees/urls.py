from django.urls import path

from . import views

app_name = "fees"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("org/<int:pk>/", views.grid_view, name="grid"),
    path("summary/<int:pk>/", views.summary_view, name="summary"),
    path("org/<int:pk>/collection-day/", views.collection_day_view, name="collection_day"),
    path("org/<int:pk>/annual/", views.annual_view, name="annual"),
    path("accounts/<int:pk>/", views.accounts_view, name="accounts"),
    path("accounts/<int:pk>/remit/", views.remit_view, name="remit"),
    path("accounts/<int:pk>/publish/", views.publish_view, name="publish"),
    path("member/<int:member_id>/pay/", views.pay_offline_view, name="pay_offline"),
    path("receipts/<int:payment_id>/", views.receipt_view, name="receipt"),
    path("me/", views.my_fees_view, name="my"),
    path("me/pay/", views.my_pay_view, name="my_pay"),
    path("me/orders/<str:out_trade_no>/", views.my_order_view, name="my_order"),
    path("sandbox/<str:out_trade_no>/", views.sandbox_pay_view, name="sandbox_pay"),
    path("callback/<str:provider_name>/", views.callback_view, name="callback"),
]
