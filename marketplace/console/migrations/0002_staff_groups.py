"""The four staff groups with their model permissions (see marketplace/console/staff.py).

Permissions are normally created after `migrate` finishes (post_migrate); they are created
here first so that a fresh database gets the groups filled in one run."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ("view",)
DECIDE = ("view", "change")

GROUPS = {
    "auditor": {
        "factories": {
            "auditsubmission": DECIDE,
            "auditevidence": VIEW,
            "factoryprofile": VIEW,
            "certification": VIEW,
            "productionline": VIEW,
            "equipment": VIEW,
            "capacityday": VIEW,
        },
        "marketplace": {"organization": VIEW, "membership": VIEW},
        "console": {"auditevent": VIEW},
    },
    "arbiter": {
        "orders": {"order": VIEW, "dispute": DECIDE, "inspection": VIEW, "orderevent": VIEW},
        "finance": {"disputedecision": ("view", "add"), "payment": VIEW},
        "marketplace": {"organization": VIEW},
        "console": {"auditevent": VIEW},
    },
    "finance": {
        "finance": {
            "payment": DECIDE,
            "creditline": ("view", "add", "change"),
            "creditdraw": DECIDE,
            "financingadvance": DECIDE,
            "account": VIEW,
            "journaltransaction": VIEW,
            "posting": VIEW,
            "refund": VIEW,
            "stripeevent": VIEW,
            "disputedecision": VIEW,
        },
        "orders": {"order": VIEW},
        "marketplace": {"organization": VIEW},
        "console": {"auditevent": VIEW},
    },
    "content": {
        "catalog": {"category": ("view", "add", "change", "delete")},
        "orders": {"inspectionchecklistitem": ("view", "add", "change", "delete")},
        "factories": {"factoryprofile": VIEW, "factoryphoto": VIEW},
    },
}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, grants in GROUPS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for app_label, models in grants.items():
            for model, actions in models.items():
                codenames = [f"{action}_{model}" for action in actions]
                permissions = permission_model.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
                assert permissions.count() == len(codenames), (app_label, codenames)
                group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0001_audit_log"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0001_initial"),
        ("factories", "0007_audit_log_triggers"),
        ("finance", "0003_audit_log_triggers"),
        ("marketplace", "0005_audit_log_triggers"),
        ("orders", "0004_audit_log_triggers"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
