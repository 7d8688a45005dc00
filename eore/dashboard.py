"""The operator's dashboard: who was reached, what they learned, what was reported.

``/admin/`` shows, for a chosen period, place, audience, language and
facilitator: people reached by sex and age band (with persons with
disabilities and first-time attendees) month by month; the share of right
answers before and after sessions, per question, weakest first; how often each
lesson was taught, saved to a phone and its quiz taken; and hazard reports by
type and status. Facilitators see their own sessions, and hazard reports as
counts only; admins see everything. Charts are SVG drawn here, each with its
data as a table beside it and as CSV.

The numbers come from SQL over the store, and quiz answers from running totals
kept by triggers (schema 7), so the page stays fast with years of records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, current_app, g, render_template, request

from . import schema, store
from .accounts import all_accounts, current_account, protect
from .content import current_library
from .hazards import ITEMS, STATUSES
from .reports import SEXES
from .tables import write_csv

bp = Blueprint("dashboard", __name__, url_prefix="/admin")
protect(bp)

URGENT_SHOWN = 20


@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to; None means everything."""

    since: str | None = None  # YYYY-MM-DD, included
    until: str | None = None
    place: str | None = None  # a part of the session's place or area, any case
    audience: str | None = None
    locale: str | None = None
    facilitator: str | None = None  # account id

    @property
    def narrows_sessions(self) -> bool:
        """Return whether only some sessions count (answers outside sessions then do not)."""
        return bool(self.place or self.audience or self.facilitator)

    def query(self) -> dict[str, str]:
        """Return the filters as URL query arguments."""
        names = {"since": "from", "until": "to"}
        return {names.get(key, key): value for key, value in self.__dict__.items() if value}


def read_filters(args, library, account) -> Filters:
    """Return the filters of the query string; a facilitator only ever sees their own."""
    audience = args.get("audience") if args.get("audience") in schema.AUDIENCES else None
    locale = args.get("locale") if args.get("locale") in library.locales else None
    place = " ".join((args.get("place") or "").split())[:200] or None
    facilitator = args.get("facilitator") or None
    if not account.is_admin:
        facilitator = account.id
    return Filters(
        since=store.day_or_none(args.get("from")),
        until=store.day_or_none(args.get("to")),
        place=place,
        audience=audience,
        locale=locale,
        facilitator=facilitator,
    )


# A part of a place's or an area's name, in any case: "?" twice, for the same text.
PLACE_MATCH = (
    "(instr(lower({0}place), lower(?)) OR instr(lower(coalesce({0}admin_area, '')), lower(?)))"
)


def _sessions_where(filters: Filters, alias: str = "s") -> tuple[str, list]:
    """Return the SQL condition that picks the sessions the filters keep, and its values."""
    return store.where(
        (f"substr({alias}.created_utc, 1, 10) >= ?", filters.since),
        (f"substr({alias}.created_utc, 1, 10) <= ?", filters.until),
        (PLACE_MATCH.format(f"{alias}."), filters.place),
        (f"{alias}.audience = ?", filters.audience),
        (f"{alias}.locale = ?", filters.locale),
        (f"{alias}.facilitator_id = ?", filters.facilitator),
    )


@dataclass
class Reach:
    """People reached, from submitted and verified session reports."""

    held: int = 0  # sessions started in the period, reported or not
    sessions: int = 0  # of them, with a submitted or verified report
    drafts: int = 0  # reports not submitted yet: not counted
    by_month: dict = field(default_factory=dict)  # "YYYY-MM" -> {"female": n, "male": n}
    by_band: dict = field(default_factory=dict)  # band -> {"female": n, "male": n}
    disabled: int = 0
    first_time: int = 0

    @property
    def total(self) -> int:
        return sum(sum(counts.values()) for counts in self.by_band.values())


