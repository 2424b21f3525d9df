"""Data: regions become a province/city choice and certifications a scheme choice
(ADR 0017). The reverse leaves the cleaned values: they are valid text either way.

The free-text values already stored are read leniently ("zhejiang province", "宁波",
"Ningbo City") and rewritten as the list's English names; a known city with no or a
wrong province gets its province. A certificate name that plainly is a listed scheme
("OEKO-TEX Standard 100 class II") gets that scheme. Text that names nothing on the lists
is left as it was: it still shows, and the factory picks from the list on its next edit.
"""

from django.db import migrations

from factories import certifications, regions

CHINA = {"china", "中国", "prc", "peoplesrepublicofchina"}


def places_and_schemes(apps, schema_editor):
    FactoryProfile = apps.get_model("factories", "FactoryProfile")
    Certification = apps.get_model("factories", "Certification")
    for profile in FactoryProfile.objects.only("pk", "country", "region", "city").iterator():
        if regions.normalize(profile.country) not in CHINA:
            continue
        province = regions.province_resolve(profile.region)
        city = regions.city_resolve(profile.city, province=province)
        if city is not None:
            province = regions.PROVINCE_BY_NAME[city.province]
        region = province.name if province else profile.region
        city_name = city.name if city else profile.city
        if (region, city_name) != (profile.region, profile.city):
            FactoryProfile.objects.filter(pk=profile.pk).update(region=region, city=city_name)
    for certification in Certification.objects.filter(scheme="").only("pk", "name").iterator():
        scheme = certifications.scheme_for_name(certification.name)
        if scheme is not None:
            Certification.objects.filter(pk=certification.pk).update(scheme=scheme.code)


class Migration(migrations.Migration):
    dependencies = [
        ("factories", "0008_certification_scheme"),
    ]

    operations = [
        migrations.RunPython(places_and_schemes, migrations.RunPython.noop, elidable=True),
    ]
