// The notes beside each text while it is typed: characters, text-message parts, seconds of
// speech, and the warnings `ivr validate` would give (characters outside GSM-7, reading level).
// Works without it: the checks run again when the draft is saved.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');
  var fields = document.querySelectorAll("[data-check-kind]");

  function describe(result, kind) {
    var parts = [result.characters + " characters"];
    if (kind === "say" || kind === "sms") {
      parts.push(result.parts + (result.parts === 1 ? " text-message part" : " text-message parts"));
    }
    if (kind !== "sms") {
      parts.push("about " + result.seconds + " s to say");
    }
    var text = parts.join(", ") + ".";
    if (result.notes.length) {
      text += " Warning: " + result.notes.join("; ") + ".";
    }
    return text;
  }

  function check(field) {
    var out = document.getElementById(field.id + "-check");
    if (!out) { return; }
    var request = new XMLHttpRequest();
    request.open("POST", field.getAttribute("data-check-url"));
    request.setRequestHeader("Content-Type", "application/json");
    if (token) { request.setRequestHeader("X-CSRFToken", token.getAttribute("content")); }
    request.onload = function () {
      if (request.status !== 200) { return; }
      var result = JSON.parse(request.responseText);
      var kind = field.getAttribute("data-check-kind");
      out.textContent = describe(result, kind);
      out.classList.toggle("warning", result.notes.length > 0);
    };
    request.send(JSON.stringify({text: field.value, lang: field.getAttribute("data-lang"),
                                 kind: field.getAttribute("data-check-kind")}));
  }

  Array.prototype.forEach.call(fields, function (field) {
    var timer = null;
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { check(field); }, 250);
    });
    check(field);
  });
}());
