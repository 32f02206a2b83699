// Quiz pages: show only the fields of the chosen question type, and send an answer form once.
// An enhancement only: without JavaScript every section shows, labelled with its type.
(function () {
  "use strict";
  var form = document.querySelector(".quiz-question-form");
  if (form) {
    var select = form.querySelector("select[name=type]");
    var update = function () {
      form.querySelectorAll(".quiz-for").forEach(function (section) {
        section.hidden = !section.classList.contains("quiz-for-" + select.value);
      });
    };
    select.addEventListener("change", update);
    update();
  }
  document.querySelectorAll("form.quiz-take").forEach(function (take) {
    take.addEventListener("submit", function () {
      var button = take.querySelector("button[data-once]");
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
  });
}());