def reach(db, filters: Filters, bands) -> Reach:
    """Return the people reached by the sessions the filters keep.

    Days and months are the reports' dates, as in the session report export: a
    facilitator may correct a date that a box without a clock got wrong.
    """
    where, values = _sessions_where(
        Filters(
            place=filters.place,
            audience=filters.audience,
            locale=filters.locale,
            facilitator=filters.facilitator,
        )
    )
    days, day_values = store.where(("r.day >= ?", filters.since), ("r.day <= ?", filters.until))
    where, values = f"{where} AND {days}", values + day_values
    found = Reach(by_band={band: dict.fromkeys(SEXES, 0) for band in bands})
    held_where, held_values = _sessions_where(filters)
    found.held = db.execute(
        f"SELECT COUNT(*) FROM group_session s WHERE {held_where}", held_values
    ).fetchone()[0]
    joined = f"report_reach r JOIN group_session s ON s.id = r.session_id WHERE {where}"
    for row in db.execute(
        "SELECT r.status = 'draft' AS draft, COUNT(*) AS n, SUM(r.disabled) AS disabled,"
        f" SUM(r.first_time) AS first_time FROM {joined} GROUP BY draft",
        values,
    ):
        if row["draft"]:
            found.drafts = row["n"]
        else:
            found.sessions, found.disabled, found.first_time = (
                row["n"],
                row["disabled"],
                row["first_time"],
            )
    for row in db.execute(
        "SELECT substr(r.day, 1, 7) AS month, SUM(r.female) AS female,"
        f" SUM(r.male) AS male FROM {joined} AND r.status != 'draft' GROUP BY month ORDER BY month",
        values,
    ):
        found.by_month[row["month"]] = {"female": row["female"], "male": row["male"]}
    for row in db.execute(
        "SELECT b.band, SUM(b.female) AS female, SUM(b.male) AS male FROM report_band b"
        " JOIN report_reach r ON r.session_id = b.session_id"
        f" JOIN group_session s ON s.id = b.session_id WHERE {where} AND r.status != 'draft'"
        " GROUP BY b.band",
        values,
    ):
        found.by_band[row["band"]] = {"female": row["female"], "male": row["male"]}
    return found


