"""Group sessions: a facilitator shows lessons, phones join by code and follow along.

The facilitator chooses the audience, language, place and lessons (and the
knowledge test before and after); starting the session gives a short code to
read aloud and a QR code for ``EORE_BASE_URL/join/<code>``. Phones open that
address (no account, no name) and show the step the facilitator shows. They
ask ``/join/<code>/state`` every few seconds with the ETag they have: the
answer is an empty 304 until the facilitator moves, which costs the box's
Wi-Fi almost nothing. Without JavaScript, a link reloads the page.

Which phones are following is kept in memory only (it is not a record anyone
needs after the session): a phone counts while it asked within the last
half minute.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from . import qr, schema, store
from .accounts import current_account, protect
from .content import current_library
from .i18n import preferred_locale
from .learning import lesson_context
from .materials import base_url, short_form
from .quizpack import grade

# Letters and digits that cannot be mistaken for one another when read aloud or
# copied from a board: no 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B.
CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY3479"
CODE_LENGTH = 5
PHONE_COOKIE = "eore_phone"
FOLLOWING_SECONDS = 30
MAX_PHONES = 500  # counted per session: more than a Wi-Fi access point carries
MAX_PLACE = 200

bp = Blueprint("sessions", __name__, url_prefix="/facilitate/sessions")
protect(bp)
join = Blueprint("join", __name__)


@dataclass(frozen=True)
class Step:
    """One thing shown in a session: a lesson, or the knowledge test before or after."""

    kind: str  # "lesson" or "test"
    subject: str  # lesson slug or test id
    phase: str | None = None  # "pre" or "post" for a test


@dataclass(frozen=True)
class GroupSession:
    id: str
    code: str
    facilitator_id: str
    audience: str
    locale: str
    place: str
    admin_area: str | None
    plan: tuple[Step, ...]
    step: int
    version: int
    status: str
    created_utc: str
    question: str | None = None  # the live question open now
    revealed: bool = False

    @property
    def current(self) -> Step:
        return self.plan[self.step]

    @property
    def running(self) -> bool:
        return self.status == "running"


def _session(row) -> GroupSession | None:
    if row is None:
        return None
    plan = tuple(Step(**item) for item in json.loads(row["plan"]))
    return GroupSession(
        id=row["id"],
        code=row["code"],
        facilitator_id=row["facilitator_id"],
        audience=row["audience"],
        locale=row["locale"],
        place=row["place"],
        admin_area=row["admin_area"],
        plan=plan,
        step=row["step"],
        version=row["version"],
        status=row["status"],
        created_utc=row["created_utc"],
        question=row["question"],
        revealed=bool(row["revealed"]),
    )


def normalize_code(value: str | None) -> str:
    """Return a join code as stored: upper case, without spaces or dashes."""
    return "".join((value or "").split()).replace("-", "").upper()[:20]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_session(db, *, facilitator_id, audience, locale, place, admin_area, plan, device):
    """Store a new running session with a fresh join code; return it."""
    steps = json.dumps([step.__dict__ for step in plan])
    for _attempt in range(20):
        code = new_code()
        try:
            with store.writing(db):
                db.execute(
                    "INSERT INTO group_session (id, device, created_utc, code, facilitator_id,"
                    " audience, locale, place, admin_area, plan) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        str(uuid.uuid4()),
                        device,
                        store.utc_now(),
                        code,
                        facilitator_id,
                        audience,
                        locale,
                        place,
                        admin_area,
                        steps,
                    ),
                )
        except sqlite3.IntegrityError:
            continue  # that code is taken: draw another
        return session_by_code(db, code)
    raise RuntimeError("could not find a free join code")


def session_by_code(db, code: str) -> GroupSession | None:
    row = db.execute(
        "SELECT * FROM group_session WHERE code = ?", (normalize_code(code),)
    ).fetchone()
    return _session(row)


def sessions_of(db, facilitator_id: str) -> list[GroupSession]:
    rows = db.execute(
        "SELECT * FROM group_session WHERE facilitator_id = ? ORDER BY created_utc DESC LIMIT 50",
        (facilitator_id,),
    )
    return [_session(row) for row in rows]


def move_to(db, session: GroupSession, step: int) -> None:
    """Show step ``step`` (kept within the plan); phones follow at their next question."""
    step = max(0, min(step, len(session.plan) - 1))
    with store.writing(db):
        db.execute(
            "UPDATE group_session SET step = ?, question = NULL, revealed = 0,"
            " version = version + 1 WHERE id = ?",
            (step, session.id),
        )


def set_question(db, session: GroupSession, question: str | None, revealed: bool = False):
    """Open a live question (or close it with None), or reveal its answer."""
    with store.writing(db):
        db.execute(
            "UPDATE group_session SET question = ?, revealed = ?, version = version + 1"
            " WHERE id = ?",
            (question, int(revealed), session.id),
        )


def live_answer_id(session: GroupSession, phone: str, question: str) -> str:
    """Return the attempt id of a phone's answer: one per phone and question, nothing else kept."""
    return str(uuid.uuid5(uuid.UUID(session.id), f"{phone}/{question}"))


