/* Instant feedback on lesson quizzes. The page works without this script: the
   form is sent as usual and the result page shows the same explanations.
   Written for old Android browsers: no arrow functions, no classList needed. */
(function () {
  "use strict";
  if (!document.querySelectorAll || !document.addEventListener) { return; }
  var form = document.querySelector("form.quiz[data-instant]");
  if (!form) { return; }

  function reveal(fieldset, chosen) {
    var feedback = fieldset.querySelector(".feedback");
    if (!feedback) { return; }
    var right = chosen.hasAttribute("data-correct");
    var verdict = feedback.querySelector(right ? ".verdict.right" : ".verdict.not-quite");
    if (verdict) { verdict.removeAttribute("hidden"); }
    feedback.removeAttribute("hidden");
    // The first choice is the answer: the others are locked so that what is
    // sent is what was answered. The chosen one stays enabled, to be sent.
    var inputs = fieldset.querySelectorAll("input[type=radio]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i] !== chosen) { inputs[i].disabled = true; }
    }
    fieldset.className += " answered";
  }

  var fieldsets = form.querySelectorAll("fieldset.question");
  for (var i = 0; i < fieldsets.length; i++) {
    (function (fieldset) {
      var checked = fieldset.querySelector("input[type=radio]:checked");
      if (checked) { reveal(fieldset, checked); return; }
      fieldset.addEventListener("change", function (event) {
        var target = event.target;
        if (target && target.type === "radio" && fieldset.className.indexOf("answered") < 0) {
          reveal(fieldset, target);
        }
      });
    })(fieldsets[i]);
  }
})();
