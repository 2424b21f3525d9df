from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save


class CustomizationConfig(AppConfig):
    name = "customization"

    def ready(self) -> None:
        from catalog.models import PriceTier, Product
        from customization import receivers  # noqa: F401  (connects them)
        from customization.models import CustomizableProduct, Option, OptionGroup, OptionRule
        from customization.selectors import customizable_product_cache_drop

        def product_pk(instance) -> int | None:
            if isinstance(instance, Product):
                return instance.pk
            if isinstance(instance, PriceTier | CustomizableProduct):
                return instance.product_id
            if isinstance(instance, OptionGroup | OptionRule):
                return instance.product.product_id
            if isinstance(instance, Option):
                return instance.group.product.product_id
            return None

        def drop(sender, instance, **_arguments) -> None:
            pk = product_pk(instance)
            if pk is not None:
                # Again after commit: a request may have cached the old rows in between.
                customizable_product_cache_drop(product_pk=pk)
                transaction.on_commit(lambda: customizable_product_cache_drop(product_pk=pk))

        for model in (Product, PriceTier, CustomizableProduct, OptionGroup, Option, OptionRule):
            for signal in (post_save, post_delete):
                signal.connect(drop, sender=model, dispatch_uid=f"customization-{model.__name__}")
