from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        from catalog.models import Category
        from catalog.selectors import category_cache_invalidate

        for signal in (post_save, post_delete):
            signal.connect(category_cache_invalidate, sender=Category, dispatch_uid=signal)
