// Test pages: autosave answers as they change, count down the time left, confirm submit.
// Everything works without this script (the Save and Submit buttons post the form).
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var status = form.querySelector(".attempt__status");
  var timer = null;
  var sending = false;
  var again = false;

  function save() {
    if (sending) { again = true; return; }
    sending = true;
    fetch(form.dataset.autosave, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      if (response.ok) {
        status.textContent = form.dataset.savedText || "✓";
      } else if (response.status === 409) {
        window.location.reload();  // submitted elsewhere or time is up
      }
    }).catch(function () { /* offline: the Save button still works later */ })
      .then(function () {
        sending = false;
        if (again) { again = false; save(); }
      });
  }

  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA" || event.target.type === "text") {
      clearTimeout(timer);
      timer = setTimeout(save, 2000);
    }
  });

  var submitButton = form.querySelector("button[data-confirm]");
  if (submitButton) {
    submitButton.addEventListener("click", function (event) {
      if (!window.confirm(submitButton.dataset.confirm)) event.preventDefault();
    });
  }

  var clock = document.querySelector(".timer");
  if (clock) {
    var value = clock.querySelector(".timer__value");
    var ends = Date.now() + parseInt(clock.dataset.seconds, 10) * 1000;
    var tick = function () {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      var seconds = left % 60;
      value.textContent = Math.floor(left / 60) + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left === 0) {
        // The server submits what was saved; show the result.
        save();
        setTimeout(function () { window.location.reload(); }, 1500);
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
