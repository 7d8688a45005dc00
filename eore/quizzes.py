"""Quizzes that teach: a lesson's quiz, and the knowledge test before and after a session.

Everything works with a plain form POST; the little JavaScript there is only
shows each explanation as soon as an answer is chosen. Attempts are stored
anonymously, once, whatever the number of times the form is sent.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from dataclasses import dataclass

from babel.lists import format_list
from flask import abort, current_app, g, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import store
from .content import current_library
from .export import static_export
from .i18n import localized_blueprint, session_code
from .quizpack import Question, grade
from .site import storage_failure, storage_message

bp = localized_blueprint("quizzes", __name__)

PHASES = ("pre", "post")


class BadAnswers(Exception):
    """The form was not made by our page (unknown ids, repeated fields, bad attempt id)."""


@dataclass(frozen=True)
class Asked:
    """A question as shown on a page: its text in the page's locale and its options."""

    number: int
    question: Question
    text: object  # QuestionText
    fell_back: bool
    options: tuple  # (Option, label) pairs
    direction: str  # of the text's locale, which differs from the page's after a fallback
    chosen: str | None = None

    @property
    def right(self) -> bool | None:
        """Return whether the chosen option is right, or None when nothing is chosen."""
        return None if self.chosen is None else grade(self.question, self.chosen)

    @property
    def correct_label(self) -> str:
        """Return the text of the right option."""
        return dict((option.id, label) for option, label in self.options)[self.question.correct]

    @property
    def chosen_label(self) -> str | None:
        """Return the text of the chosen option, if any."""
        return dict((option.id, label) for option, label in self.options).get(self.chosen)


@bp.route("/lessons/<slug>/quiz", methods=["GET", "POST"])
def lesson_quiz(slug):
    """Show a lesson's quiz; on POST, store the answers and show the explanations."""
    library = current_library()
    if slug not in library.lessons:
        abort(404)
    quiz = library.quizzes.get(slug) or abort(404)
    lesson_text, _fell_back = library.text_of(library.lessons[slug], g.locale)
    page = QuizPage(
        kind="lesson",
        subject=slug,
        title=lesson_text.title,
        questions=quiz.questions,
        hide_scores=library.hide_scores or quiz.hide_scores or _scores_hidden_in_url(),
        instant=True,
    )
    if static_export():
        # A static site cannot receive answers: the quiz is checked in the page.
        return render_template(
            "quizzes/static.html",
            page=page,
            asked=page.asked(attempt_id=f"static/{slug}/{g.locale}"),
        )
    return page.respond()


@bp.route("/test/<test_id>", methods=["GET", "POST"])
def knowledge_test(test_id):
    """Serve a knowledge test before (phase=pre) or after (phase=post) a session."""
    library = current_library()
    test = library.tests.get(test_id) or abort(404)
    title = test.title_in(g.locale, library.source_locale)
    phase = request.args.get("phase")
    given = (request.args.get("session") or "").strip()
    code = session_code(given)
    if given and code is None:
        return _refused(_("This session code is not valid. Check it with your facilitator."))
    if phase is None:
        return render_template(
            "quizzes/choose_phase.html",
            title=title,
            test_id=test_id,
            session=code,
            scores="hidden" if _scores_hidden_in_url() else None,
        )
    if phase not in PHASES:
        abort(404)
    page = QuizPage(
        kind="test",
        subject=test_id,
        title=title,
        questions=test.questions,
        hide_scores=library.hide_scores or test.hide_scores or _scores_hidden_in_url(),
        # The test measures what people know: explanations come after answering.
        instant=False,
        phase=phase,
        session_code=code,
    )
    return page.respond()


@bp.errorhandler(CSRFError)
def csrf_failed(error):
    """Keep the answers of a form whose token expired, and ask to send them again."""
    view = current_app.view_functions.get(request.endpoint)
    if request.method != "POST" or view is None:
        return _refused(_("This page had expired. Please open it again."))
    g.csrf_failed = True
    try:
        return view(**(request.view_args or {}))
    except HTTPException as refusal:  # e.g. a quiz that does not exist: its own page
        return current_app.handle_http_exception(refusal)


def _scores_hidden_in_url() -> bool:
    return request.args.get("scores") == "hidden"


def _refused(message: str, status: int = 400):
    """Answer a form we cannot use with a polite page; nothing is stored."""
    return render_template("errors/error.html", status=status, message=message), status


