from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.i18n import BilingualName
from marketplace.money import DEFAULT_CURRENCY, Money

# Full-text search runs on the `simple` configuration: it lowercases and splits on spaces
# and punctuation without stemming, so English and pinyin words match as typed; Chinese,
# written without spaces, is matched by the trigram index on the names (see ADR 0007 and
# catalog.selectors.product_search).
SEARCH_CONFIG = "simple"
FULL_PRICE_BASIS_POINTS = 10_000


class Category(BilingualName, models.Model):
    """The platform-wide product category tree (not tenant-owned: every party shares it)."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_zh = models.CharField(_("Chinese name"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_leaf(self) -> bool:
        return not self.children.exists()


class ProductQuerySet(models.QuerySet["Product"]):
    def published(self) -> "ProductQuerySet":
        return self.filter(is_published=True)


class Product(BilingualName, models.Model):
    """A catalog product, published by a factory (`factory`) or by the platform (no
    factory). The catalog is public: every organization reads it; only the publishing
    factory (or an operator) changes it."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    factory = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="catalog_products",
        verbose_name=_("factory"),
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    specifications = models.JSONField(
        _("specifications"), default=list, blank=True, help_text=_("[{name, value}]")
    )
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    base_price_minor = models.BigIntegerField(
        _("base unit price (minor units)"), validators=[MinValueValidator(0)]
    )
    min_order_quantity = models.PositiveIntegerField(
        _("minimum order quantity"), default=1, validators=[MinValueValidator(1)]
    )
    is_customizable = models.BooleanField(_("customizable"), default=False)
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    search_vector = models.GeneratedField(
        expression=SearchVector("name", "name_zh", "summary", "description", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            GinIndex(fields=["search_vector"], name="catalog_product_search"),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="catalog_product_name_trgm"),
            GinIndex(
                fields=["name_zh"], opclasses=["gin_trgm_ops"], name="catalog_product_name_zh_trgm"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def base_price(self) -> Money:
        return Money(self.base_price_minor, self.currency)


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to="catalog/products/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="catalog/thumbnails/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(_("description"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self) -> str:
        return self.alt_text or f"{self.product_id} #{self.position}"


class PriceTier(models.Model):
    """From `min_quantity` units on, the unit price is `basis_points`/10,000 of the full
    price (base plus option deltas): the same tier applies to every configuration."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_tiers")
    min_quantity = models.PositiveIntegerField(
        _("from quantity"), validators=[MinValueValidator(1)]
    )
    basis_points = models.PositiveIntegerField(
        _("share of the full price (1/10,000)"),
        validators=[MinValueValidator(1), MaxValueValidator(FULL_PRICE_BASIS_POINTS)],
    )

    class Meta:
        ordering = ["product", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "min_quantity"], name="catalog_tier_unique_quantity"
            ),
            models.CheckConstraint(
                condition=models.Q(basis_points__gte=1, basis_points__lte=FULL_PRICE_BASIS_POINTS),
                name="catalog_tier_basis_points_range",
            ),
        ]
        verbose_name = _("price tier")
        verbose_name_plural = _("price tiers")

    def __str__(self) -> str:
        return f"{self.min_quantity}+: {self.basis_points / 100:g}%"


class Solution(BilingualName, models.Model):
    """A scene-navigation bundle: the products an application area needs ("a small garment
    workshop", "HVAC for a 200 m2 office"), each with its role, and a configuration list."""

    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    application_area = models.CharField(_("application area"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    configuration = models.JSONField(
        _("configuration list"), default=list, blank=True, help_text=_("[{name, value}]")
    )
    is_published = models.BooleanField(_("published"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("solution")
        verbose_name_plural = _("solutions")

    def __str__(self) -> str:
        return self.display_name


class SolutionItem(models.Model):
    solution = models.ForeignKey(Solution, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=120)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    note = models.CharField(_("note"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("solution item")
        verbose_name_plural = _("solution items")

    def __str__(self) -> str:
        return f"{self.role}: {self.product_id}"
