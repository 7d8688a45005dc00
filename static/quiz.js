/* Instant feedback on lesson quizzes. The page works without this script: the
   form is sent as usual and the result page shows the same explanations for
   the answers sent. Written for old Android browsers: no arrow functions, no
   classList. Nothing is locked, so keyboard users can move between options. */
(function () {
  "use strict";
  if (!document.querySelectorAll || !document.addEventListener) { return; }
  var form = document.querySelector("form.quiz[data-instant]");
  if (!form) { return; }

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
