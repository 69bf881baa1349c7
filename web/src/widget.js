// The shop's chat widget: rasa-webchat talking to the bot's Socket.IO channel
// (channels/socketio.py). The bot's address is the page's `rasa` query parameter
// (e.g. ?rasa=http://localhost:5005), by default port 5005 of the page's host.
//
// rasa-webchat keeps the session id and the messages in localStorage ("chat_session"), so
// a page reload shows the same conversation, and the bot (same session id) keeps its slots.
// "Nouvelle conversation" forgets them: the next connection gets a new session id from the
// bot, so a shared computer never shows the previous customer's conversation.
(function () {
  "use strict";

  var STORAGE_KEY = "chat_session";
  var OPEN_AFTER_RESET = "savbot_open_after_reset";
  var query = new URLSearchParams(window.location.search);
  var socketUrl = query.get("rasa") ||
    window.location.protocol + "//" + (window.location.hostname || "localhost") + ":5005";

  function newConversation() {
    window.localStorage.removeItem(STORAGE_KEY);
    window.sessionStorage.setItem(OPEN_AFTER_RESET, "1");
    window.location.reload();
  }
  window.savbotNewConversation = newConversation;

  // French labels for what rasa-webchat leaves in English (screen readers read them).
  function translateLabels() {
    document.querySelectorAll(".rw-launcher:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", "Discuter avec le service client");
    });
    document.querySelectorAll('img[alt="close"]').forEach(function (el) {
      el.setAttribute("alt", "Fermer");
    });
  }

  // A "Nouvelle conversation" control in the widget's header (re-added whenever the widget
  // re-renders its header).
  function addNewConversationButton() {
    translateLabels();
    var header = document.querySelector(".rw-header-buttons");
    if (!header || header.querySelector(".savbot-new-conversation")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "savbot-new-conversation";
    button.textContent = "Nouvelle conversation";
    button.title = "Effacer cette conversation et en commencer une nouvelle";
    button.addEventListener("click", newConversation);
    header.insertBefore(button, header.firstChild);
  }
  new MutationObserver(addNewConversationButton)
    .observe(document.body, { childList: true, subtree: true });

  window.WebChat.default({
    socketUrl: socketUrl,
    socketPath: "/socket.io/",
    title: "Service client",
    subtitle: "Atelier Lumière",
    inputTextFieldHint: "Écrivez votre message…",
    connectingText: "Connexion au service client…",
    // Sent (not shown) when a new conversation starts: the bot greets the visitor.
    initPayload: "Bonjour",
    hideWhenNotConnected: false,
    withRules: false,
    showCloseButton: true,
    params: { storage: "local" },
    customMessageDelay: function (text) {
      return Math.min(1200, 300 + 5 * String(text || "").length);
    },
  }, document.getElementById("chat"));

  if (window.sessionStorage.getItem(OPEN_AFTER_RESET)) {
    window.sessionStorage.removeItem(OPEN_AFTER_RESET);
    var opener = window.setInterval(function () {
      var launcher = document.querySelector(".rw-launcher");
      if (launcher && !document.querySelector(".rw-conversation-container")) {
        launcher.click();
      }
      if (document.querySelector(".rw-conversation-container")) {
        window.clearInterval(opener);
      }
    }, 200);
  }
})();
