"""An institution with two programs, learners who recorded their gender (or did not), closed
periods with assessor ratings that carry a built-in gap, and signed-off consensus."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assessments.models import Assessment
from assessments.tests.factories import on_shipped_form
from committee.models import ConsensusRating, LearnerReview
from equity.models import CharacteristicCategory, CharacteristicOption
from equity.services import characteristic_record
from programs.models import Program, ReviewPeriod
from programs.tests.factories import ReviewPeriodFactory, milestone_framework
from tests.factories import EnrollmentFactory, ProgramFactory, ProgramRoleFactory, UserFactory

TODAY = dt.date(2026, 5, 1)
PERIODS = (
    (dt.date(2025, 7, 1), dt.date(2025, 12, 31)),
    (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
)
MEN_HIGHER = 0.5  # the gap built into assessor ratings
STRICT_ASSESSOR_GAP = -0.8  # one assessor rates women lower still


def gender_category(institution: Any) -> CharacteristicCategory:
    category, _ = CharacteristicCategory.objects.get_or_create(
        institution=institution, key="gender", defaults={"name": "Gender"}
    )
    for order, (key, label) in enumerate(
        (("woman", "Woman"), ("man", "Man"), ("non-binary", "Non-binary"))
    ):
        CharacteristicOption.objects.get_or_create(
            category=category, key=key, defaults={"label": label, "order": order}
        )
    return category


@dataclass
class EquityWorld:
    program: Program
    sister: Program  # another program of the same institution
    category: CharacteristicCategory
    periods: list[ReviewPeriod]
    assessors: list[Any]
    learners: dict[str, list[Any]] = field(default_factory=dict)  # answer -> learners


# Per program: how many learners give each answer (half in each training year) ("" no answer, "pnts" prefer not to say).
MAIN_MIX = {"woman": 12, "man": 12, "non-binary": 2, "": 8, "pnts": 2}
SISTER_MIX = {"woman": 10, "man": 10, "non-binary": 1, "": 10}


def equity_world(
    program: Program | None = None,
    *,
    seed: int = 1,
    main_mix: dict[str, int] | None = None,
    sister_mix: dict[str, int] | None = None,
) -> EquityWorld:
    rng = random.Random(seed)
    program = program or ProgramFactory()
    framework, leaves = milestone_framework(domains=1, per_domain=2)
    sister = ProgramFactory(institution=program.institution)
    category = gender_category(program.institution)
    assessors = [UserFactory() for _ in range(6)]
    world = EquityWorld(program, sister, category, [], assessors)
    ratings = []
    for target, mix in ((program, main_mix or MAIN_MIX), (sister, sister_mix or SISTER_MIX)):
        target.frameworks.add(framework)
        for assessor in assessors:
            ProgramRoleFactory(user=assessor, program=target, role="faculty")
        periods = [
            ReviewPeriodFactory(program=target, name=f"Period {i + 1}", start_date=s, end_date=e)
            for i, (s, e) in enumerate(PERIODS)
        ]
        if target is program:
            world.periods = periods
        for answer, count in mix.items():
            for n in range(count):
                year = 1 + n % 2
                learner = EnrollmentFactory(
                    program=target, training_year=year, start_date=dt.date(2025, 7, 1)
                ).learner
                world.learners.setdefault(answer, []).append(learner)
                if answer == "pnts":
                    characteristic_record(
                        learner=learner, category_key="gender", option_key=None,
                        prefer_not_to_say=True,
                    )  # fmt: skip
                elif answer:
                    characteristic_record(learner=learner, category_key="gender", option_key=answer)
                offset = rng.gauss(0, 0.3)
                for period in periods:
                    for leaf in leaves:
                        for assessor in rng.sample(assessors, 4):
                            level = 2.0 + 0.5 * year + offset + rng.gauss(0, 0.3)
                            level += MEN_HIGHER if answer == "man" else 0.0
                            if assessor is assessors[0] and answer == "woman":
                                level += STRICT_ASSESSOR_GAP
                            day = period.start_date + dt.timedelta(days=rng.randint(0, 80))
                            ratings.append(
                                Assessment(
                                    **on_shipped_form(
                                        {
                                            "assessor": assessor,
                                            "learner": learner,
                                            "competency": leaf,
                                            "level": _half(level),
                                            "observed_on": day,
                                            "went_well": "w" * rng.randint(20, 200),
                                            "next_step": "n" * rng.randint(20, 120),
                                            "program": target,
                                        }
                                    )
                                )
                            )
                review = LearnerReview.objects.create(
                    period=periods[0], learner=learner, training_year=year,
                    status=LearnerReview.Status.SIGNED_OFF,
                )  # fmt: skip
                for leaf in leaves:
                    ConsensusRating.objects.create(
                        review=review, competency=leaf, rationale="r",
                        level=_half(2.0 + 0.5 * year + (MEN_HIGHER if answer == "man" else 0)),
                    )  # fmt: skip
    Assessment.objects.bulk_create(ratings)
    return world


def _half(value: float) -> Decimal:
    return Decimal(str(max(1.0, min(5.0, round(value * 2) / 2))))
