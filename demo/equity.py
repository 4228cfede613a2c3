"""The demo's equity view: Northbridge asks its learners about gender; every demo learner has
answered, two residents of one cohort as non-binary — a group the equity view must withhold.
Then the fitting task runs (inline in `make run`), as it would after a period closes."""

from __future__ import annotations

from collections import defaultdict

from accounts.models import User
from demo.world import RESIDENCY
from equity.models import CharacteristicCategory, CharacteristicOption
from equity.services import characteristic_record
from equity.tasks import fits_refresh
from programs.models import Enrollment, Institution

GENDER = "gender"
OPTIONS = (("woman", "Woman"), ("man", "Man"), ("non-binary", "Non-binary"))
FIRST_GENERATION = "first-generation"
SMALL_GROUP_YEAR = 2  # the residency cohort with the two non-binary residents


def seed_equity(*, institution: Institution) -> int:
    """Configure the categories, record the demo learners' answers and fit the equity view,
    unless the categories exist already. The number of answers recorded."""
    if CharacteristicCategory.objects.filter(institution=institution, key=GENDER).exists():
        return 0
    gender = CharacteristicCategory.objects.create(
        institution=institution,
        key=GENDER,
        name="Gender",
        description="How you describe your gender.",
    )
    for order, (key, label) in enumerate(OPTIONS):
        CharacteristicOption.objects.create(category=gender, key=key, label=label, order=order)
    first = CharacteristicCategory.objects.create(
        institution=institution,
        key=FIRST_GENERATION,
        name="First-generation university student",
        description="Neither parent completed a university degree.",
        order=1,
    )
    for order, (key, label) in enumerate((("yes", "Yes"), ("no", "No"))):
        CharacteristicOption.objects.create(category=first, key=key, label=label, order=order)

    cohorts: dict[tuple[str, int], list[User]] = defaultdict(list)
    for enrollment in (
        Enrollment.objects.current()
        .filter(program__institution=institution)
        .select_related("learner", "program")
        .order_by("program_id", "training_year", "learner__email")
    ):
        cohorts[(enrollment.program.slug, enrollment.training_year)].append(enrollment.learner)
    recorded = 0
    for (slug, year), learners in cohorts.items():
        for index, learner in enumerate(learners):
            if slug == RESIDENCY and year == SMALL_GROUP_YEAR and index < 2:
                option = "non-binary"
            else:
                option = "woman" if index % 2 == 0 else "man"
            characteristic_record(learner=learner, category_key=GENDER, option_key=option)
            recorded += 1
            if index % 3 == 0:  # a third also say whether they are first-generation
                characteristic_record(
                    learner=learner,
                    category_key=FIRST_GENERATION,
                    option_key="yes" if index % 2 else "no",
                )
                recorded += 1
    fits_refresh.delay(institution.pk)
    return recorded
