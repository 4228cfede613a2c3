"""Hand committee review's records (LearnerReview, ConsensusRating) over to the committee app,
rows and all: the tables take committee's names and the models leave programs' state;
committee's 0001 takes them into its own state without touching the database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0005_move_period_rating_summary_to_assessments"),
    ]

    operations = [
        migrations.AlterModelTable(name="learnerreview", table="committee_learnerreview"),
        migrations.AlterModelTable(name="consensusrating", table="committee_consensusrating"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ConsensusRating"),
                migrations.DeleteModel(name="LearnerReview"),
            ],
            database_operations=[],
        ),
    ]
