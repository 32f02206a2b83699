// Practice exams: the countdown (from the server's remaining seconds), autosave of each answer and
// flag as it changes (and at least once a minute), and the question map's state. Everything also
// works without this file: the "Save and ..." buttons post the item and the server keeps the time.
(function () {
  "use strict";

  function fmt(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return h + ":" + (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  // ---- countdown: remaining seconds come from the server's deadline, never from this clock
  var timer = document.querySelector(".exam-timer");
  var endsAt = null;
  if (timer) {
    var value = timer.querySelector(".exam-timer-value");
    var resync = function (remaining) { endsAt = performance.now() + remaining * 1000; };
    resync(parseInt(timer.getAttribute("data-remaining"), 10) || 0);
    var done = false;
    var tick = function () {
      var left = (endsAt - performance.now()) / 1000;
      value.textContent = fmt(left);
      timer.classList.toggle("low", left < 300);
      if (left <= 0 && !done) {
        done = true;
        value.textContent = "0:00:00 — time is up";
        // The server closes and grades the attempt; its grace period covers a save still in flight.
        setTimeout(function () { window.location.assign(timer.getAttribute("data-results")); }, 1500);
      }
    };
    tick();
    setInterval(tick, 1000);
    window.examTimerResync = resync;
  }

  // ---- autosave
  var form = document.querySelector("form.exam-item[data-autosave]");
  if (form) {
    var url = form.getAttribute("data-autosave");
    var position = parseInt(form.getAttribute("data-position"), 10);
    var token = form.getAttribute("data-csrf");
    var status = form.querySelector(".save-status");
    var mapItem = document.querySelector('[data-map="' + position + '"]');
    var dirty = false;

    var state = function () {
      var checked = form.querySelector('input[name="choice"]:checked');
      var flag = form.querySelector('input[name="flagged"]');
      return { position: position, choice: checked ? parseInt(checked.value, 10) : null,
               flagged: flag ? flag.checked : false };
    };

    var save = function () {
      var body = state();
      dirty = false;
      status.textContent = "Saving…";
      return fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (resp) {
        var type = resp.headers.get("Content-Type") || "";
        if (resp.redirected || type.indexOf("application/json") === -1) {
          // Sent to the login page: the session ended. Saved answers and the deadline are on the server.
          return { ok: false, status: resp.status, data: { message: "Not saved: your session ended. Log in again " +
            "(your saved answers and the time left are kept on the server)." } };
        }
        return resp.json().then(function (data) { return { ok: resp.ok, status: resp.status, data: data }; });
      }).then(function (r) {
        if (r.ok) {
          status.textContent = "Saved";
          if (window.examTimerResync) { window.examTimerResync(r.data.remaining); }
          if (mapItem) {
            mapItem.classList.toggle("answered", body.choice !== null);
            mapItem.classList.toggle("flagged", body.flagged);
          }
        } else if (r.status === 409) {
          status.textContent = r.data.message;
          if (r.data.results) { setTimeout(function () { window.location.assign(r.data.results); }, 2500); }
        } else {
          dirty = true;
          status.textContent = (r.data && r.data.message) || "Not saved: use a Save button.";
        }
      }).catch(function () {
        dirty = true;
        status.textContent = "Offline: not saved yet. It will retry, or use a Save button.";
      });
    };

    form.addEventListener("change", function (event) {
      if (event.target.name === "choice" || event.target.name === "flagged") { save(); }
    });
    // At least once a minute: retry anything unsaved, and re-read the time left from the server.
    setInterval(function () { if (dirty || !document.hidden) { save(); } }, 60000);
  }

  // ---- one click per submit-like button
  document.querySelectorAll("form").forEach(function (f) {
    f.addEventListener("submit", function () {
      var b = f.querySelector("[data-once]");
      if (b) { setTimeout(function () { b.disabled = true; }, 0); }
    });
  });
}());
