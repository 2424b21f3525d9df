from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("factories", "0007_audit_log_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="certification",
            name="scheme",
            field=models.CharField(blank=True, db_default="", max_length=30, verbose_name="scheme"),
        ),
    ]
