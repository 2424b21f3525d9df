from django.contrib import admin

from customization.models import (
    CustomizableProduct,
    Design,
    DesignModule,
    Option,
    OptionGroup,
    OptionRule,
    ProductionBatch,
)


class OptionGroupInline(admin.StackedInline):
    model = OptionGroup
    extra = 0
    show_change_link = True


class OptionRuleInline(admin.TabularInline):
    model = OptionRule
    extra = 0
    raw_id_fields = ("option", "target")


@admin.register(CustomizableProduct)
class CustomizableProductAdmin(admin.ModelAdmin):
    list_display = ("product", "recipe")
    list_select_related = ("product",)
    raw_id_fields = ("product",)
    inlines = (OptionGroupInline, OptionRuleInline)


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0


@admin.register(OptionGroup)
class OptionGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "product", "position")
    list_filter = ("kind",)
    list_select_related = ("product__product",)
    inlines = (OptionInline,)


class DesignModuleInline(admin.TabularInline):
    model = DesignModule
    extra = 0
    readonly_fields = ("name", "attributes", "quantity_per_unit", "signature")
    can_delete = False


@admin.register(Design)
class DesignAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "product", "quantity", "unit_price_minor", "created_at")
    list_select_related = ("organization", "product__product")
    readonly_fields = ("selections", "unit_price_minor", "total_minor", "configuration_key")
    raw_id_fields = ("organization", "created_by", "product")
    inlines = (DesignModuleInline,)


@admin.register(ProductionBatch)
class ProductionBatchAdmin(admin.ModelAdmin):
    list_display = ("signature", "day", "organization", "created_at")
    list_filter = ("day",)
    list_select_related = ("organization",)
    # Massing alone writes a batch and the lines it covers (ADR 0007).
    readonly_fields = (
        "organization",
        "signature",
        "day",
        "created_at",
        "first_line",
        "last_line",
        "start_from",
        "start_to",
    )
