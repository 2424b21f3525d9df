from django.db.models import QuerySet

from catalog.models import Category


def category_list() -> QuerySet[Category]:
    return Category.objects.select_related("parent").order_by("parent_id", "position", "name")


def category_leaves() -> QuerySet[Category]:
    return Category.objects.filter(children__isnull=True).order_by("name")


def category_by_slug(*, slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()
