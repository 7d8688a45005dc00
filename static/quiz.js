/* Instant feedback on lesson quizzes. The page works without this script: the
   form is sent as usual and the result page shows the same explanations for
   the answers sent; a quiz checked in the page (a saved lesson, the static
   site) keeps each answer behind "Show the answer", which this script hides. Written for old Android browsers: no arrow functions, no
   classList. Nothing is locked, so keyboard users can move between options. */
(function () {
  "use strict";
  if (!document.querySelectorAll || !document.addEventListener) { return; }
  var form = document.querySelector(".quiz[data-instant]");
  if (!form) { return; }
  var answers = form.querySelectorAll("details.answer");
  for (var a = 0; a < answers.length; a++) { show(answers[a], false); }

  function show(element, visible) {
    if (!element) { return; }
    if (visible) { element.removeAttribute("hidden"); } else { element.setAttribute("hidden", ""); }
  }

  function reveal(fieldset, chosen) {
    var feedback = fieldset.querySelector(".feedback");
    if (!feedback) { return; }
    var right = chosen.hasAttribute("data-correct");
    show(feedback.querySelector(".verdict.right"), right);
    show(feedback.querySelector(".verdict.not-quite"), !right);
    show(feedback, true);
  }

  var fieldsets = form.querySelectorAll("fieldset.question");
  for (var i = 0; i < fieldsets.length; i++) {
    (function (fieldset) {
      var checked = fieldset.querySelector("input[type=radio]:checked");
      if (checked) { reveal(fieldset, checked); }
      fieldset.addEventListener("change", function (event) {
        var target = event.target;
        if (target && target.type === "radio" && target.checked) { reveal(fieldset, target); }
      });
    })(fieldsets[i]);
  }
})();
