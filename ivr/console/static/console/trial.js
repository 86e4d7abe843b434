// The browser phone and chat of the console's trial page. Each action sends the whole
// conversation so far to the server, which replays it in a practice copy of the line (the real
// webhooks, on the draft) and answers with every turn; the newest turn is shown and, for the
// phone, read aloud by the browser's speech synthesis in each prompt's language.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var errorBox = document.getElementById("trial-error");

  function post(url, inputs, done) {
    var request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("Content-Type", "application/json");
    request.setRequestHeader("X-CSRFToken", token);
    request.onload = function () {
      var data = {};
      try { data = JSON.parse(request.responseText); } catch (e) { data = {error: "The line did not answer."}; }
      if (request.status !== 200 || data.error) {
        errorBox.textContent = data.error || "The line did not answer.";
        errorBox.hidden = false;
        return;
      }
      errorBox.hidden = true;
      done(data.turns);
    };
    request.send(JSON.stringify({inputs: inputs}));
  }

  function item(list, className, text) {
    var li = document.createElement("li");
    li.className = className;
    li.textContent = text;
    list.appendChild(li);
    return li;
  }

  // ---- the phone ----
  var phone = document.getElementById("phone");
  var callList = document.getElementById("call-transcript");
  var readAloud = document.getElementById("read-aloud");
  var dialRow = phone.querySelector(".dial-outcomes");
  var calling = false, callInputs = [];

  function speak(said) {
    if (!readAloud.checked || !window.speechSynthesis) { return; }
    said.forEach(function (sentence) {
      var utterance = new SpeechSynthesisUtterance(sentence.text);
      utterance.lang = sentence.lang;
      window.speechSynthesis.speak(utterance);
    });
  }

  function showCall(turns) {
    var turn = turns[turns.length - 1];
    if (turn.you) { item(callList, "you", "You: " + turn.you); }
    if (turn.error) { item(callList, "note", turn.error); }
    turn.said.forEach(function (s) { item(callList, "line", "Line (" + s.lang + ", " + s.seconds + " s): " + s.text); });
    if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
    speak(turn.said);
    dialRow.hidden = turn.waiting !== "dial";
    if (turn.waiting === "hangup") { item(callList, "note", "The line hung up."); calling = false; }
  }

  function act(typed) {
    if (!calling) { errorBox.textContent = "Call the line first."; errorBox.hidden = false; return; }
    callInputs.push(typed);
    post(phone.getAttribute("data-url"), callInputs, showCall);
  }

  document.getElementById("call-start").addEventListener("click", function () {
    callList.textContent = "";
    callInputs = [];
    calling = true;
    post(phone.getAttribute("data-url"), callInputs, showCall);
  });
  document.getElementById("call-hangup").addEventListener("click", function () {
    calling = false;
    if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
    item(callList, "note", "You hung up.");
  });
  Array.prototype.forEach.call(phone.querySelectorAll(".key"), function (button) {
    button.addEventListener("click", function () { act(button.getAttribute("data-key")); });
  });
  Array.prototype.forEach.call(phone.querySelectorAll(".dial"), function (button) {
    button.addEventListener("click", function () { act("dial " + button.getAttribute("data-status")); });
  });
  var words = document.getElementById("say-words");
  function say() {
    if (words.value.trim()) { act("say " + words.value.trim()); words.value = ""; }
  }
  document.getElementById("say-send").addEventListener("click", say);
  words.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); say(); } });
  document.getElementById("silence").addEventListener("click", function () { act(""); });

  // ---- the chat ----
  var chat = document.getElementById("chat");
  var chatList = document.getElementById("chat-transcript");
  var chatText = document.getElementById("chat-text");
  var chatInputs = [];

  function showChat(turns) {
    var turn = turns[turns.length - 1];
    item(chatList, "you", "You: " + turn.you);
    if (!turn.said.length) { item(chatList, "note", "(no reply)"); }
    turn.said.forEach(function (s) {
      item(chatList, "line", "Line (" + s.parts + (s.parts === 1 ? " part" : " parts") + "): " + s.text);
    });
  }

  document.getElementById("chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!chatText.value.trim()) { return; }
    chatInputs.push(chatText.value.trim());
    chatText.value = "";
    post(chat.getAttribute("data-url"), chatInputs, showChat);
  });
  document.getElementById("chat-restart").addEventListener("click", function () {
    chatInputs = [];
    chatList.textContent = "";
  });
}());
