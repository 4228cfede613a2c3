"""The demo world: Northbridge University, its medical school and its IM residency.

`python manage.py seed_demo` builds it through `demo.seed.seed_demo`. Every person, name and
comment here is made up. Every demo account signs in with `DEMO_PASSWORD`.

The world is deterministic: each learner's ratings come from a random generator seeded with
their email, and dates are laid out backwards from "today". Running it again changes nothing:
rows are found by their natural keys, and once Northbridge has enrollments the seeder stops.

The demo app sits above every other app, so it may compose them all; nothing imports it.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from assessments.models import Assessment, AssessmentForm, CheckIn, SelfAssessment
from assessments.services.forms import shipped_forms_ensure
from frameworks.models import Competency, Framework
from programs.models import Cohort, Enrollment, Expectation, Institution, Program, ProgramRole

DEMO_PASSWORD = "continuum-demo"
EMAIL_DOMAIN = "demo.continuum.test"
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"
INSTITUTION_SLUG = "northbridge"
INSTITUTION_NAME = "Northbridge University"
SCHOOL = "som"
RESIDENCY = "im-residency"

# Frameworks the demo rates against: code -> the version shipped in frameworks/data.
REQUIRED_FRAMEWORKS: dict[str, str] = {
    "im-milestones": "2.0",
    "aamc-core-epas": "2014",
}

# How many years of history a learner gets at most, counted back from today.
HISTORY_YEARS = 3
_NAMESPACE = uuid.UUID("6f1c7f5e-3b1a-4d8e-9a51-0c7d2f4b8e21")


# --- The cast -------------------------------------------------------------------------------

RESIDENT_NAMES: tuple[str, ...] = (
    "Ana Rivera", "Kwame Mensah", "Sofia Lindgren", "Rahul Iyer", "Mei Tanaka",
    "Jamal Carter", "Olga Ivanova", "Diego Castillo", "Fatima Al-Sayed", "Liam O'Connor",
    "Chloe Dubois", "Hiroshi Sato", "Amara Nwosu", "Lucas Oliveira", "Zainab Hussain",
    "Ethan Brooks", "Astrid Halvorsen", "Mateo Rossi", "Leila Farahani", "Noah Bergstrom",
    "Anjali Desai", "Tariq Rahman", "Sienna Walsh", "Kofi Asante", "Yara Khalil",
    "Benjamin Adler", "Nia Thompson", "Felix Wagner", "Camila Reyes", "Arjun Nair",
    "Hannah Kowalski", "Samir Bouzid", "Isabel Moreno", "Owen Fitzgerald", "Thanh Nguyen",
    "Aaliyah Jordan",
)  # fmt: skip

STUDENT_NAMES: tuple[str, ...] = (
    "Maya Goldstein", "Elijah Okoro", "Priyanka Sharma", "Lukas Novak", "Ayesha Siddiqui",
    "Gabriel Santos", "Freya Johansson", "Malik Robinson", "Sakura Ito", "Alejandro Vega",
    "Imani Wallace", "Jakub Zielinski", "Rosa Delgado", "Kenji Morimoto", "Amina Diallo",
    "Finn Gallagher", "Valentina Costa", "Omar Farouk", "Chiara Bianchi", "Theo Marchand",
    "Esther Adeyemi", "Ravi Kapoor", "Lena Fischer", "Jonah Whitaker",
)  # fmt: skip

MAX_LEARNERS = len(RESIDENT_NAMES) + len(STUDENT_NAMES)
DEFAULT_LEARNERS = MAX_LEARNERS


@dataclass(frozen=True)
class StaffSpec:
    name: str
    roles: tuple[tuple[str, str], ...]  # (program slug, ProgramRole.Role value)
    stringency: float = 0.0  # added to this person's ratings: hawks below zero, doves above


STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("Margaret Okafor", ((RESIDENCY, "director"), (RESIDENCY, "faculty"))),
    StaffSpec("Daniel Lindqvist", ((SCHOOL, "director"),)),
    StaffSpec("Priya Raman", ((RESIDENCY, "coordinator"),)),
    StaffSpec("Tomás Herrera", ((SCHOOL, "coordinator"),)),
    StaffSpec("Helen Achebe", ((RESIDENCY, "committee"), (RESIDENCY, "faculty")), -0.1),
    StaffSpec("Samuel Park", ((RESIDENCY, "committee"), (RESIDENCY, "faculty")), 0.1),
    StaffSpec("Ingrid Solberg", ((SCHOOL, "committee"), (SCHOOL, "faculty"))),
    StaffSpec("Yusuf Demir", ((SCHOOL, "committee"),)),
    StaffSpec("Grace Whitfield", ((RESIDENCY, "faculty"), (SCHOOL, "faculty")), -0.3),
    StaffSpec("Rafael Mendes", ((RESIDENCY, "faculty"), (SCHOOL, "faculty")), 0.3),
    StaffSpec("Aisha Bello", ((RESIDENCY, "faculty"),)),
    StaffSpec("Jonathan Kwan", ((RESIDENCY, "faculty"), (SCHOOL, "faculty")), -0.1),
    StaffSpec("Elena Petrova", ((RESIDENCY, "faculty"),), 0.15),
    StaffSpec("Marcus Freeman", ((SCHOOL, "faculty"),), 0.2),
    StaffSpec("Nadia Haddad", ((RESIDENCY, "coach"), (SCHOOL, "coach"))),
    StaffSpec("Oliver Brennan", ((SCHOOL, "coach"),)),
    StaffSpec("Leah Goldberg", ((RESIDENCY, "coach"),)),
)


@dataclass(frozen=True)
class ProgramSpec:
    slug: str
    name: str
    stage: str
    specialty: str
    duration_years: int
    framework_codes: tuple[str, ...]
    rated_framework: str
    start_month: int  # the academic year starts on the 1st of this month
    # A typical learner's true level: `entry_level` on day one, `yearly_gain` more each year,
    # which lands a little above the program's default expectations.
    entry_level: float
    yearly_gain: float
    # Check-ins come about every `checkin_days`; observations per 30 days by training year.
    checkin_days: int
    observations_per_block: dict[int, tuple[int, int]]
    contexts: dict[int, tuple[str, ...]]


PROGRAMS: tuple[ProgramSpec, ...] = (
    ProgramSpec(
        slug=SCHOOL,
        name="Northbridge School of Medicine",
        stage=Program.Stage.UME,
        specialty="",
        duration_years=4,
        framework_codes=("aamc-core-epas",),
        rated_framework="aamc-core-epas",
        start_month=8,
        entry_level=1.0,
        yearly_gain=0.75,
        checkin_days=90,
        observations_per_block={1: (0, 1), 2: (0, 2), 3: (2, 4), 4: (2, 5)},
        contexts={
            1: ("Clinical skills lab (standardized patient)", "Early clinical experience"),
            2: (
                "Clinical skills lab (standardized patient)",
                "Longitudinal primary care clinic",
                "Early clinical experience",
            ),
            3: (
                "Internal medicine clerkship",
                "Family medicine clerkship",
                "Surgery clerkship",
                "Pediatrics clerkship",
                "Psychiatry clerkship",
                "Obstetrics and gynecology clerkship",
                "Longitudinal primary care clinic",
            ),
            4: (
                "Internal medicine sub-internship",
                "Emergency medicine rotation",
                "Critical care elective",
                "Longitudinal primary care clinic",
            ),
        },
    ),
    ProgramSpec(
        slug=RESIDENCY,
        name="Internal Medicine Residency",
        stage=Program.Stage.GME,
        specialty="Internal Medicine",
        duration_years=3,
        # IM Milestones 2.0 already hold the harmonized sub-competencies (SBP, PBLI, PROF,
        # ICS); listing acgme-harmonized too would ask everyone to rate them twice.
        framework_codes=("im-milestones",),
        rated_framework="im-milestones",
        start_month=7,
        entry_level=1.5,
        yearly_gain=0.85,
        checkin_days=61,
        observations_per_block={1: (3, 6), 2: (3, 6), 3: (3, 5)},
        contexts={
            year: (
                "General medicine wards, 6 North",
                "Night admissions",
                "Medical ICU",
                "Continuity clinic",
                "Cardiology consults",
                "Emergency department admissions",
                "Morning report",
                "Ambulatory block: diabetes clinic",
                "Family meeting on the wards",
                "Rapid response call",
                "Discharge planning rounds",
                "Infectious diseases consults",
            )
            for year in (1, 2, 3)
        },
    ),
)
PROGRAM_BY_SLUG = {spec.slug: spec for spec in PROGRAMS}

# Expectations the residency sets above the default stepping: professionalism early.
EXPECTATION_OVERRIDES: tuple[tuple[str, str, int, Decimal], ...] = (
    (RESIDENCY, "PROF1", 1, Decimal("2.5")),
    (RESIDENCY, "PROF3", 1, Decimal("2.5")),
)

# Some domains run ahead of or behind the others in most learners.
DOMAIN_OFFSET = {"PROF": 0.2, "ICS": 0.1, "MK": 0.0, "PC": 0.0, "PBLI": -0.1, "SBP": -0.2}


# --- Narrative feedback (our own words), keyed by competency code ---------------------------

Narrative = tuple[tuple[str, ...], tuple[str, ...]]  # (went well, next step)

NARRATIVES: dict[str, Narrative] = {
    "PC1": (
        (
            "Focused chest pain history; asked about exertion and risk factors unprompted.",
            "Checked the medication list with the pharmacy and caught a duplicate anticoagulant.",
            "Got a clear timeline from a confused patient by calling the daughter early.",
        ),
        (
            "Ask about functional baseline and who is at home before moving to the exam.",
            "Summarise the history back to the patient; last time it surfaced a missed symptom.",
        ),
    ),
    "PC2": (
        (
            "Careful volume assessment, including the JVP, tied directly to the diuretic plan.",
            "Picked up a new diastolic murmur and documented it clearly for the team.",
        ),
        (
            "Examine the feet of every patient with diabetes, even on busy post-call days.",
            "Practise the neurological screen until it is quick; it was skipped in two admissions.",
        ),
    ),
    "PC3": (
        (
            "Prioritised differential for the hyponatremia; argued well for the leading cause.",
            "Revised the working diagnosis when the lactate came back and said what changed.",
        ),
        (
            "State a leading diagnosis and one can't-miss alternative in every presentation.",
            "Name the finding that would change your mind before ordering more tests.",
        ),
    ),
    "PC4": (
        (
            "Handled three cross-cover calls overnight with sensible escalation and clear notes.",
            "Adjusted insulin day by day from the glucose log and explained why to the nurse.",
        ),
        (
            "Set explicit daily goals for each patient and check them at afternoon sign-out.",
            "Start discharge planning on day one; two discharges slipped into the evening.",
        ),
    ),
    "PC5": (
        (
            "Well-paced clinic visit: blood pressure and the overdue screening both handled.",
            "Used shared decision making for statin therapy and recorded the patient's preference.",
        ),
        (
            "Choose follow-up intervals on purpose rather than defaulting to three months.",
            "Reconcile outside results before the visit to save time in the room.",
        ),
    ),
    "PC6": (
        (
            "Answered portal messages within a day with clear, plain-language advice.",
            "Ran a smooth video visit and checked first that the patient could see and hear well.",
        ),
        (
            "Say when a video visit should become an in-person one, and why.",
            "Lean on note templates less and write the assessment in your own words.",
        ),
    ),
    "MK1": (
        (
            "Explained the physiology of hepatorenal syndrome to the students clearly.",
            "Linked the acid-base findings to the underlying mechanism without notes.",
        ),
        (
            "Review the mechanisms behind common electrolyte disorders before the next ward block.",
            "When presenting labs, connect each abnormality to a mechanism, not only a diagnosis.",
        ),
    ),
    "MK2": (
        (
            "Chose an antibiotic from the local resistance data and planned the switch to oral.",
            "Knew the renal dosing of the new anticoagulant and adjusted it correctly.",
        ),
        (
            "Check interactions before adding to an already long medication list.",
            "Read up on titrating heart failure therapy; doses stayed below target.",
        ),
    ),
    "MK3": (
        (
            "Read the ECG systematically and spotted the subtle ST changes.",
            "Ordered a focused set of tests and explained the pretest probability.",
        ),
        (
            "Stop daily labs in stable patients; decide what each test would change.",
            "Look at the images yourself before reading the radiology report.",
        ),
    ),
    "SBP1": (
        (
            "Reported a near miss with an insulin order and suggested a fix at the huddle.",
            "Collected data for the sepsis bundle improvement project on every shift.",
        ),
        (
            "Bring one safety event to the monthly conference as a case review.",
            "Use the incident reporting system for the next near miss you see.",
        ),
    ),
    "SBP2": (
        (
            "Brought in the social worker early so the patient could go home with services.",
            "Booked follow-up with the right clinic before discharge and told the patient.",
        ),
        (
            "Involve case management at admission for patients with complex needs.",
            "Confirm the patient can afford a new medication before discharge.",
        ),
    ),
    "SBP3": (
        (
            "Weighed cost when choosing between imaging options and explained the trade-off.",
            "Explained observation versus inpatient status to the family accurately.",
        ),
        (
            "Learn how documentation affects what the patient's insurance covers.",
            "Look up the cost of the five tests you order most often.",
        ),
    ),
    "PBLI1": (
        (
            "Found and appraised a trial that answered the team's question on anticoagulation.",
            "Brought a one-page evidence summary to rounds the next morning.",
        ),
        (
            "Frame the question (patient, intervention, comparison, outcome) before searching.",
            "Apply the evidence to this patient rather than only summarising the trial.",
        ),
    ),
    "PBLI2": (
        (
            "Asked for feedback after the family meeting and acted on it the same week.",
            "Set a concrete learning goal for the rotation and kept track of it.",
        ),
        (
            "Review your feedback log once a month and pick one theme to work on.",
            "Write a short reflection after hard cases; it helps spot patterns.",
        ),
    ),
    "PROF1": (
        (
            "Stayed calm and respectful in a tense conversation with a frustrated family.",
            "Set a good example with students and nurses on a hard call night.",
        ),
        (
            "Tell the team early when you are running late.",
            "Keep the tone of written notes neutral, even when frustrated.",
        ),
    ),
    "PROF2": (
        (
            "Protected the patient's confidentiality when a relative called asking for results.",
            "Recognised a question of decision-making capacity and involved the right people.",
        ),
        (
            "Read the hospital policy on surrogate decision makers.",
            "Bring ethical uncertainty to the attending sooner.",
        ),
    ),
    "PROF3": (
        (
            "Notes and discharge summaries were on time for the whole block.",
            "Closed the loop on every pending result before handing over.",
        ),
        (
            "Log duty hours weekly rather than at the end of the block.",
            "Track results that come back after discharge; one was missed this month.",
        ),
    ),
    "PROF4": (
        (
            "Noticed fatigue after a run of nights and arranged cover appropriately.",
            "Checked in on a co-resident after a difficult death on the unit.",
        ),
        (
            "Keep one afternoon a week for something outside medicine.",
            "Use the program's wellness resources; you said you felt stretched.",
        ),
    ),
    "ICS1": (
        (
            "Explained the new diagnosis in plain words and checked understanding with teach-back.",
            "Led a goals-of-care conversation with empathy and a clear recommendation.",
        ),
        (
            "Pause after giving bad news and let the family speak first.",
            "Use a professional interpreter for consent, even when a relative offers to translate.",
        ),
    ),
    "ICS2": (
        (
            "Gave a clear, structured handover using the team's format.",
            "Worked well with the pharmacist and nurses on a complicated discharge.",
        ),
        (
            "Call consultants with a specific question, not only a request to see the patient.",
            "Include the bedside nurse in the plan during rounds.",
        ),
    ),
    "ICS3": (
        (
            "Concise, well-organised admission note with a clear plan.",
            "The discharge summary gave the primary care doctor exactly what they needed.",
        ),
        (
            "Trim copied text from progress notes and keep the assessment current.",
            "List pending results, and who will follow them up, in the discharge summary.",
        ),
    ),
    "EPA1": (
        (
            "Gathered a complete history from an anxious patient and kept the exam organised.",
            "Noticed the patient's hearing difficulty and adapted the interview.",
        ),
        (
            "Focus on the chief complaint before the review of systems.",
            "Practise the cardiac exam; the findings were hard to hear today.",
        ),
    ),
    "EPA2": (
        (
            "Offered a reasonable differential with the most likely cause first.",
            "Used the key findings to rank the differential instead of listing everything.",
        ),
        (
            "Include one dangerous diagnosis that must be ruled out.",
            "Commit to a leading diagnosis when presenting.",
        ),
    ),
    "EPA3": (
        (
            "Suggested sensible first tests and knew what a normal troponin does not exclude.",
            "Read the blood count and named the pattern of anemia.",
        ),
        (
            "Say what result would change management before suggesting a test.",
            "Go through the basic metabolic panel in the same order every time.",
        ),
    ),
    "EPA4": (
        (
            "Wrote safe admission orders and checked allergies first.",
            "Talked the patient through the new prescription, including side effects.",
        ),
        (
            "Double-check weight-based doses before signing.",
            "Review each order set instead of accepting the defaults.",
        ),
    ),
    "EPA5": (
        (
            "Well-organised note; the assessment followed from the history.",
            "Recorded the chief complaint in the patient's own words.",
        ),
        (
            "Make the plan specific: who does what, and when.",
            "Shorten the history; keep what supports the assessment.",
        ),
    ),
    "EPA6": (
        (
            "Presented a new patient in under five minutes with a clear assessment.",
            "Adapted the presentation to a busy attending and kept to the key points.",
        ),
        (
            "End with a specific plan, not only the differential.",
            "Mention the pertinent negatives that matter for the leading diagnosis.",
        ),
    ),
    "EPA7": (
        (
            "Looked up the pneumonia guideline and shared the key points with the team.",
            "Asked a focused question about steroid use and found a good answer.",
        ),
        (
            "Judge the quality of a source before quoting it.",
            "Bring the answer back the same day, while it still matters to the plan.",
        ),
    ),
    "EPA8": (
        (
            "Clear handover with an if-then plan for the sickest patient.",
            "Used the structured handover tool without prompting.",
        ),
        (
            "Ask the person taking over to repeat back the critical items.",
            "Start with who is sick before going through the rest of the list.",
        ),
    ),
    "EPA9": (
        (
            "Worked with the nurse to find a better time for the procedure.",
            "Took the physiotherapist's view seriously and built it into the plan.",
        ),
        (
            "Introduce yourself and your role to every team member on day one.",
            "Ask the nurse what worries them before rounds.",
        ),
    ),
    "EPA10": (
        (
            "Noticed the falling blood pressure early and called for help.",
            "Started the sepsis pathway while waiting for the resident.",
        ),
        (
            "Review the early warning score and the escalation steps.",
            "Rehearse the first five minutes with a deteriorating patient in the simulation lab.",
        ),
    ),
    "EPA11": (
        (
            "Explained the risks and benefits of the procedure in plain language.",
            "Checked understanding and left the patient time for questions.",
        ),
        (
            "Discuss alternatives, including doing nothing, in every consent.",
            "Confirm capacity explicitly and document it.",
        ),
    ),
    "EPA12": (
        (
            "Drew blood with good technique and careful asepsis.",
            "Placed a peripheral line at the first attempt and secured it well.",
        ),
        (
            "Lay out all the equipment before entering the room.",
            "Practise bag-mask ventilation on the simulator.",
        ),
    ),
    "EPA13": (
        (
            "Noticed a mislabelled specimen and reported it.",
            "Raised a delayed medication dose at the safety huddle.",
        ),
        (
            "Learn how to file an incident report.",
            "Look for the system cause, not only for who made the error.",
        ),
    ),
}
GENERIC_NARRATIVE: Narrative = (
    (
        "Solid, safe work on this today; the attending did not need to step in.",
        "Clear improvement since the start of the rotation.",
    ),
    (
        "Ask for direct observation of this at least once a week.",
        "Pick one concrete thing to practise here before the next block.",
    ),
)

SELF_NOTES: dict[str, tuple[str, ...]] = {
    RESIDENCY: (
        "More confident after the night float block.",
        "Not sure about this one yet; asked my coach for ideas.",
        "Two good observed encounters this month.",
        "Rated myself lower after a tough week in the ICU.",
        "Practised this on purpose on clinic days.",
        "Feedback from the attending helped me see where I am.",
        "New rotation, so hard to judge yet.",
        "Faster now, but still checking everything twice.",
    ),
    SCHOOL: (
        "First time doing this with real patients.",
        "The skills lab session helped a lot.",
        "I feel ready to be observed on this.",
        "Still need prompting from the resident.",
        "Clerkship feedback was encouraging here.",
        "Want more practice before the sub-internship.",
    ),
}


# --- Pure planning --------------------------------------------------------------------------


def email_for(name: str) -> str:
    """'Liam O'Connor' -> 'liam.oconnor@demo.continuum.test' (accents and apostrophes dropped)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    parts = [re.sub(r"[^a-z-]", "", part) for part in ascii_name.split()]
    return f"{'.'.join(p for p in parts if p)}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class LearnerSpec:
    name: str
    program: str  # the current program's slug
    training_year: int
    school_graduate: bool  # a resident who also went to Northbridge's medical school
    at_risk: bool
    calibration: float  # how far self-ratings sit above (+) or below (-) the truth

    @property
    def email(self) -> str:
        return email_for(self.name)