@dataclass(frozen=True)
class QuestionGain:
    """One knowledge test question: share right before and after sessions."""

    question: str
    text: str
    before: float | None
    after: float | None
    answered_before: int
    answered_after: int

    @property
    def gain(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def _tally(filters: Filters, name: str) -> tuple[str, str, list]:
    """Return the tally table to read (per session, or per day for the whole box) as ``t``,
    and the condition on it for the filters: days, language, sessions."""
    conditions, values = store.where(
        ("t.day >= ?", filters.since),
        ("t.day <= ?", filters.until),
        ("t.locale = ?", filters.locale),
    )
    if not filters.narrows_sessions:
        return f"{name}_day_tally t", conditions, values
    where, more = _sessions_where(
        Filters(place=filters.place, audience=filters.audience, facilitator=filters.facilitator)
    )
    return (
        f"{name}_tally t",
        f"{conditions} AND t.session_code IN (SELECT s.code FROM group_session s WHERE {where})",
        values + more,
    )


def learning(db, filters: Filters, library, locale: str) -> tuple[dict, list[QuestionGain]]:
    """Return the average share right before and after, and each question's, weakest first."""
    table, where, values = _tally(filters, "attempt")
    averages = {}
    for row in db.execute(
        "SELECT t.phase, SUM(t.attempts) AS attempts, SUM(t.share_sum) AS share"
        f" FROM {table} WHERE t.kind = 'test' AND t.phase != '' AND {where}"
        " GROUP BY t.phase",
        values,
    ):
        averages[row["phase"]] = (row["attempts"], row["share"] / row["attempts"])
    per_question: dict[str, dict] = {}
    table, where, values = _tally(filters, "answer")
    for row in db.execute(
        "SELECT t.question, t.phase, SUM(t.answered) AS answered, SUM(t.correct) AS correct"
        f" FROM {table} WHERE t.kind = 'test' AND t.phase != '' AND {where}"
        " GROUP BY t.question, t.phase",
        values,
    ):
        per_question.setdefault(row["question"], {})[row["phase"]] = (
            row["answered"],
            row["correct"],
        )
    gains = []
    for question_id, phases in per_question.items():
        before = phases.get("pre", (0, 0))
        after = phases.get("post", (0, 0))
        question = library.questions.get(question_id)
        text = (
            question.texts.get(locale, question.texts[library.source_locale]).question
            if question
            else question_id
        )
        gains.append(
            QuestionGain(
                question=question_id,
                text=text,
                before=before[1] / before[0] if before[0] else None,
                after=after[1] / after[0] if after[0] else None,
                answered_before=before[0],
                answered_after=after[0],
            )
        )
    # The weakest message first: the lowest share right after the session.
    gains.sort(key=lambda g: (g.after if g.after is not None else 2, g.question))
    return averages, gains


def lessons_use(db, filters: Filters, library) -> list[dict]:
    """Return, per lesson: sessions that taught it, quizzes taken, saves to a phone."""
    where, values = _sessions_where(filters)
    taught = {
        row["lesson"]: row["n"]
        for row in db.execute(
            "SELECT l.lesson, COUNT(*) AS n FROM session_lesson l"
            f" JOIN group_session s ON s.id = l.session_id WHERE {where} GROUP BY l.lesson",
            values,
        )
    }
    table, tally_where, tally_values = _tally(filters, "attempt")
    quizzes = {
        row["subject"]: row["n"]
        for row in db.execute(
            f"SELECT t.subject, SUM(t.attempts) AS n FROM {table}"
            f" WHERE t.kind = 'lesson' AND {tally_where}"
            # A live question answered in a session is not a quiz taken.
            + (" AND t.session_code = ''" if table.startswith("attempt_tally") else "")
            + " GROUP BY t.subject",
            tally_values,
        )
    }
    downloads = {}
    if not filters.narrows_sessions:  # a saved lesson belongs to no session
        conditions, more = store.where(
            ("day >= ?", filters.since), ("day <= ?", filters.until), ("locale = ?", filters.locale)
        )
        downloads = {
            row["subject"]: row["n"]
            for row in db.execute(
                "SELECT subject, SUM(downloads) AS n FROM lesson_download"
                f" WHERE {conditions} GROUP BY subject",
                more,
            )
        }
    rows = []
    for lesson in library.lessons.values():
        rows.append(
            {
                "lesson": lesson.slug,
                "title": library.text_of(lesson, g.locale)[0].title,
                "taught": taught.get(lesson.slug, 0),
                "quizzes": quizzes.get(lesson.slug, 0),
                "downloads": downloads.get(lesson.slug, 0),
            }
        )
    rows.sort(key=lambda row: (-row["taught"], -row["quizzes"], row["lesson"]))
    return rows


def hazards(db, filters: Filters, *, admin: bool) -> dict:
    """Return hazard reports by type and status, by month and status, and the open urgent.

    For a facilitator, only days narrow them and no report is listed: a place or a
    language typed as a filter must not reveal, count by count, what a report says.
    """
    if not admin:
        filters = Filters(since=filters.since, until=filters.until)
    where, values = store.where(
        ("substr(created_utc, 1, 10) >= ?", filters.since),
        ("substr(created_utc, 1, 10) <= ?", filters.until),
        (PLACE_MATCH.format(""), filters.place),
        ("locale = ?", filters.locale),
    )
    by_type = {item: dict.fromkeys(STATUSES, 0) for item in ITEMS}
    for row in db.execute(
        f"SELECT item, status, COUNT(*) AS n FROM hazard_report WHERE {where}"
        " GROUP BY item, status",
        values,
    ):
        by_type[row["item"]][row["status"]] = row["n"]
    by_month: dict[str, dict] = {}
    for row in db.execute(
        f"SELECT substr(created_utc, 1, 7) AS month, status, COUNT(*) AS n FROM hazard_report"
        f" WHERE {where} GROUP BY month, status ORDER BY month",
        values,
    ):
        by_month.setdefault(row["month"], dict.fromkeys(STATUSES, 0))[row["status"]] = row["n"]
    urgent_open = db.execute(
        f"SELECT COUNT(*) FROM hazard_report WHERE {where} AND urgent = 1 AND status != 'closed'",
        values,
    ).fetchone()[0]
    urgent = (
        []
        if not admin
        else [
            dict(row)
            for row in db.execute(
                "SELECT id, reference, created_utc, item, place, status FROM hazard_report"
                f" WHERE {where} AND urgent = 1 AND status != 'closed'"
                f" ORDER BY created_utc DESC LIMIT {URGENT_SHOWN}",
                values,
            )
        ]
    )
    return {"by_type": by_type, "by_month": by_month, "urgent": urgent, "urgent_open": urgent_open}


SECTIONS = ("reach", "learning", "lessons", "hazards")


def _everything(filters: Filters, sections=SECTIONS) -> dict:
    """Return the numbers of the dashboard's ``sections`` (all of them for the page)."""
    db = store.get_db()
    library = current_library()
    found = {}
    if "reach" in sections:
        found["reach"] = reach(db, filters, library.age_bands)
    if "learning" in sections:
        found["averages"], found["gains"] = learning(db, filters, library, g.locale)
    if "lessons" in sections:
        found["lessons"] = lessons_use(db, filters, library)
    if "hazards" in sections:
        found["hazards"] = hazards(db, filters, admin=current_account().is_admin)
    return found


@bp.get("/")
def home():
    """The dashboard, narrowed by the filters of the query string."""
    library = current_library()
    account = current_account()
    filters = read_filters(request.args, library, account)
    facilitators = (
        [a for a in all_accounts(store.get_db()) if a.role == "facilitator"]
        if account.is_admin
        else []
    )
    return render_template(
        "dashboard/home.html",
        account=account,
        filters=filters,
        facilitators=facilitators,
        audiences=schema.AUDIENCES,
        locales=library.locales,
        bands=library.age_bands,
        items=ITEMS,
        statuses=STATUSES,
        **_everything(filters),
    )


# (key, header, HXL hashtag, XLSForm-style name) of each chart's CSV.
CHART_COLUMNS = {
    "reach": [
        ("month", "month", "#date+month", "month"),
        ("female", "women and girls", "#reached+f", "female"),
        ("male", "men and boys", "#reached+m", "male"),
        ("total", "people reached", "#reached+total", "total"),
    ],
    "bands": [
        ("band", "age band", "#group+age", "age_band"),
        ("female", "women and girls", "#reached+f", "female"),
        ("male", "men and boys", "#reached+m", "male"),
    ],
    "learning": [
        ("question", "question id", "#indicator+code", "question_id"),
        ("text", "question", "#indicator+text", "question"),
        ("before", "share right before", "#indicator+score+pre", "share_before"),
        ("after", "share right after", "#indicator+score+post", "share_after"),
        ("answered_before", "answers before", "#indicator+answers+pre", "answers_before"),
        ("answered_after", "answers after", "#indicator+answers+post", "answers_after"),
    ],
    "lessons": [
        ("lesson", "lesson", "#activity+code", "lesson"),
        ("taught", "sessions that taught it", "#activity+sessions", "sessions"),
        ("quizzes", "quizzes taken", "#indicator+quizzes", "quizzes"),
        ("downloads", "saved to a phone", "#indicator+downloads", "downloads"),
    ],
    "hazards": [
        ("item", "what was seen", "#item+type", "item_type"),
        *[(status, status, f"#status+{status}", status) for status in STATUSES],
    ],
    "hazard_months": [
        ("month", "month", "#date+month", "month"),
        *[(status, status, f"#status+{status}", status) for status in STATUSES],
    ],
}


# The section of the dashboard each chart's numbers come from.
CHART_SECTION = {
    "reach": "reach",
    "bands": "reach",
    "learning": "learning",
    "lessons": "lessons",
    "hazards": "hazards",
    "hazard_months": "hazards",
}


def chart_rows(chart: str, data: dict) -> list[dict]:
    """Return the rows of one chart's data, as downloaded."""
    if chart == "reach":
        return [
            {"month": month, **counts, "total": sum(counts.values())}
            for month, counts in data["reach"].by_month.items()
        ]
    if chart == "bands":
        return [{"band": band, **counts} for band, counts in data["reach"].by_band.items()]
    if chart == "learning":
        return [
            {
                **gain.__dict__,
                "before": round(gain.before, 3) if gain.before is not None else None,
                "after": round(gain.after, 3) if gain.after is not None else None,
            }
            for gain in data["gains"]
        ]
    if chart == "lessons":
        return data["lessons"]
    if chart == "hazard_months":
        return [{"month": month, **counts} for month, counts in data["hazards"]["by_month"].items()]
    return [{"item": item, **counts} for item, counts in data["hazards"]["by_type"].items()]


@bp.get("/dashboard-<chart>.csv")
def chart_csv(chart):
    """Download the data of one chart, for the same filters as the page."""
    if chart not in CHART_COLUMNS:
        abort(404)
    filters = read_filters(request.args, current_library(), current_account())
    data = _everything(filters, sections=(CHART_SECTION[chart],))  # only what it shows
    text = write_csv(CHART_COLUMNS[chart], chart_rows(chart, data), "csv")
    response = current_app.response_class(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="dashboard-{chart}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
