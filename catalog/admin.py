from django.contrib import admin

from catalog.models import Category, PriceTier, Product, ProductImage, Solution, SolutionItem


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "name_zh", "slug", "parent", "position")
    list_filter = ("parent",)
    search_fields = ("name", "name_zh", "slug")
    prepopulated_fields = {"slug": ("name",)}


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    extra = 0


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ("image", "alt_text", "position", "width", "height")
    readonly_fields = ("width", "height")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "factory", "base_price_minor", "currency", "is_published")
    list_filter = ("is_published", "is_customizable", "category")
    search_fields = ("name", "name_zh", "slug")
    list_select_related = ("category", "factory")
    raw_id_fields = ("factory",)
    inlines = (PriceTierInline, ProductImageInline)


class SolutionItemInline(admin.TabularInline):
    model = SolutionItem
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Solution)
class SolutionAdmin(admin.ModelAdmin):
    list_display = ("name", "application_area", "is_published", "position")
    search_fields = ("name", "name_zh", "application_area")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (SolutionItemInline,)
