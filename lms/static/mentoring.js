// Mentoring pages: save the session form as a draft while the mentor types, and print
// buttons. Everything works without this script (the buttons post the form).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var status = document.getElementById("autosave-status");
  var sessionField = form.querySelector("input[name=session_id]");
  var timer = null;
  var sending = false;
  var again = false;

  function save() {
    if (sending) { again = true; return; }
    sending = true;
    var data = new FormData(form);
    data.delete("submit");
    data.delete("save_draft");
    fetch(form.dataset.autosave, {
      method: "POST",
      body: data,
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (body) { return [response, body]; });
    }).then(function (pair) {
      var response = pair[0], body = pair[1];
      if (response.ok) {
        status.textContent = body.message;
        status.classList.remove("autosave-status--error");
        if (!sessionField.value) {
          // The first save made a draft: from now on the form edits it.
          sessionField.value = body.session_id;
          form.action = body.edit_url;
          window.history.replaceState(null, "", body.edit_url);
        }
      } else {
        status.textContent = (body.error && body.error.message) || "";
        status.classList.add("autosave-status--error");
      }
    }).catch(function () { /* offline: the buttons still work later */ })
      .then(function () {
        sending = false;
        if (again) { again = false; save(); }
      });
  }

  function later(delay) {
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }
  form.addEventListener("change", function () { later(1500); });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA" || event.target.type === "text") later(4000);
  });
})();
