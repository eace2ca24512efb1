"""The lineage graph's tables (trace.models): derived from the events, rebuilt by
`manage.py rebuild_lineage`, so a database that has events gets them by running it."""

import django.db.models.deletion
import epcis.models
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # Any migration that has epcis.Event: the lineage only references its rows.
        ('epcis', '0008_capture_job_enqueued_at'),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingParent',
            fields=[
                ('parent', epcis.models.CodePointCharField(max_length=300, primary_key=True, serialize=False)),
            ],
        ),
        migrations.CreateModel(
            name='Retraction',
            fields=[
                ('retracted', epcis.models.CodePointCharField(max_length=300, primary_key=True, serialize=False)),
                ('declared_at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='Containment',
            fields=[
                ('pk', models.CompositePrimaryKey('child', 'from_event_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('parent', epcis.models.CodePointCharField(max_length=300)),
                ('child', epcis.models.CodePointCharField(max_length=300)),
                ('from_time', models.DateTimeField()),
                ('until_time', models.DateTimeField(null=True)),
                ('from_event', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='epcis.event')),
                ('until_event', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='epcis.event')),
            ],
        ),
        migrations.CreateModel(
            name='EndOfLife',
            fields=[
                ('pk', models.CompositePrimaryKey('identifier', 'event_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('identifier', epcis.models.CodePointCharField(max_length=300)),
                ('event_time', models.DateTimeField()),
                ('event', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='epcis.event')),
            ],
        ),
        migrations.CreateModel(
            name='LotMembership',
            fields=[
                ('unit', epcis.models.CodePointCharField(max_length=300, primary_key=True, serialize=False)),
                ('lot', epcis.models.CodePointCharField(max_length=300)),
                ('event_time', models.DateTimeField()),
                ('event', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='epcis.event')),
            ],
        ),
        migrations.CreateModel(
            name='LotQuantity',
            fields=[
                ('pk', models.CompositePrimaryKey('lot', 'event_id', 'seq', blank=True, editable=False, primary_key=True, serialize=False)),
                ('lot', epcis.models.CodePointCharField(max_length=300)),
                ('seq', models.SmallIntegerField()),
                ('event_time', models.DateTimeField()),
                ('quantity', models.FloatField(null=True)),
                ('uom', models.CharField(blank=True, max_length=4)),
                ('event', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='epcis.event')),
            ],
        ),
        migrations.CreateModel(
            name='TransformationMember',
            fields=[
                ('pk', models.CompositePrimaryKey('identifier', 'side', 'group', 'event_id', 'seq', blank=True, editable=False, primary_key=True, serialize=False)),
                ('identifier', epcis.models.CodePointCharField(max_length=300)),
                ('side', models.CharField(choices=[('i', 'Input'), ('o', 'Output')], max_length=1)),
                ('group', epcis.models.CodePointCharField(max_length=320)),
                ('seq', models.SmallIntegerField()),
                ('event_time', models.DateTimeField()),
                ('is_class', models.BooleanField()),
                ('quantity', models.FloatField(null=True)),
                ('uom', models.CharField(blank=True, max_length=4)),
                ('event', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='epcis.event')),
            ],
            options={
                'indexes': [models.Index(fields=['group', 'side'], name='trace_transformation_group')],
            },
        ),
    ]
