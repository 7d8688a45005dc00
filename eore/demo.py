"""Demo data: a year of sessions, quiz answers and hazard reports, clearly marked as such.

``eore demo seed`` fills the box's database with invented records shaped
exactly like the ones the toolkit stores, so that the dashboard can be tried
and timed with years' worth of data. Every record it writes carries the
device ``demo``; the accounts it makes are named ``demo-facilitator-N`` (and
``demo-admin-1``, who verified reports and followed hazard reports up) and
have a password hash nobody can sign in with. It holds no personal data: no
names of people, no phone numbers, invented places.

It refuses a database that holds real records (any other device) unless
forced, so that demo data is never mixed into real data by accident. Nothing
runs it but that command. The same seed on an empty database gives the same
records, ids included.
"""

from __future__ import annotations

import json
import math
import random
import re
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from . import schema, store
from .hazards import NEARBY, REFERENCE_ALPHABET
from .sessions import CODE_ALPHABET, CODE_LENGTH, Step

DEVICE = "demo"
UNUSABLE_PASSWORD_HASH = "!demo"  # not a werkzeug hash: no password ever matches it
ORGANISATION = "Demo organisation"
DAYS = 365
TEST_SHARE = 0.7  # of attempts: knowledge tests in sessions; the rest lesson quizzes alone
SESSIONS_PER_TRANSACTION = 1000
ATTEMPTS_PER_TRANSACTION = 5000
HAZARDS_PER_TRANSACTION = 2000
CHECKED_TABLES = ("group_session", "quiz_attempt", "hazard_report")

# Invented places, each in an invented district; the kind gives the report's type of place.
AREAS = tuple(f"Demo district {n}" for n in range(1, 9))
PLACE_KINDS = {
    "school": ("Demo school", 14),
    "community": ("Demo village", 16),
    "camp": ("Demo camp", 5),
    "shelter": ("Demo shelter", 4),
    "farm": ("Demo farm", 6),
    "market": ("Demo market", 3),
}
HAZARD_PLACES = (
    "near the well",
    "by the road",
    "in the field",
    "behind the school",
    "by the river",
)
DESCRIPTIONS = (
    "",
    "",
    "Demo report: a rusty metal object half buried.",
    "Demo report: something like a shell, pointed at one end.",
    "Demo report: small objects with fins, several of them.",
    "Demo report: wires sticking out of the ground.",
    "Demo report: children said they saw it while playing.",
)
AUDIENCE_WEIGHTS = {
    "children": 22,
    "adolescents": 12,
    "adults": 20,
    "farmers": 14,
    "displaced": 14,
    "scrap-collectors": 5,
    "shelter": 8,
    "staff": 5,
}
# Ages of each audience, to spread attendance over the pack's age bands.
AUDIENCE_AGES = {
    "children": (4, 12),
    "adolescents": (12, 18),
    "adults": (18, 80),
    "farmers": (15, 70),
    "displaced": (0, 80),
    "scrap-collectors": (12, 60),
    "shelter": (0, 80),
    "staff": (20, 65),
}
ITEM_WEIGHTS = {"mine": 20, "uxo": 40, "cluster_submunition": 10, "ied": 5, "unknown": 25}
HOW_MANY_WEIGHTS = {"one": 50, "few": 30, "many": 8, "unknown": 12}
MARKED_WEIGHTS = {"no": 55, "official": 10, "informal": 20, "unknown": 15}
HURT_WEIGHTS = {"no": 82, "unknown": 11, "yes": 7}
NEARBY_CHANCE = {"home": 0.35, "school": 0.1, "road": 0.4, "farmland": 0.45, "water": 0.12}
SERVICE_WEIGHTS = {
    "medical": 25,
    "rehabilitation": 15,
    "psychosocial": 30,
    "livelihoods": 15,
    "legal": 5,
    "other": 10,
}
BAND_RE = re.compile(r"^(\d+)\s*(?:-\s*(\d+)|\+)$")


class DemoRefused(Exception):
    """The database is not one demo data may go into; the message says why."""


@dataclass
class Counts:
    """What one run wrote."""

    accounts: int = 0
    sessions: int = 0
    reports: int = 0
    referrals: int = 0
    attempts: int = 0
    answers: int = 0
    hazards: int = 0
    events: int = 0


