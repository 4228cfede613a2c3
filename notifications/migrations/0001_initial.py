# Takes over the notification tables that coaching.0002 renamed: state only, the rows stay.
import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import relabel_content_types

MODELS = ("notification", "notificationpreference", "digest")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("coaching", "0002_move_notifications"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Digest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('daily', 'Daily digest of notifications'), ('coach_weekly', 'Weekly coach digest')], max_length=15)),
                        ('period_start', models.DateField()),
                        ('status', models.CharField(choices=[('sending', 'Being sent'), ('sent', 'Sent'), ('failed', 'Failed; will be retried'), ('empty', 'Nothing to send')], default='sending', max_length=10)),
                        ('subject', models.CharField(blank=True, max_length=200)),
                        ('body', models.TextField(blank=True)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='digests', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-period_start', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('kind', models.CharField(choices=[('comment', 'Comments and replies'), ('relationship', 'Coaching invitations and changes'), ('meeting', 'Meetings and action items'), ('reminder_checkin', 'Reminder: check in before a review'), ('reminder_goal', 'Reminder: overdue goals'), ('reminder_meeting', 'Reminder: meeting tomorrow'), ('coach_digest', 'Weekly digest of my coachees'), ('observation_request', 'Observation requests'), ('assessment', 'Assessments about me'), ('review', 'Committee reviews'), ('learning', 'Learning suggestions before clinics')], max_length=30)),
                        ('title', models.CharField(max_length=200)),
                        ('body', models.TextField(blank=True, max_length=4000)),
                        ('url', models.CharField(blank=True, max_length=500)),
                        ('dedupe_key', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('email_status', models.CharField(choices=[('pending', 'To send'), ('sending', 'Being sent'), ('digest', 'Waiting for the daily digest'), ('sent', 'Sent'), ('skipped', 'Not emailed'), ('failed', 'Could not be sent')], default='pending', max_length=10)),
                        ('email_attempts', models.PositiveSmallIntegerField(default=0)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('digest', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='notifications', to='notifications.digest')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='NotificationPreference',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('comment', 'Comments and replies'), ('relationship', 'Coaching invitations and changes'), ('meeting', 'Meetings and action items'), ('reminder_checkin', 'Reminder: check in before a review'), ('reminder_goal', 'Reminder: overdue goals'), ('reminder_meeting', 'Reminder: meeting tomorrow'), ('coach_digest', 'Weekly digest of my coachees'), ('observation_request', 'Observation requests'), ('assessment', 'Assessments about me'), ('review', 'Committee reviews'), ('learning', 'Learning suggestions before clinics')], max_length=30)),
                        ('frequency', models.CharField(choices=[('immediately', 'Email me at once'), ('daily', 'In a daily digest'), ('off', 'No email (inbox only)')], max_length=12)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notification_prefs', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['user', 'kind'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='digest',
                    constraint=models.UniqueConstraint(fields=('recipient', 'kind', 'period_start'), name='uniq_digest_period'),
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['recipient', 'created_at'], name='coaching_no_recipie_4e88f6_idx'),
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['email_status', 'created_at'], name='coaching_no_email_s_f4e7fc_idx'),
                ),
                migrations.AddConstraint(
                    model_name='notification',
                    constraint=models.UniqueConstraint(condition=models.Q(('dedupe_key', ''), _negated=True), fields=('recipient', 'dedupe_key'), name='uniq_notification_dedupe'),
                ),
                migrations.AddConstraint(
                    model_name='notificationpreference',
                    constraint=models.UniqueConstraint(fields=('user', 'kind'), name='uniq_notification_pref'),
                ),
            ],
        ),
        relabel_content_types("coaching", "notifications", MODELS),
    ]
