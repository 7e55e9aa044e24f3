from django.contrib.auth import views as auth_views
from django.urls import path, re_path, register_converter
from django.views.static import serve

from wenshu.web import batches, casesview, issuing, numbers, receiving, transferview, views
from wenshu.web.settings import HERE


class CodeConverter:
    """档号 in a URL: A001-WS·2022-D30-BGS-0001 (the view parses it; anything else is 404)."""

    regex = r"[^/]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(CodeConverter, "code")

urlpatterns = [
    path("", views.search, name="search"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("record/<code:code>/", views.record, name="record"),
    path("record/<code:code>/file/<int:index_>/", views.file_by_index, name="file"),
    path("record/<code:code>/file/<path:name>", views.file_by_name, name="file_by_name"),
    path("record/<code:code>/page/<int:index_>/<int:page>.png", views.page_image, name="page"),
    path("audit/", views.audit, name="audit"),
    path("users/", views.users, name="users"),
    # part 2 (issue 15): 拟文/发文 and the 文号 ledger
    path("issue/", issuing.choose, name="issue"),
    path("issue/<str:name>/", issuing.form, name="issue_form"),
    path("numbers/", numbers.ledger, name="numbers"),
    path("numbers/<str:what>/", numbers.change, name="numbers_change"),
    # part 2: 收文登记, 案件/督办, 移交 (receiving.py, casesview.py, transferview.py)
    path("receive/", receiving.receive_list, name="receive"),
    path("receive/upload/", receiving.receive_upload, name="receive_upload"),
    path("receive/<str:key>/", receiving.receive_item, name="receive_item"),
    path("receive/<str:key>/discard/", receiving.receive_discard, name="receive_discard"),
    path("receive/<str:key>/page/<int:page>.png", receiving.receive_page, name="receive_page"),
    path("cases/", casesview.case_list, name="cases"),
    path("cases/link/", casesview.case_link, name="case_link"),
    path("cases/<str:case_id>/", casesview.case_page, name="case"),
    path("transfer/", transferview.transfer, name="transfer"),
    path("transfer/build/", transferview.transfer_build, name="transfer_build"),
    path("transfer/verify/", transferview.transfer_verify, name="transfer_verify"),
    path("transfer/import/", transferview.transfer_import, name="transfer_import"),
    path("transfer/task/<int:pk>/", transferview.transfer_task, name="transfer_task"),
    path("transfer/task/<int:pk>/download/", transferview.transfer_download, name="transfer_download"),
    # part 2: 批量 (batches.py) and adding a 机关代字 (numbers.py)
    path("batch/", batches.batch, name="batch"),
    path("batch/run/", batches.batch_run, name="batch_run"),
    path("batch/task/<int:pk>/", batches.batch_task, name="batch_task"),
    path("batch/task/<int:pk>/status/", batches.batch_status, name="batch_status"),
    path("batch/task/<int:pk>/file/<path:name>", batches.batch_download, name="batch_download"),
    path("numbers-prefix/", numbers.add_prefix, name="numbers_prefix"),
    # the app's own CSS/JS, shipped in the package (no CDN; waitress serves them through Django)
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": str(HERE / "static")}),
]

handler404 = "wenshu.web.views.not_found"
handler500 = "wenshu.web.views.server_error"