_CALIBRATION = (0.25, -0.35, 0.5, -0.2, 0.1, -0.5, 0.35, -0.1)


def build_roster(learners: int = DEFAULT_LEARNERS) -> list[LearnerSpec]:
    """The learners, residents first; 2 to MAX_LEARNERS of them, 40 % medical students."""
    if not 2 <= learners <= MAX_LEARNERS:
        raise ValueError(f"The demo has between 2 and {MAX_LEARNERS} learners, not {learners}.")
    students = max(1, round(learners * len(STUDENT_NAMES) / MAX_LEARNERS))
    residents = learners - students
    roster = [
        LearnerSpec(
            name=name,
            program=RESIDENCY,
            training_year=(2, 1, 3)[i % 3],  # Ana Rivera, the showcase, is a PGY-2
            school_graduate=i % 4 == 0,
            at_risk=i % 11 == 7,
            calibration=_CALIBRATION[i % len(_CALIBRATION)],
        )
        for i, name in enumerate(RESIDENT_NAMES[:residents])
    ]
    roster += [
        LearnerSpec(
            name=name,
            program=SCHOOL,
            training_year=(i + 2) % 4 + 1,  # Maya Goldstein, the showcase student, is an MS3
            school_graduate=False,
            at_risk=i % 11 == 7,
            calibration=_CALIBRATION[(i + 3) % len(_CALIBRATION)],
        )
        for i, name in enumerate(STUDENT_NAMES[:students])
    ]
    return roster