def live_counts(db, session: GroupSession, question: str) -> dict[str, int]:
    """Return how many phones chose each option of a live question."""
    rows = db.execute(
        "SELECT a.choice, COUNT(*) AS n FROM quiz_answer a JOIN quiz_attempt t"
        " ON t.id = a.attempt_id WHERE t.session_code = ? AND t.phase IS NULL"
        " AND a.question = ? GROUP BY a.choice",
        (session.code, question),
    )
    return {row["choice"]: row["n"] for row in rows}


def step_questions(step: Step):
    """Return the quiz questions of a lesson step (none for a test)."""
    if step.kind != "lesson":
        return ()
    quiz = current_library().quizzes.get(step.subject)
    return quiz.questions if quiz else ()


def end_session(db, session: GroupSession) -> None:
    with store.writing(db):
        db.execute(
            "UPDATE group_session SET status = 'ended', ended_utc = ?, version = version + 1"
            " WHERE id = ?",
            (store.utc_now(), session.id),
        )


class Following:
    """The phones following each session: in memory, forgotten after half a minute."""

    def __init__(self):
        self._lock = threading.Lock()
        self._seen: dict[str, dict[str, float]] = {}
        self._calls = 0

    def saw(self, code: str, phone: str) -> None:
        now = time.monotonic()
        with self._lock:
            phones = self._seen.setdefault(code, {})
            phones[phone] = now
            self._calls += 1
            if len(phones) > MAX_PHONES or self._calls % 1000 == 0:
                # Phones that stopped asking (or never kept a cookie) are forgotten, in every
                # session, so that memory cannot grow without end.
                limit = now - FOLLOWING_SECONDS
                for each in list(self._seen):
                    kept = {p: t for p, t in self._seen[each].items() if t >= limit}
                    if len(kept) > MAX_PHONES:
                        kept = dict(sorted(kept.items(), key=lambda i: i[1])[-MAX_PHONES:])
                    if kept:
                        self._seen[each] = kept
                    else:
                        del self._seen[each]

    def count(self, code: str) -> int:
        limit = time.monotonic() - FOLLOWING_SECONDS
        with self._lock:
            phones = self._seen.get(code, {})
            for phone in [p for p, seen in phones.items() if seen < limit]:
                del phones[phone]
            return len(phones)


def following() -> Following:
    return current_app.extensions["eore"].setdefault("following", Following())


def own_session_or_404(code: str) -> GroupSession:
    """Return the signed-in facilitator's session (admins may open any)."""
    session = session_by_code(store.get_db(), code)
    account = current_account()
    if session is None or (session.facilitator_id != account.id and not account.is_admin):
        abort(404)
    return session


def join_url(session: GroupSession) -> str:
    return base_url() + url_for("join.follow", code=session.code)


def step_title(step: Step, locale: str) -> str:
    library = current_library()
    if step.kind == "lesson":
        lesson = library.lessons.get(step.subject)
        return library.text_of(lesson, locale)[0].title if lesson else step.subject
    test = library.tests.get(step.subject)
    title = test.title_in(locale, library.source_locale) if test else step.subject
    when = _("before the session") if step.phase == "pre" else _("after the session")
    return f"{title} ({when})"


