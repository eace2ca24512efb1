from django.apps import AppConfig


class TraceConfig(AppConfig):
    name = "trace"
    verbose_name = "Lineage and trace"