def academic_year_start(spec: ProgramSpec, today: dt.date) -> dt.date:
    """First day of the academic year that contains `today`."""
    start = dt.date(today.year, spec.start_month, 1)
    return start if today >= start else start.replace(year=today.year - 1)


@dataclass(frozen=True)
class Stint:
    """One enrollment of the plan: a learner's time in one program."""

    program: str
    training_year: int
    start: dt.date
    end: dt.date | None

    @property
    def cohort_start_year(self) -> int:
        return self.start.year

    def cohort_name(self) -> str:
        return f"Class of {self.start.year + PROGRAM_BY_SLUG[self.program].duration_years}"


def stints_for(learner: LearnerSpec, today: dt.date) -> list[Stint]:
    """The learner's enrollments, oldest first."""
    spec = PROGRAM_BY_SLUG[learner.program]
    current_start = academic_year_start(spec, today)
    start = current_start.replace(year=current_start.year - (learner.training_year - 1))
    stints = [Stint(learner.program, learner.training_year, start, None)]
    if learner.school_graduate:
        school = PROGRAM_BY_SLUG[SCHOOL]
        school_start = dt.date(start.year - school.duration_years, school.start_month, 1)
        graduation = dt.date(start.year, 5, 31)
        stints.insert(0, Stint(SCHOOL, school.duration_years, school_start, graduation))
    return stints