@bp.get("/")
def index():
    """List the facilitator's sessions, newest first."""
    sessions = sessions_of(store.get_db(), current_account().id)
    return render_template("sessions/index.html", sessions=sessions, step_title=step_title)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Choose the audience, language, place and lessons, then start the session."""
    library = current_library()
    form = request.form if request.method == "POST" else {}
    problems = []
    if request.method == "POST":
        audience = form.get("audience", "")
        locale = form.get("locale", "")
        place = " ".join((form.get("place") or "").split())
        admin_area = " ".join((form.get("admin_area") or "").split()) or None
        chosen = [slug for slug in form.getlist("lesson") if slug in library.lessons]
        test_id = form.get("test") or ""
        if audience not in schema.AUDIENCES:
            problems.append(_("Choose who the session is for."))
        if locale not in library.locales:
            problems.append(_("Choose the language of the session."))
        if not place or len(place) > MAX_PLACE or len(admin_area or "") > MAX_PLACE:
            problems.append(_("Write where the session takes place (at most 200 characters)."))
        if not chosen:
            problems.append(_("Choose at least one lesson."))
        if test_id and test_id not in library.tests:
            problems.append(_("Choose a knowledge test from the list, or none."))
        if not problems:
            order = {slug: _position(form.get(f"order-{slug}"), i) for i, slug in enumerate(chosen)}
            plan = [Step("lesson", slug) for slug in sorted(chosen, key=order.get)]
            if test_id:
                plan = [Step("test", test_id, "pre"), *plan, Step("test", test_id, "post")]
            session = create_session(
                store.get_db(),
                facilitator_id=current_account().id,
                audience=audience,
                locale=locale,
                place=place,
                admin_area=admin_area,
                plan=plan,
                device=current_app.config["DEVICE_ID"],
            )
            return redirect(url_for("sessions.control", code=session.code))
    lessons = [
        (lesson, library.text_of(lesson, g.locale)[0]) for lesson in library.lessons.values()
    ]
    tests = [
        (test_id, test.title_in(g.locale, library.source_locale))
        for test_id, test in library.tests.items()
    ]
    response = make_response(
        render_template(
            "sessions/new.html",
            lessons=lessons,
            tests=tests,
            audiences=schema.AUDIENCES,
            locales=library.locales,
            form=form,
            problems=problems,
        ),
        422 if problems else 200,
    )
    return response


def _position(value: str | None, default: int) -> float:
    try:
        return float(value) if value else 1000 + default
    except ValueError:
        return 1000 + default


@bp.get("/<code>")
def control(code):
    """The facilitator's control: the step shown, next and back, the join code, who follows."""
    from .referrals import referral_counts, referrals_open  # referrals builds on this module

    session = own_session_or_404(code)
    return render_template(
        "sessions/control.html",
        referrals=referral_counts(store.get_db(), session.id),
        referrals_open=referrals_open(store.get_db(), session.id),
        referral_id=store.new_record_id(),
        referral_logged=request.args.get("referral"),
        service_types=schema.SERVICE_TYPES,
        session=session,
        step_title=step_title,
        join_url=join_url(session),
        short=short_form(join_url(session)),
        phones=following().count(session.code),
        questions=_asked_here(session),
        live=_live(session),
        gains=_gains(session),
    )


@dataclass(frozen=True)
class LiveBar:
    """One option of the live question: its words, how many chose it, its share of all."""

    option: str
    label: str
    count: int
    percent: int
    correct: bool


@dataclass(frozen=True)
class Live:
    question: object  # Question
    text: object  # QuestionText
    bars: tuple[LiveBar, ...]
    answered: int
    revealed: bool


def _asked_here(session: GroupSession) -> list[tuple]:
    """Return the current lesson's questions with their words, for 'ask this question'."""
    library = current_library()
    return [
        (question, question.text_in(session.locale, library.source_locale)[0])
        for question in step_questions(session.current)
    ]


