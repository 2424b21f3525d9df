from django.apps import AppConfig


class IotGatewayConfig(AppConfig):
    name = "iot_gateway"