@dataclass
class QuizPage:
    """One quiz or test on a page: showing it, reading its answers, storing them."""

    kind: str
    subject: str
    title: str
    questions: tuple
    hide_scores: bool
    instant: bool
    phase: str | None = None
    session_code: str | None = None

    def respond(self):
        """Answer a GET with the form, and a POST with the result (or the form again)."""
        if request.method == "GET":
            return self.form(attempt_id=str(uuid.uuid4()))
        try:
            attempt_id, chosen = self.read_answers()
        except BadAnswers:
            return _refused(_unreadable())
        if g.get("csrf_failed"):
            # Nothing was stored: a new id, so that an id planted by another site
            # can never name what this person answers.
            message = _("This page had expired. Your answers are kept: please press Send again.")
            return self.form(
                attempt_id=str(uuid.uuid4()), chosen=chosen, message=message, status=400
            )
        missing = [q for q in self.asked(chosen) if q.chosen is None]
        if missing:
            message = _(
                "Please answer every question. Not answered yet: %(numbers)s.",
                numbers=format_list([str(q.number) for q in missing], locale=get_locale()),
            )
            return self.form(attempt_id=attempt_id, chosen=chosen, message=message, status=422)
        sent = self.attempt(attempt_id, chosen)
        try:
            attempt, _created = store.save_attempt(
                store.get_db(), sent, device=current_app.config["DEVICE_ID"]
            )
        except sqlite3.Error as error:
            failure = storage_failure(error)
            if failure is None:
                current_app.logger.exception("could not store a quiz attempt")
            message = _(
                "Your answers could not be saved yet. They are kept: please press Send again."
            )
            if failure is not None:
                message = storage_message(failure)
            return self.form(attempt_id=attempt_id, chosen=chosen, message=message, status=503)
        if not attempt.same_answers_as(sent):
            # The id was used before for other answers: never show what was stored.
            return _refused(_("These answers were already sent. Please open the quiz again."))
        return self.result(chosen)

    def read_answers(self) -> tuple[str, dict[str, str]]:
        """Return the attempt id and the chosen option of each answered question."""
        form = request.form
        if request.files:
            raise BadAnswers("files")
        fields = {f"q-{q.id}": q for q in self.questions}
        for key in form:
            if key not in fields and key not in ("attempt", "csrf_token"):
                raise BadAnswers(key)
        try:
            attempt_id = str(uuid.UUID(form.get("attempt", "")))
        except ValueError as error:
            raise BadAnswers("attempt") from error
        chosen = {}
        for key, question in fields.items():
            values = form.getlist(key)
            if len(values) > 1:
                raise BadAnswers(key)
            if values and values[0]:
                if question.option(values[0]) is None:
                    raise BadAnswers(key)
                chosen[question.id] = values[0]
        return attempt_id, chosen

    def attempt(self, attempt_id: str, chosen: dict[str, str]) -> store.Attempt:
        """Return the attempt to store for these answers."""
        library = current_library()
        return store.Attempt(
            id=attempt_id,
            kind=self.kind,
            subject=self.subject,
            locale=g.locale,
            answers=tuple(
                store.Answer(q.id, chosen[q.id], grade(q, chosen[q.id])) for q in self.questions
            ),
            pack_version=library.version,
            phase=self.phase,
            session_code=self.session_code,
        )

    def asked(self, chosen: dict[str, str] | None = None, *, attempt_id: str = "") -> list[Asked]:
        """Return the questions as shown in this page's locale, with any chosen options.

        Options are shuffled with the attempt id as seed: the right one is not
        always first, and a form shown again keeps its order.
        """
        library = current_library()
        asked = []
        for number, question in enumerate(self.questions, start=1):
            options = list(question.options)
            if question.type != "true-false" and attempt_id:
                random.Random(f"{attempt_id}/{question.id}").shuffle(options)
            text, fell_back = question.text_in(g.locale, library.source_locale)
            asked.append(
                Asked(
                    number=number,
                    question=question,
                    text=text,
                    fell_back=fell_back,
                    direction=library.locales[text.locale].direction,
                    options=tuple((o, _option_label(question, text, o.id)) for o in options),
                    chosen=(chosen or {}).get(question.id),
                )
            )
        return asked

    def form(self, *, attempt_id: str, chosen=None, message=None, status=200):
        """Render the questions as a form that works without JavaScript."""
        asked = self.asked(chosen, attempt_id=attempt_id)
        response = current_app.make_response(
            (
                render_template(
                    "quizzes/quiz.html",
                    page=self,
                    asked=asked,
                    attempt_id=attempt_id,
                    fallback=_fallback_language(asked),
                    message=message,
                    action=request.full_path.rstrip("?"),
                ),
                status,
            )
        )
        # The page carries a one-time attempt id and a token: never cache it.
        response.headers["Cache-Control"] = "no-store"
        return response

    def result(self, chosen: dict[str, str]):
        """Render what was right and why, or only the explanations when scores are hidden."""
        asked = self.asked(chosen)
        response = current_app.make_response(
            render_template(
                "quizzes/result.html",
                page=self,
                asked=asked,
                correct=sum(bool(q.right) for q in asked),
                fallback=_fallback_language(asked),
                again=request.full_path.rstrip("?"),
                lesson_url=url_for("learning.lesson", slug=self.subject)
                if self.kind == "lesson"
                else None,
            )
        )
        response.headers["Cache-Control"] = "no-store"
        return response


def _fallback_language(asked: list[Asked]) -> str | None:
    """Return the name of the language questions fell back to, if any did."""
    fell_back = next((q for q in asked if q.fell_back), None)
    return current_library().locales[fell_back.text.locale].name if fell_back else None


def _unreadable() -> str:
    return _("Your answers could not be read, so nothing was saved. Please open the quiz again.")


def _option_label(question: Question, text, option_id: str) -> str:
    if question.type == "true-false":
        return _("True") if option_id == "true" else _("False")
    return text.options[option_id]