def real_records(db: sqlite3.Connection) -> list[str]:
    """Return the tables (of CHECKED_TABLES) that hold a record not made by this module."""
    return [
        table
        for table in CHECKED_TABLES
        if db.execute(f"SELECT 1 FROM {table} WHERE device != ? LIMIT 1", (DEVICE,)).fetchone()
    ]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _band_ages(band: str) -> tuple[int, int] | None:
    """Return the ages a band such as "5-12" or "60+" covers (upper bound excluded)."""
    match = BAND_RE.match(band.strip())
    if not match:
        return None
    low = int(match.group(1))
    return low, (int(match.group(2)) + 1 if match.group(2) else 90)


def _band_weights(bands, audience: str) -> list[float]:
    """Return how many people of ``audience`` fall in each band, as weights."""
    low, high = AUDIENCE_AGES.get(audience, (0, 80))
    weights = []
    for band in bands:
        ages = _band_ages(band)
        if ages is None:
            weights.append(1.0)
            continue
        overlap = max(0, min(high, ages[1]) - max(low, ages[0]))
        weights.append(float(overlap))
    return weights if sum(weights) > 0 else [1.0] * len(bands)


def _shares(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, ties by position)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _batch_size(count: int, largest: int) -> int:
    """Return how many records to write per transaction: at most ``largest``, and small
    enough that progress can be told about every tenth."""
    return max(1, min(largest, math.ceil(count / 20)))


class Progress:
    """Calls ``say`` with a line each time another tenth of the work is done."""

    def __init__(self, total: int, say: Callable[[str], None] | None):
        self.total = max(total, 1)
        self.say = say
        self.done = {"sessions": 0, "attempts": 0, "hazards": 0}
        self.shown = 0

    def advance(self, what: str, count: int, of: dict[str, int]) -> None:
        self.done[what] += count
        tenth = sum(self.done.values()) * 10 // self.total
        if self.say and tenth > self.shown:
            self.shown = tenth
            parts = ", ".join(f"{name} {self.done[name]}/{of[name]}" for name in self.done)
            self.say(f"demo seed: {tenth * 10}% ({parts})")


