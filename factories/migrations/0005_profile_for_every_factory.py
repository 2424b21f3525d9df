"""Every factory organization has a profile and a performance record from its creation on
(so no page or API read writes one); this gives them to factories created before that."""

from django.db import migrations


def create_missing(apps, schema_editor):
    Organization = apps.get_model("marketplace", "Organization")
    FactoryProfile = apps.get_model("factories", "FactoryProfile")
    FactoryPerformance = apps.get_model("factories", "FactoryPerformance")
    factories = Organization.objects.filter(kind="factory")
    FactoryProfile.objects.bulk_create(
        FactoryProfile(organization=organization)
        for organization in factories.filter(factory_profile__isnull=True)
    )
    FactoryPerformance.objects.bulk_create(
        FactoryPerformance(organization=organization)
        for organization in factories.filter(factory_performance__isnull=True)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("factories", "0004_equipment_year_not_in_future"),
        ("marketplace", "0002_notification"),
    ]

    operations = [migrations.RunPython(create_missing, migrations.RunPython.noop)]