def snap(value: float, allowed: Sequence[Decimal]) -> Decimal:
    """The allowed scale value nearest to `value` (ties go to the lower one)."""
    return min(allowed, key=lambda level: (abs(float(level) - value), level))


@dataclass
class FrameworkInfo:
    framework: Framework
    competencies: list[Competency]  # ratable ones, in framework order
    levels: list[Decimal]  # allowed values, ascending


@dataclass
class RatingPlan:
    checkins: list[tuple[CheckIn, list[SelfAssessment]]] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@dataclass(frozen=True)
class _Trajectory:
    """A learner's true level in one program, growing steadily from entry."""

    start: dt.date
    duration_years: int
    entry_level: float
    yearly_gain: float
    ability: float
    offsets: dict[int, float]  # competency pk -> how far it runs ahead (+) or behind (-)

    def level(self, day: dt.date, competency: Competency) -> float:
        years_in = (day - self.start).days / 365.25
        return (
            self.entry_level
            + self.yearly_gain * years_in
            + self.ability
            + self.offsets[competency.pk]
        )

    def year_on(self, day: dt.date) -> int:
        return min(self.duration_years, (day - self.start).days * 100 // 36525 + 1)


def plan_ratings(
    *,
    learner: User,
    spec: LearnerSpec,
    stints: Sequence[Stint],
    frameworks: dict[str, FrameworkInfo],
    assessors: dict[str, list[tuple[User, float]]],
    today: dt.date,
) -> RatingPlan:
    """Unsaved check-ins and assessments for one learner, drawn from a generator seeded by email.

    Each learner has a true level per competency that grows with time in the program; faculty
    see it through their own stringency and some noise, the learner through their calibration.
    """
    rng = random.Random(f"continuum-demo:{spec.email}")
    ability = rng.gauss(-0.45, 0.1) if spec.at_risk else rng.gauss(0.1, 0.2)
    pace = 0.55 if spec.at_risk else rng.uniform(0.9, 1.1)
    history_start = today - dt.timedelta(days=round(365.25 * HISTORY_YEARS))
    plan = RatingPlan()
    for stint in stints:
        program = PROGRAM_BY_SLUG[stint.program]
        info = frameworks[program.rated_framework]
        path = _Trajectory(
            start=stint.start,
            duration_years=program.duration_years,
            entry_level=program.entry_level,
            yearly_gain=program.yearly_gain * pace,
            ability=ability,
            offsets={
                c.pk: rng.gauss(0, 0.2) + DOMAIN_OFFSET.get(re.sub(r"\d+$", "", c.code), 0.0)
                for c in info.competencies
            },
        )
        first = max(stint.start, history_start)
        last = min(stint.end or today, today)

        # Self check-ins: every competency of the framework, about every `checkin_days`.
        day = first + dt.timedelta(days=rng.randint(10, 30))
        while day <= last:
            checkin = CheckIn(
                learner=learner,
                framework=info.framework,
                client_token=uuid.uuid5(_NAMESPACE, f"{spec.email}:{day.isoformat()}"),
                assessed_on=day,
                created_at=_at(day, rng.randint(17, 22), rng.randint(0, 59)),
            )
            noted = rng.choice(info.competencies).pk if rng.random() < 0.5 else None
            items = [
                SelfAssessment(
                    learner=learner,
                    competency=competency,
                    level=snap(
                        path.level(day, competency) + spec.calibration + rng.gauss(0, 0.25),
                        info.levels,
                    ),
                    note=rng.choice(SELF_NOTES[program.slug]) if competency.pk == noted else "",
                    assessed_on=day,
                    created_at=checkin.created_at,
                )
                for competency in info.competencies
            ]
            plan.checkins.append((checkin, items))
            day += dt.timedelta(days=program.checkin_days + rng.randint(-7, 7))

        # Observations by faculty, a few per 30-day block, more as clinical work grows.
        block = first
        while block <= last:
            low, high = program.observations_per_block[path.year_on(block)]
            if spec.email == email_for(RESIDENT_NAMES[0]):
                low, high = low + 2, high + 3  # the showcase learner asks for feedback often
            for _ in range(rng.randint(low, high)):
                day = block + dt.timedelta(days=rng.randint(0, 29))
                if day > last:
                    continue
                competency = rng.choice(info.competencies)
                assessor, stringency = rng.choice(assessors[program.slug])
                went_well, next_step = NARRATIVES.get(competency.code, GENERIC_NARRATIVE)
                plan.assessments.append(
                    Assessment(
                        assessor=assessor,
                        learner=learner,
                        competency=competency,
                        level=snap(
                            path.level(day, competency) + stringency + rng.gauss(0, 0.3),
                            info.levels,
                        ),
                        went_well=rng.choice(went_well),
                        next_step=rng.choice(next_step),
                        context=rng.choice(program.contexts[path.year_on(day)]),
                        observed_on=day,
                        source=(
                            Assessment.Source.REQUEST
                            if rng.random() < 0.15
                            else Assessment.Source.OBSERVATION
                        ),
                        created_at=_at(day, rng.randint(8, 18), rng.randint(0, 59)),
                    )
                )
            block += dt.timedelta(days=30)
    return plan


# --- Reading the frameworks -----------------------------------------------------------------


class DemoFrameworksMissing(Exception):
    """The frameworks the demo rates against are not loaded."""


def missing_frameworks() -> list[str]:
    present = set(
        Framework.objects.filter(code__in=REQUIRED_FRAMEWORKS).values_list("code", flat=True)
    )
    return [code for code in REQUIRED_FRAMEWORKS if code not in present]


def _preference(framework: Framework) -> tuple[bool, dt.datetime]:
    return (framework.version == REQUIRED_FRAMEWORKS[framework.code], framework.imported_at)


def load_frameworks() -> dict[str, FrameworkInfo]:
    missing = missing_frameworks()
    if missing:
        raise DemoFrameworksMissing(", ".join(missing))
    found: dict[str, Framework] = {}
    for framework in Framework.objects.filter(code__in=REQUIRED_FRAMEWORKS).select_related("scale"):
        # The shipped version if present, otherwise the most recently imported one.
        current = found.get(framework.code)
        if current is None or _preference(framework) > _preference(current):
            found[framework.code] = framework
    infos = {}
    for code, framework in found.items():
        competencies = list(
            Competency.objects.filter(framework=framework).ratable().order_by("order", "code")
        )
        levels = sorted(framework.scale.levels.values_list("value", flat=True))
        infos[code] = FrameworkInfo(framework, competencies, levels)
    return infos


# --- Writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    detail: str = ""


@dataclass
class SeedResult:
    created: bool
    logins: list[Login]
    counts: dict[str, int] = field(default_factory=dict)


def demo_logins() -> list[Login]:
    """Accounts worth trying first; all use DEMO_PASSWORD."""
    return [
        Login("learner", email_for(RESIDENT_NAMES[0]), "PGY-2 resident, rich history"),
        Login("student", email_for(STUDENT_NAMES[0]), "third-year medical student"),
        Login("coach", email_for("Nadia Haddad"), "coach in both programs"),
        Login("faculty assessor", email_for("Grace Whitfield"), "rates residents and students"),
        Login("program director", email_for("Margaret Okafor"), "Internal Medicine Residency"),
        Login("admin", ADMIN_EMAIL, "superuser"),
    ]


def _ensure_users(people: Sequence[tuple[str, str]], *, password_hash: str) -> dict[str, User]:
    """Users by email; missing ones are created with a verified primary email address."""
    emails = [email for email, _ in people]
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    new = []
    for email, name in people:
        if email in users:
            continue
        first, _, last = name.partition(" ")
        new.append(
            User(
                email=email,
                display_name=name,
                first_name=first,
                last_name=last,
                password=password_hash,
            )
        )
    User.objects.bulk_create(new)
    users.update({u.email: u for u in User.objects.filter(email__in=[u.email for u in new])})
    # Demo addresses are ours, so any existing address among them counts as verified.
    known = EmailAddress.objects.filter(email__in=emails)
    known.filter(verified=False).update(verified=True)
    addressed = set(known.values_list("email", flat=True))
    with_primary = set(
        EmailAddress.objects.filter(user__in=users.values(), primary=True).values_list(
            "user_id", flat=True
        )
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(
            user=users[email],
            email=email,
            verified=True,
            primary=users[email].pk not in with_primary,
        )
        for email in emails
        if email not in addressed
    )
    return users


def seed_world(
    institution: Institution,
    roster: Sequence[LearnerSpec],
    frameworks: dict[str, FrameworkInfo],
    today: dt.date,
) -> dict[str, int]:
    programs: dict[str, Program] = {}
    for program_spec in PROGRAMS:
        program, _ = Program.objects.get_or_create(
            institution=institution,
            slug=program_spec.slug,
            defaults={
                "name": program_spec.name,
                "stage": program_spec.stage,
                "specialty": program_spec.specialty,
                "duration_years": program_spec.duration_years,
                "year_start_month": program_spec.start_month,
            },
        )
        program.frameworks.add(
            *(frameworks[code].framework for code in program_spec.framework_codes)
        )
        programs[program_spec.slug] = program

    for slug, code, year, level in EXPECTATION_OVERRIDES:
        by_code = {
            c.code: c for c in frameworks[PROGRAM_BY_SLUG[slug].rated_framework].competencies
        }
        if code in by_code:
            Expectation.objects.get_or_create(
                program=programs[slug],
                competency=by_code[code],
                training_year=year,
                defaults={"level": level},
            )

    # One hash for every account: the password is public anyway, and hashing 80 times is slow.
    password_hash = make_password(DEMO_PASSWORD)
    users = _ensure_users(
        [(email_for(s.name), s.name) for s in STAFF]
        + [(s.email, s.name) for s in roster]
        + [(ADMIN_EMAIL, "Demo Admin")],
        password_hash=password_hash,
    )
    admin = users[ADMIN_EMAIL]
    if not admin.is_superuser:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])

    held = set(
        ProgramRole.objects.filter(program__in=programs.values()).values_list(
            "program_id", "user_id", "role"
        )
    )
    roles = [
        ProgramRole(program=programs[slug], user=users[email_for(staff.name)], role=role)
        for staff in STAFF
        for slug, role in staff.roles
    ]
    ProgramRole.objects.bulk_create(
        r for r in roles if (r.program.pk, r.user.pk, r.role) not in held
    )
    assessors = {
        slug: [
            (users[email_for(staff.name)], staff.stringency)
            for staff in STAFF
            if (slug, ProgramRole.Role.FACULTY) in staff.roles
        ]
        for slug in programs
    }

    # Cohorts for every class in training now, and for past classes our residents came from.
    plans = [(spec, stints_for(spec, today)) for spec in roster]
    cohort_keys = {
        (st.program, st.cohort_name(), st.cohort_start_year) for _, ss in plans for st in ss
    }
    for program_spec in PROGRAMS:
        current = academic_year_start(program_spec, today)
        for year in range(1, program_spec.duration_years + 1):
            start = current.replace(year=current.year - year + 1)
            stint = Stint(program_spec.slug, year, start, None)
            cohort_keys.add((program_spec.slug, stint.cohort_name(), stint.cohort_start_year))
    cohorts: dict[tuple[str, str], Cohort] = {}
    for slug, name, start_year in sorted(cohort_keys):
        cohort, _ = Cohort.objects.get_or_create(
            program=programs[slug], name=name, defaults={"start_year": start_year}
        )
        cohorts[(slug, name)] = cohort

    enrolled = set(
        Enrollment.objects.filter(program__in=programs.values()).values_list(
            "learner_id", "program_id", "start_date"
        )
    )
    Enrollment.objects.bulk_create(
        Enrollment(
            learner=users[spec.email],
            program=programs[stint.program],
            cohort=cohorts[(stint.program, stint.cohort_name())],
            training_year=stint.training_year,
            start_date=stint.start,
            end_date=stint.end,
        )
        for spec, stints in plans
        for stint in stints
        if (users[spec.email].pk, programs[stint.program].pk, stint.start) not in enrolled
    )

    # Ratings only for learners who have none yet, so a partial earlier seed is not doubled.
    learner_ids = [users[spec.email].pk for spec in roster]
    rated: set[int] = set()
    for model in (CheckIn, SelfAssessment, Assessment):
        rated.update(
            model.objects.filter(learner_id__in=learner_ids).values_list("learner_id", flat=True)
        )
    checkins: list[tuple[CheckIn, list[SelfAssessment]]] = []
    assessments: list[Assessment] = []
    for spec, stints in plans:
        learner = users[spec.email]
        if learner.pk in rated:
            continue
        plan = plan_ratings(
            learner=learner,
            spec=spec,
            stints=stints,
            frameworks=frameworks,
            assessors=assessors,
            today=today,
        )
        checkins += plan.checkins
        assessments += plan.assessments
    self_assessments = _write_ratings(checkins, assessments)

    return {
        "learners": len(roster),
        "staff": len(STAFF),
        "check-ins": len(checkins),
        "self-assessments": self_assessments,
        "assessments": len(assessments),
    }


