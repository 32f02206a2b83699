// Claim scenario page: one submit per answer, and the parts of the form the chosen action doesn't
// use are dimmed (never hidden or disabled: everything typed is still sent and kept on errors).
(function () {
  "use strict";
  var CLAIM_ACTIONS = ["resubmit-corrected", "request-reopening", "bill-other-payer"];

  document.querySelectorAll("form.claim-answer").forEach(function (form) {
    form.addEventListener("submit", function () {
      var b = form.querySelector("[data-once]");
      if (b) { setTimeout(function () { b.disabled = true; b.textContent = "Scoring…"; }, 0); }
    });

    var radios = form.querySelectorAll("input[name='action']");
    if (!radios.length) { return; }
    var claim = form.querySelector(".claim-edit");
    var other = form.querySelector("#other_payer");
    var proof = form.querySelector("#filing_proof");

    function mark(el, used) {
      var box = el && el.closest(".claim-field, .claim-edit");
      if (box) { box.classList.toggle("claim-muted", !used); }
    }
    function update() {
      var picked = form.querySelector("input[name='action']:checked");
      var action = picked ? picked.value : "";
      mark(claim, !action || CLAIM_ACTIONS.indexOf(action) >= 0);
      mark(other, !action || action === "bill-other-payer");
      mark(proof, !action || action === "appeal");
    }
    radios.forEach(function (r) { r.addEventListener("change", update); });
    update();
  });
}());