def _live(session: GroupSession) -> Live | None:
    """Return the open live question with its answers counted, or None."""
    library = current_library()
    question = library.questions.get(session.question or "")
    if question is None:
        return None
    text, _fell_back = question.text_in(session.locale, library.source_locale)
    counts = live_counts(store.get_db(), session, question.id)
    answered = sum(counts.values())
    bars = tuple(
        LiveBar(
            option=option.id,
            label=_option_label(question, text, option.id),
            count=counts.get(option.id, 0),
            percent=round(100 * counts.get(option.id, 0) / answered) if answered else 0,
            correct=option.id == question.correct,
        )
        for option in question.options
    )
    return Live(question, text, bars, answered, session.revealed)


def _option_label(question, text, option_id: str) -> str:
    if question.type == "true-false":
        return _("True") if option_id == "true" else _("False")
    return text.options[option_id]


def _gains(session: GroupSession) -> list[dict]:
    """Return, per question of the knowledge test, the share right before and after."""
    tests = [step.subject for step in session.plan if step.kind == "test"]
    if not tests:
        return []
    library = current_library()
    test = library.tests.get(tests[0])
    if test is None:
        return []
    stats = store.question_stats(store.get_db(), subject=test.id, session_code=session.code)
    rows = []
    for question in test.questions:
        entry = stats.get(question.id)
        before = entry.pre.share if entry else None
        after = entry.post.share if entry else None
        rows.append(
            {
                "text": question.text_in(session.locale, library.source_locale)[0].question,
                "before": before,
                "after": after,
                "gain": after - before if before is not None and after is not None else None,
                "answered": (entry.pre.answered, entry.post.answered) if entry else (0, 0),
            }
        )
    return rows


@bp.get("/<code>/screen")
def screen(code):
    """The projector view: the join code and QR code in big, and the step shown now."""
    session = own_session_or_404(code)
    g.locale = session.locale
    library = current_library()
    step = session.current
    text = None
    if step.kind == "lesson" and step.subject in library.lessons:
        text = library.text_of(library.lessons[step.subject], session.locale)[0]
    return render_template(
        "sessions/screen.html",
        session=session,
        step=step,
        title=step_title(step, session.locale),
        text=text,
        short=short_form(join_url(session)),
        phones=following().count(session.code),
        live=_live(session),
    )


