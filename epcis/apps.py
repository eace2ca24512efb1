from django.apps import AppConfig


class EpcisConfig(AppConfig):
    name = "epcis"
    verbose_name = "EPCIS events"

    def ready(self) -> None:
        # Registers the start-up check of the EPCIS_AFTER_STORE hooks.
        from epcis.capture import hooks  # noqa: F401
