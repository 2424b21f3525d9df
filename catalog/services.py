from django.db import transaction

from catalog.models import Category


@transaction.atomic
def category_tree_ensure(*, tree: list[dict], parent: Category | None = None) -> list[Category]:
    """Create or update categories from nested dicts (slug, name, name_zh, children)."""
    created = []
    for position, node in enumerate(tree):
        category, _ = Category.objects.update_or_create(
            slug=node["slug"],
            defaults={
                "name": node["name"],
                "name_zh": node.get("name_zh", ""),
                "parent": parent,
                "position": position,
            },
        )
        created.append(category)
        created.extend(category_tree_ensure(tree=node.get("children", []), parent=category))
    return created