@bp.get("/<code>/qr.svg")
def join_qr(code):
    session = own_session_or_404(code)
    level = current_app.config["QR_ERROR_CORRECTION"]
    response = current_app.response_class(
        qr.svg(join_url(session), level), mimetype="image/svg+xml"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<code>/step")
def step(code):
    """Move the session to the next or the previous step."""
    session = own_session_or_404(code)
    if session.running:
        move = {"next": 1, "back": -1}.get(request.form.get("move", ""), 0)
        move_to(store.get_db(), session, session.step + move)
    return redirect(url_for("sessions.control", code=session.code))


@bp.post("/<code>/question")
def question(code):
    """Ask a question of the lesson shown, reveal its answer, or close it."""
    session = own_session_or_404(code)
    action = request.form.get("action", "")
    db = store.get_db()
    if session.running and action == "ask":
        wanted = request.form.get("question", "")
        if wanted in {q.id for q in step_questions(session.current)}:
            set_question(db, session, wanted)
    elif session.running and action == "reveal" and session.question:
        set_question(db, session, session.question, revealed=True)
    elif session.running and action == "close":
        set_question(db, session, None)
    return redirect(url_for("sessions.control", code=session.code))


@bp.route("/<code>/end", methods=["GET", "POST"])
def end(code):
    """End the session, after asking once (phones then stop following)."""
    session = own_session_or_404(code)
    if request.method == "POST" and session.running:
        end_session(store.get_db(), session)
        return redirect(url_for("sessions.control", code=session.code))
    return render_template("sessions/end.html", session=session)


@bp.get("/<code>/status")
def status(code):
    """What the control page polls: changes when phones join or leave, or the step moves."""
    session = own_session_or_404(code)
    phones = following().count(session.code)
    answers = sum(live_counts(store.get_db(), session, session.question).values())
    return _state_response({"version": session.version, "phones": phones, "answers": answers})


def _state_response(state: dict):
    """Answer a poll: ``tag`` names the state; an unchanged state is an empty 304."""
    tag = "-".join(str(value) for value in state.values())
    response = current_app.response_class(
        json.dumps({**state, "tag": tag}), mimetype="application/json"
    )
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


def _phone_id(response=None) -> str:
    """Return this phone's anonymous id (a random cookie), to count the phones following."""
    phone = request.cookies.get(PHONE_COOKIE, "")
    if len(phone) != 22 or not phone.replace("-", "").replace("_", "").isalnum():
        phone = secrets.token_urlsafe(16)
        g.new_phone = phone
    return phone


@join.after_app_request
def _give_phone_cookie(response):
    phone = g.pop("new_phone", None)
    if phone:
        response.set_cookie(PHONE_COOKIE, phone, max_age=12 * 3600, samesite="Lax", httponly=True)
    return response


@join.get("/join")
def ask_code():
    """A phone without a link types the code it was told."""
    code = normalize_code(request.args.get("code"))
    g.locale = preferred_locale()
    if code:
        return redirect(url_for("join.follow", code=code))
    return render_template("sessions/ask_code.html", code="", unknown=False)


@join.get("/join/<code>")
def follow(code):
    """What a participant's phone shows: the step the facilitator shows now."""
    session = session_by_code(store.get_db(), code)
    if session is None:
        g.locale = preferred_locale()
        page = render_template("sessions/ask_code.html", code=normalize_code(code), unknown=True)
        return page, 404
    g.locale = session.locale
    return follow_page(session)


def follow_page(session: GroupSession, message: str | None = None, status: int = 200):
    """Render the phone's page of ``session``, with a message about an answer if any."""
    db = store.get_db()
    phone = _phone_id()
    following().saw(session.code, phone)
    library = current_library()
    step = session.current
    live = _live(session) if session.running else None
    mine = None
    if live is not None:
        attempt = store.get_attempt(db, live_answer_id(session, phone, live.question.id))
        mine = attempt.answers[0].choice if attempt else None
    shown = {"lesson": None}
    if session.running and step.kind == "lesson" and step.subject in library.lessons:
        shown = lesson_context(library.lessons[step.subject], session.locale)
    response = make_response(
        render_template(
            "sessions/follow.html",
            **shown,
            session=session,
            step=step,
            title=step_title(step, session.locale),
            live=live,
            mine=mine,
            message=message,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@join.post("/join/<code>/answer")
def answer(code):
    """Store a phone's answer to the live question, once, anonymously."""
    db = store.get_db()
    session = session_by_code(db, code)
    if session is None:
        abort(404)
    had_cookie = PHONE_COOKIE in request.cookies
    phone = _phone_id()
    if not had_cookie or "new_phone" in g:
        # One answer per phone rests on its cookie: a phone without one gets one now.
        g.locale = session.locale
        return follow_page(session, _("Your answer could not be saved. Please send it again."), 400)
    library = current_library()
    question = library.questions.get(request.form.get("question", ""))
    choice = request.form.get("choice", "")
    if (
        not session.running
        or question is None
        or question.id != session.question
        or session.revealed
    ):
        g.locale = session.locale
        return follow_page(session, _("This question is closed. Look at the screen."), 409)
    if question.option(choice) is None:
        g.locale = session.locale
        return follow_page(session, _("Choose one answer, then press Send."), 422)
    attempt = store.Attempt(
        id=live_answer_id(session, phone, question.id),
        kind="lesson",
        subject=question.lesson,
        locale=session.locale,
        answers=(store.Answer(question.id, choice, grade(question, choice)),),
        pack_version=library.version,
        session_code=session.code,
    )
    try:
        store.save_attempt(db, attempt, device=current_app.config["DEVICE_ID"])
    except sqlite3.Error:
        current_app.logger.exception("could not store a live answer")
        g.locale = session.locale
        return follow_page(session, _("Your answer could not be saved. Please send it again."), 503)
    return redirect(url_for("join.follow", code=session.code))


@join.get("/join/<code>/state")
def state(code):
    """What phones poll: an empty 304 until the facilitator moves on."""
    session = session_by_code(store.get_db(), code)
    if session is None:
        abort(404)
    following().saw(session.code, _phone_id())
    return _state_response({"version": session.version})
