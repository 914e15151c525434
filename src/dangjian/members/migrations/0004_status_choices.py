# Squashed from 0004 (exit kinds and 取消预备党员资格) and 0005 (组织关系已转出): the member and
# history status choices in one step. `replaces` lets a database that applied the two take this one.

from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [
        ('members', '0004_alter_member_status_alter_memberevent_from_status_and_more'),
        ('members', '0005_alter_member_status_alter_memberevent_from_status_and_more'),
    ]

    dependencies = [
        ('members', '0003_name_prefix_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='member',
            name='status',
            field=models.CharField(choices=[('probationary', '预备党员'), ('full', '正式党员'), ('suspended', '停止党籍'), ('persuaded', '劝退'), ('removed_refused', '劝而不退除名'), ('removed_lapsed', '自行脱党除名'), ('removed_withdrew', '退党除名'), ('expelled', '开除党籍'), ('deceased', '去世'), ('disqualified', '取消预备党员资格'), ('transferred_out', '组织关系已转出')], max_length=20, verbose_name='党籍状态'),
        ),
        migrations.AlterField(
            model_name='memberevent',
            name='from_status',
            field=models.CharField(blank=True, choices=[('probationary', '预备党员'), ('full', '正式党员'), ('suspended', '停止党籍'), ('persuaded', '劝退'), ('removed_refused', '劝而不退除名'), ('removed_lapsed', '自行脱党除名'), ('removed_withdrew', '退党除名'), ('expelled', '开除党籍'), ('deceased', '去世'), ('disqualified', '取消预备党员资格'), ('transferred_out', '组织关系已转出')], max_length=20),
        ),
        migrations.AlterField(
            model_name='memberevent',
            name='to_status',
            field=models.CharField(blank=True, choices=[('probationary', '预备党员'), ('full', '正式党员'), ('suspended', '停止党籍'), ('persuaded', '劝退'), ('removed_refused', '劝而不退除名'), ('removed_lapsed', '自行脱党除名'), ('removed_withdrew', '退党除名'), ('expelled', '开除党籍'), ('deceased', '去世'), ('disqualified', '取消预备党员资格'), ('transferred_out', '组织关系已转出')], max_length=20),
        ),
    ]
