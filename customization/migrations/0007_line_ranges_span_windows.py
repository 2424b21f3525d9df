import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """A line range spans windows: the lines whose window starts in [start_from, start_to]
    and ends in [end_from, end_to] (a range of one window keeps both bounds equal); a
    batch carries the range of the lines it was opened for. The open lines' index covers
    massing's reads, and a batch's organization has no database constraint (its per-row
    checks at commit cost as much as inserting the batches)."""

    dependencies = [
        ("customization", "0006_line_ranges"),
        ("marketplace", "0007_inspection_organizations"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="linerange",
            name="customization_range_ordered",
        ),
        migrations.RemoveIndex(
            model_name="linerange",
            name="customization_range_lookup",
        ),
        migrations.RenameField(
            model_name="linerange",
            old_name="window_start",
            new_name="start_from",
        ),
        migrations.RenameField(
            model_name="linerange",
            old_name="window_end",
            new_name="end_from",
        ),
        migrations.AlterField(
            model_name="linerange",
            name="start_from",
            field=models.DateField(verbose_name="window starts from"),
        ),
        migrations.AlterField(
            model_name="linerange",
            name="end_from",
            field=models.DateField(verbose_name="window ends from"),
        ),
        migrations.AddField(
            model_name="linerange",
            name="start_to",
            field=models.DateField(null=True, verbose_name="window starts until"),
        ),
        migrations.AddField(
            model_name="linerange",
            name="end_to",
            field=models.DateField(null=True, verbose_name="window ends until"),
        ),
        migrations.RunSQL(
            sql="UPDATE customization_linerange SET start_to = start_from, end_to = end_from;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="linerange",
            name="start_to",
            field=models.DateField(verbose_name="window starts until"),
        ),
        migrations.AlterField(
            model_name="linerange",
            name="end_to",
            field=models.DateField(verbose_name="window ends until"),
        ),
        migrations.AddIndex(
            model_name="linerange",
            index=models.Index(
                fields=["batch", "start_from", "end_from", "first_line"],
                name="customization_range_lookup",
            ),
        ),
        migrations.AddConstraint(
            model_name="linerange",
            constraint=models.CheckConstraint(
                condition=models.Q(first_line__lte=models.F("last_line"))
                & models.Q(start_from__lte=models.F("start_to"))
                & models.Q(end_from__lte=models.F("end_to")),
                name="customization_range_ordered",
            ),
        ),
        migrations.RemoveIndex(
            model_name="ordermodule",
            name="customization_module_open",
        ),
        migrations.AddIndex(
            model_name="ordermodule",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=["organization", "signature", "window_start", "window_end"],
                include=("units", "order", "id"),
                name="customization_module_open",
            ),
        ),
        migrations.AlterField(
            model_name="productionbatch",
            name="organization",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="marketplace.organization",
            ),
        ),
            migrations.AddField(
            model_name="productionbatch",
            name="first_line",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="first line"),
        ),
        migrations.AddField(
            model_name="productionbatch",
            name="last_line",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="last line"),
        ),
        migrations.AddField(
            model_name="productionbatch",
            name="start_from",
            field=models.DateField(blank=True, null=True, verbose_name="window starts from"),
        ),
        migrations.AddField(
            model_name="productionbatch",
            name="start_to",
            field=models.DateField(blank=True, null=True, verbose_name="window starts until"),
        ),
        migrations.AddConstraint(
            model_name="productionbatch",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    first_line__isnull=True,
                    last_line__isnull=True,
                    start_from__isnull=True,
                    start_to__isnull=True,
                )
                | models.Q(
                    first_line__lte=models.F("last_line"),
                    start_from__lte=models.F("start_to"),
                    start_to__lte=models.F("day"),
                ),
                name="customization_batch_range",
            ),
        ),
    ]