class Seeder:
    """Draws the records from one seeded random generator and writes them in batches."""

    def __init__(self, db, library, *, seed: int, now: datetime):
        self.db = db
        self.library = library
        self.rng = random.Random(seed)
        # Ids come from their own generator, seeded also by what the database holds:
        # on an empty database the same seed gives the same ids, and a second run
        # into the same database does not draw the first run's ids again.
        existing = sum(
            db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("account", "group_session", "quiz_attempt", "hazard_report")
        )
        self.ids = random.Random(f"demo-ids/{seed}/{existing}")
        self.now = now.replace(microsecond=0)
        self.today = self.now.date()
        self.counts = Counts()
        self.codes = {row[0] for row in db.execute("SELECT code FROM group_session")}
        self.references = {row[0] for row in db.execute("SELECT reference FROM hazard_report")}
        self.version = library.version
        self._prepare()

    # --- Fixed choices, drawn once -------------------------------------------------

    def _prepare(self) -> None:
        rng, library = self.rng, self.library
        self.places = []  # (name, kind, district)
        for kind, (prefix, count) in PLACE_KINDS.items():
            for number in range(1, count + 1):
                self.places.append((f"{prefix} {number}", kind, rng.choice(AREAS)))
        self.locales = list(library.locales)
        self.locale_weights = [rng.uniform(1, 4) for _ in self.locales]
        if self.locales:
            self.locale_weights[0] += 3  # the pack's first language is the most used
        self.days = [self.today - timedelta(days=offset) for offset in range(1, DAYS + 1)]
        self.session_days = self._cumulative(self._day_weight(day, season=0) for day in self.days)
        self.hazard_days = self._cumulative(self._day_weight(day, season=1) for day in self.days)
        self.lessons = list(library.lessons)
        self.tests = sorted(library.tests)
        self.quizzes = sorted(library.quizzes)
        self.quiz_weights = [rng.uniform(0.5, 3) for _ in self.quizzes]
        # How easy each question is: some messages are learned less well than others.
        questions = {q.id: q for test in library.tests.values() for q in test.questions}
        questions.update({q.id: q for quiz in library.quizzes.values() for q in quiz.questions})
        self.easiness = {qid: rng.uniform(-0.25, 0.15) for qid in sorted(questions)}
        self.wrong = {
            qid: [o.id for o in q.options if o.id != q.correct] or [q.correct]
            for qid, q in questions.items()
        }
        self.area_codes = [area.code for area in library.areas]
        self.hazard_centres = {
            name: (rng.uniform(11.0, 13.0), rng.uniform(19.0, 21.0)) for name, _k, _d in self.places
        }

    @staticmethod
    def _cumulative(weights) -> list[float]:
        total, cumulative = 0.0, []
        for weight in weights:
            total += weight
            cumulative.append(total)
        return cumulative

    def _day_weight(self, day: date, *, season: int) -> float:
        """Return how busy a day is: more recent is busier, weekends and the wet season quiet."""
        age = (self.today - day).days
        growth = 0.5 + (DAYS - age) / DAYS
        weekend = 0.35 if day.weekday() >= 5 else 1.0
        phase = 2 * math.pi * (day.timetuple().tm_yday / 365.25 + 0.25 * season)
        return growth * weekend * (1 + 0.35 * math.sin(phase))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.ids.getrandbits(128), version=4))

    def _draw_day(self, cumulative) -> date:
        return self.rng.choices(self.days, cum_weights=cumulative)[0]

    def _later(self, moment: datetime, low: int, high: int) -> datetime:
        """Return ``moment`` plus low..high seconds, never after now."""
        return min(moment + timedelta(seconds=self.rng.randint(low, high)), self.now)

    # --- Accounts --------------------------------------------------------------------

    def accounts(self, facilitators: int) -> None:
        since = _stamp(self.now - timedelta(days=DAYS + 30))
        wanted = [("demo-admin-1", "admin")] + [
            (f"demo-facilitator-{n}", "facilitator") for n in range(1, facilitators + 1)
        ]
        ids = {}
        with store.writing(self.db):
            for name, role in wanted:
                account_id = self._uuid()
                row = self.db.execute(
                    "SELECT id, device, role FROM account WHERE name = ?", (name,)
                ).fetchone()
                if row is not None:
                    if row["device"] != DEVICE or row["role"] != role:
                        raise DemoRefused(
                            f"an account named {name} exists and is not a demo {role}: "
                            "rename or remove it first"
                        )
                    ids[name] = row["id"]
                    continue
                self.db.execute(
                    "INSERT INTO account (id, device, created_utc, name, role, password_hash,"
                    " password_changed_utc, active) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                    (
                        account_id,
                        DEVICE,
                        since,
                        name,
                        role,
                        UNUSABLE_PASSWORD_HASH,
                        since[:-1] + ".000000Z",
                    ),
                )
                ids[name] = account_id
                self.counts.accounts += 1
        self.admin_id = ids["demo-admin-1"]
        # Each facilitator works in a few places of one or two districts.
        self.facilitators = []
        for n in range(1, facilitators + 1):
            districts = self.rng.sample(AREAS, self.rng.randint(1, 2))
            mine = [p for p in self.places if p[2] in districts] or self.places
            places = self.rng.sample(mine, min(len(mine), self.rng.randint(3, 8)))
            self.facilitators.append((n, ids[f"demo-facilitator-{n}"], places))
        self.facilitator_weights = [self.rng.uniform(0.3, 3) for _ in self.facilitators]

    # --- Sessions, their reports and referrals ---------------------------------------

    def plan_sessions(self, count: int) -> list[dict]:
        rng = self.rng
        audiences = list(schema.AUDIENCES)
        audience_weights = [AUDIENCE_WEIGHTS.get(audience, 5) for audience in audiences]
        drawn = []
        for index in range(count):
            day = self._draw_day(self.session_days)
            number, facilitator_id, places = rng.choices(
                self.facilitators, weights=self.facilitator_weights
            )[0]
            place, kind, district = rng.choice(places)
            audience = rng.choices(audiences, weights=audience_weights)[0]
            locale = rng.choices(self.locales, weights=self.locale_weights)[0]
            start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                seconds=rng.randint(6 * 3600, 14 * 3600)
            )
            suited = [slug for slug in self.lessons if slug in self._for(audience)] or self.lessons
            chosen = set(rng.sample(suited, rng.randint(1, min(3, len(suited)))))
            steps = [Step("lesson", slug) for slug in self.lessons if slug in chosen]
            test = rng.choice(self.tests) if self.tests and rng.random() < 0.9 else None
            if test:
                steps = [Step("test", test, "pre"), *steps, Step("test", test, "post")]
            minutes = sum(self.library.lessons[slug].duration for slug in chosen)
            minutes = min(minutes + (20 if test else 5) + rng.randint(0, 20), 200)
            drawn.append(
                {
                    "index": index,
                    "id": self._uuid(),
                    "code": self._code(),
                    "facilitator": number,
                    "facilitator_id": facilitator_id,
                    "place": place,
                    "place_type": kind,
                    "admin_area": district,
                    "audience": audience,
                    "locale": locale,
                    "start": start,
                    "end": start + timedelta(minutes=minutes),
                    "steps": steps,
                    "lessons": [step.subject for step in steps if step.kind == "lesson"],
                    "test": test,
                }
            )
        drawn.sort(key=lambda s: (s["start"], s["index"]))
        return drawn

    def _for(self, audience: str) -> set[str]:
        return {lesson.slug for lesson in self.library.lessons_for(audience)}

    def _code(self) -> str:
        while True:
            code = "".join(self.rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def allocate_tests(self, sessions: list[dict], attempts: int) -> int:
        """Give each session with a test its participants; return the test attempts."""
        with_test = [s for s in sessions if s["test"]]
        for session in sessions:
            session["pre"] = session["post"] = 0
        if not with_test:
            return 0
        weights = [self.rng.randint(6, 30) for _ in with_test]
        quotas = _shares(round(attempts * TEST_SHARE), weights)
        for session, quota in zip(with_test, quotas, strict=True):
            session["pre"] = (quota + 1) // 2
            session["post"] = quota - session["pre"]  # some leave before the end
        return sum(quotas)

    def write_sessions(self, sessions: list[dict], progress, sizes) -> None:
        size = _batch_size(len(sessions), SESSIONS_PER_TRANSACTION)
        for first in range(0, len(sessions), size):
            batch = sessions[first : first + size]
            rows, reports, referrals = [], [], []
            for session in batch:
                rows.append(self._session_row(session))
                if self.rng.random() < 0.9:
                    reports.append(self._report_row(session))
                if self.rng.random() < 0.15:
                    referrals += self._referral_rows(session)
            with store.writing(self.db):
                self.db.executemany(
                    "INSERT INTO group_session (id, device, created_utc, code, facilitator_id,"
                    " audience, locale, place, admin_area, plan, step, version, status,"
                    " ended_utc, question, revealed)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ended', ?, NULL, 0)",
                    rows,
                )
                self.db.executemany(
                    "INSERT INTO session_report (id, device, created_utc, updated_utc,"
                    " session_id, status, submitted_utc, verified_by, verified_utc, fields)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    reports,
                )
                self.db.executemany(
                    "INSERT INTO referral (id, device, created_utc, session_id, service_type,"
                    " day) VALUES (?, ?, ?, ?, ?, ?)",
                    referrals,
                )
            self.counts.sessions += len(rows)
            self.counts.reports += len(reports)
            self.counts.referrals += len(referrals)
            progress.advance("sessions", len(batch), sizes)

    def _session_row(self, session: dict) -> tuple:
        plan = json.dumps([step.__dict__ for step in session["steps"]])
        return (
            session["id"],
            DEVICE,
            _stamp(session["start"]),
            session["code"],
            session["facilitator_id"],
            session["audience"],
            session["locale"],
            session["place"],
            session["admin_area"],
            plan,
            len(session["steps"]) - 1,  # ended on the last step
            len(session["steps"]),  # one change per move, and the end
            _stamp(session["end"]),
        )

    def _report_row(self, session: dict) -> tuple:
        rng = self.rng
        bands = self.library.age_bands
        people = max(session["pre"] + rng.randint(0, 12), rng.randint(8, 45))
        female = rng.uniform(0.35, 0.65)
        cells = [(band, sex) for band in bands for sex in ("female", "male")]
        weights = [
            weight * (female if sex == "female" else 1 - female)
            for weight in _band_weights(bands, session["audience"])
            for sex in ("female", "male")
        ]
        counted = dict.fromkeys(cells, 0)
        for cell in rng.choices(cells, weights=weights, k=people):
            counted[cell] += 1
        attendance = {
            band: {"female": counted[(band, "female")], "male": counted[(band, "male")]}
            for band in bands
        }
        fields = {
            "date": session["start"].date().isoformat(),
            "start_time": session["start"].strftime("%H:%M"),
            "end_time": session["end"].strftime("%H:%M"),
            "organisation": ORGANISATION,
            "team": f"Demo team {session['facilitator']}",
            "place": session["place"],
            "admin_area": session["admin_area"],
            "place_type": session["place_type"],
            "method": "group",
            "audience": session["audience"],
            "locale": session["locale"],
            "lessons": session["lessons"],
            "attendance": attendance,
            "disabled": round(people * rng.uniform(0, 0.08)),
            "first_time": round(people * rng.uniform(0.3, 0.95)),
            "hazards_reported": rng.choices((0, 1, 2, 3), weights=(70, 20, 7, 3))[0],
            "comments": "",
        }
        created = self._later(session["end"], 300, 2 * 86400)
        submitted = self._later(created, 0, 3600)
        verified = rng.random() < 0.3 + 0.5 * (self.today - session["start"].date()).days / DAYS
        verified_utc = _stamp(self._later(submitted, 3600, 10 * 86400)) if verified else None
        return (
            self._uuid(),
            DEVICE,
            _stamp(created),
            _stamp(submitted),
            session["id"],
            "verified" if verified else "submitted",
            _stamp(submitted),
            self.admin_id if verified else None,
            verified_utc,
            json.dumps(fields, ensure_ascii=False, sort_keys=True),
        )

    def _referral_rows(self, session: dict) -> list[tuple]:
        rows = []
        services = list(schema.SERVICE_TYPES)
        weights = [SERVICE_WEIGHTS.get(service, 5) for service in services]
        span = int((session["end"] - session["start"]).total_seconds())
        for _ in range(self.rng.choices((1, 2, 3), weights=(70, 22, 8))[0]):
            service = self.rng.choices(services, weights=weights)[0]
            at = session["start"] + timedelta(seconds=self.rng.randint(0, span))
            rows.append(
                (self._uuid(), DEVICE, _stamp(at), session["id"], service, at.date().isoformat())
            )
        return rows

    # --- Quiz attempts and their answers ---------------------------------------------

    def plan_attempts(self, sessions: list[dict], lesson_attempts: int) -> list[tuple]:
        """Return every attempt to make as (created, order, kind, subject, locale, phase,
        session code, chance of a right answer), oldest first."""
        rng = self.rng
        planned = []
        for session in sessions:
            span = int((session["end"] - session["start"]).total_seconds())
            chances = []
            for _ in range(session["pre"]):
                before = 0.1 + 0.7 * rng.betavariate(3, 3)
                after = min(0.97, before + rng.uniform(0.0, 0.35))
                chances.append((before, after))
                at = session["start"] + timedelta(seconds=rng.randint(30, 600))
                planned.append((at, "test", session, "pre", before))
            for before_after in chances[: session["post"]]:
                at = session["end"] - timedelta(seconds=rng.randint(0, min(600, span // 2)))
                planned.append((at, "test", session, "post", before_after[1]))
        rows = [
            (at, n, kind, s["test"], s["locale"], phase, s["code"], chance)
            for n, (at, kind, s, phase, chance) in enumerate(planned)
        ]
        if self.quizzes:
            for n in range(lesson_attempts):
                day = self._draw_day(self.session_days)
                at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                    seconds=rng.randint(0, 86399)
                )
                subject = rng.choices(self.quizzes, weights=self.quiz_weights)[0]
                locale = rng.choices(self.locales, weights=self.locale_weights)[0]
                chance = 0.2 + 0.75 * rng.betavariate(4, 2)
                rows.append((at, len(planned) + n, "lesson", subject, locale, None, None, chance))
        rows.sort(key=lambda row: (row[0], row[1]))
        return rows

    def write_attempts(self, planned: list[tuple], progress, sizes) -> None:
        rng, library = self.rng, self.library
        size = _batch_size(len(planned), ATTEMPTS_PER_TRANSACTION)
        for first in range(0, len(planned), size):
            batch = planned[first : first + size]
            attempts, answers = [], []
            for at, _order, kind, subject, locale, phase, code, chance in batch:
                questions = (
                    library.tests[subject].questions
                    if kind == "test"
                    else library.quizzes[subject].questions
                )
                attempt_id = self._uuid()
                created = _stamp(at)
                namespace = uuid.UUID(attempt_id)
                correct = 0
                for question in questions:
                    right = rng.random() < min(0.99, max(0.02, chance + self.easiness[question.id]))
                    choice = question.correct if right else rng.choice(self.wrong[question.id])
                    right = choice == question.correct
                    correct += right
                    answers.append(
                        (
                            str(uuid.uuid5(namespace, question.id)),  # as store._answer_id
                            DEVICE,
                            created,
                            attempt_id,
                            question.id,
                            choice,
                            int(right),
                        )
                    )
                attempts.append(
                    (
                        attempt_id,
                        DEVICE,
                        created,
                        kind,
                        subject,
                        locale,
                        phase,
                        code,
                        self.version,
                        correct,
                        len(questions),
                    )
                )
            with store.writing(self.db):
                # Attempts first: the answers' trigger reads them to keep the tallies.
                self.db.executemany(
                    "INSERT INTO quiz_attempt (id, device, created_utc, kind, subject, locale,"
                    " phase, session_code, pack_version, correct, total)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    attempts,
                )
                self.db.executemany(
                    "INSERT INTO quiz_answer (id, device, created_utc, attempt_id, question,"
                    " choice, is_correct) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    answers,
                )
            self.counts.attempts += len(attempts)
            self.counts.answers += len(answers)
            progress.advance("attempts", len(batch), sizes)

    # --- Hazard reports ----------------------------------------------------------------

    def write_hazards(self, count: int, progress, sizes) -> None:
        rng = self.rng
        drawn = []
        for index in range(count):
            day = self._draw_day(self.hazard_days)
            created = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                seconds=rng.randint(0, 86399)
            )
            drawn.append((created, index, self._hazard(created)))
        drawn.sort(key=lambda item: (item[0], item[1]))
        size = _batch_size(len(drawn), HAZARDS_PER_TRANSACTION)
        for first in range(0, len(drawn), size):
            batch = drawn[first : first + size]
            rows = [row for _created, _index, (row, _events) in batch]
            events = [event for _created, _index, (_row, mine) in batch for event in mine]
            with store.writing(self.db):
                self.db.executemany(
                    "INSERT INTO hazard_report (id, device, created_utc, reference, locale,"
                    " seen_on, item, how_many, description, place, admin_area, geo_safe,"
                    " latitude, longitude, marked, nearby, hurt, urgent, contact_consent,"
                    " contact_name, contact_phone, contact_purged_utc, status, status_by,"
                    " status_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " 0, NULL, NULL, NULL, ?, ?, ?)",
                    rows,
                )
                self.db.executemany(
                    "INSERT INTO hazard_event (id, device, created_utc, report_id, account_id,"
                    " from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    events,
                )
            self.counts.hazards += len(rows)
            self.counts.events += len(events)
            progress.advance("hazards", len(batch), sizes)

    def _hazard(self, created: datetime) -> tuple[tuple, list[tuple]]:
        rng = self.rng
        report_id = self._uuid()
        place_name, _kind, _district = rng.choice(self.places)
        place = f"{place_name}, {rng.choice(HAZARD_PLACES)}"
        seen_on = None
        if rng.random() < 0.7:
            seen_on = (
                created.date() - timedelta(days=rng.choice((0, 0, 1, 1, 2, 5, 14)))
            ).isoformat()
        geo_safe = rng.random() < 0.4
        latitude = longitude = None
        if geo_safe:
            centre = self.hazard_centres[place_name]
            latitude = round(centre[0] + rng.uniform(-0.03, 0.03), 6)
            longitude = round(centre[1] + rng.uniform(-0.03, 0.03), 6)
        nearby = [name for name in NEARBY if rng.random() < NEARBY_CHANCE.get(name, 0.2)]
        hurt = rng.choices(list(HURT_WEIGHTS), weights=HURT_WEIGHTS.values())[0]
        urgent = hurt == "yes" or "school" in nearby  # as hazards.is_urgent
        age = (self.today - created.date()).days
        status = rng.choices(
            ("new", "forwarded", "verified", "closed"),
            weights=(60 * math.exp(-age / 15) + 2, 20, 15 + age / 10, 5 + age / 5),
        )[0]
        path = {
            "new": [],
            "forwarded": ["forwarded"],
            "verified": ["forwarded", "verified"],
            "closed": ["forwarded", "verified", "closed"] if rng.random() < 0.7 else ["closed"],
        }[status]
        events, moment, before = [], created, "new"
        for after in path:
            moment = self._later(moment, 600, 5 * 86400)
            note = rng.choice(("", "", "Demo note: passed on to the demo clearance team."))
            events.append(
                (
                    self._uuid(),
                    DEVICE,
                    _stamp(moment),
                    report_id,
                    self.admin_id,
                    before,
                    after,
                    note,
                )
            )
            before = after
        row = (
            report_id,
            DEVICE,
            _stamp(created),
            self._reference(),
            rng.choices(self.locales, weights=self.locale_weights)[0],
            seen_on,
            rng.choices(list(ITEM_WEIGHTS), weights=ITEM_WEIGHTS.values())[0],
            rng.choices(list(HOW_MANY_WEIGHTS), weights=HOW_MANY_WEIGHTS.values())[0],
            rng.choice(DESCRIPTIONS),
            place,
            rng.choice(self.area_codes) if self.area_codes else None,
            int(geo_safe),
            latitude,
            longitude,
            rng.choices(list(MARKED_WEIGHTS), weights=MARKED_WEIGHTS.values())[0],
            " ".join(nearby),
            hurt,
            int(urgent),
            status,
            self.admin_id if events else None,
            _stamp(moment) if events else None,
        )
        return row, events

    def _reference(self) -> str:
        while True:
            letters = "".join(self.rng.choice(REFERENCE_ALPHABET) for _ in range(8))
            reference = f"H-{letters[:4]}-{letters[4:]}"
            if reference not in self.references:
                self.references.add(reference)
                return reference


def seed_database(
    path: Path | str,
    library,
    *,
    sessions: int,
    attempts: int,
    hazards: int,
    seed: int,
    force: bool = False,
    say: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> Counts:
    """Fill the database at ``path`` with demo records; return what was written.

    Raises DemoRefused, writing nothing, when the database holds real records
    and ``force`` is false.
    """
    db = store.connect(path)
    try:
        # A bigger page cache than the default 2 MB: the answers' indexes grow large.
        db.execute("PRAGMA cache_size = -65536")
        found = real_records(db)
        if found and not force:
            raise DemoRefused(
                f"the database {path} holds real records (in {', '.join(found)}); demo data "
                "is never mixed into them: point EORE_DATA at another folder, or give --force"
            )
        seeder = Seeder(db, library, seed=seed, now=now or datetime.now(UTC))
        seeder.accounts(max(3, min(60, sessions // 150)))
        planned_sessions = seeder.plan_sessions(sessions)
        test_attempts = seeder.allocate_tests(planned_sessions, attempts)
        lesson_attempts = attempts - test_attempts if seeder.quizzes else 0
        sizes = {
            "sessions": sessions,
            "attempts": test_attempts + lesson_attempts,
            "hazards": hazards,
        }
        progress = Progress(sum(sizes.values()), say)
        seeder.write_sessions(planned_sessions, progress, sizes)
        planned = seeder.plan_attempts(planned_sessions, lesson_attempts)
        seeder.write_attempts(planned, progress, sizes)
        seeder.write_hazards(hazards, progress, sizes)
        return seeder.counts
    finally:
        db.close()