def _write_ratings(
    checkins: list[tuple[CheckIn, list[SelfAssessment]]], assessments: list[Assessment]
) -> int:
    """Bulk-insert the ratings, then put back the past timestamps `auto_now_add` replaced."""
    batch = 1000
    wanted = [checkin.created_at for checkin, _ in checkins]
    CheckIn.objects.bulk_create([checkin for checkin, _ in checkins], batch_size=batch)
    items: list[SelfAssessment] = []
    for (checkin, group), created_at in zip(checkins, wanted, strict=True):
        checkin.created_at = created_at
        for item in group:
            item.checkin = checkin
        items += group
    CheckIn.objects.bulk_update([c for c, _ in checkins], ["created_at"], batch_size=batch)
    SelfAssessment.objects.bulk_create(items, batch_size=batch)
    # A self-assessment was made when its check-in was: one UPDATE instead of a bulk_update.
    learner_ids = {checkin.learner_id for checkin, _ in checkins}
    SelfAssessment.objects.filter(learner_id__in=learner_ids, checkin__isnull=False).update(
        created_at=Subquery(CheckIn.objects.filter(pk=OuterRef("checkin_id")).values("created_at"))
    )
    wanted = [assessment.created_at for assessment in assessments]
    # The demo's observations are on the shipped forms, on each framework's own scale.
    forms = shipped_forms_ensure()
    frameworks = Framework.objects.in_bulk({a.competency.framework_id for a in assessments})
    for assessment in assessments:
        framework = frameworks[assessment.competency.framework_id]
        rates = (
            AssessmentForm.Rates.EPA
            if framework.kind == Framework.Kind.EPA
            else AssessmentForm.Rates.MILESTONES
        )
        assessment.form = forms[rates]
        assessment.scale_id = framework.scale_id
        assessment.counted_level = assessment.level
    Assessment.objects.bulk_create(assessments, batch_size=batch)
    for assessment, created_at in zip(assessments, wanted, strict=True):
        assessment.created_at = created_at
    Assessment.objects.bulk_update(assessments, ["created_at"], batch_size=batch)
    return len(items)
