from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "wenshu.web"
    label = "web"
    verbose_name = "wenshu 文书"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from wenshu.web import audit  # noqa: F401  (connects the login signals)
