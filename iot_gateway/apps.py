from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class IotGatewayConfig(AppConfig):
    name = "iot_gateway"
    verbose_name = "Equipment"

    def ready(self) -> None:
        from iot_gateway import metrics
        from iot_gateway.models import Metric

        def _changed(**kwargs) -> None:
            metrics.registry_changed()

        # weak=False: `_changed` is local to this method, and a weakly held receiver would be
        # collected as soon as it returns (the registry then kept ids of deleted metrics).
        post_save.connect(_changed, sender=Metric, weak=False, dispatch_uid="iot-metric-saved")
        post_delete.connect(_changed, sender=Metric, weak=False, dispatch_uid="iot-metric-deleted")
