// 朗读: reads a page's text aloud in Mandarin with the browser's own speech synthesis.
// Progressive enhancement: the buttons are hidden until this script finds speech synthesis; without
// it (or without JavaScript) the page is the same, just without the button.
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  if (!synth || typeof window.SpeechSynthesisUtterance !== "function") {
    return;
  }
  function textOf(button) {
    var parts = [];
    var selectors = (button.getAttribute("data-read-aloud") || "h1").split(",");
    selectors.forEach(function (selector) {
      document.querySelectorAll(selector.trim()).forEach(function (node) {
        var text = (node.innerText || node.textContent || "").trim();
        if (text) {
          parts.push(text);
        }
      });
    });
    return parts.join("。\n");
  }
  document.querySelectorAll("button[data-read-aloud]").forEach(function (button) {
    var idle = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (synth.speaking) {
        synth.cancel();
        button.textContent = idle;
        button.setAttribute("aria-pressed", "false");
        return;
      }
      var utterance = new window.SpeechSynthesisUtterance(textOf(button));
      utterance.lang = "zh-CN";
      utterance.rate = 0.9;
      utterance.onend = function () {
        button.textContent = idle;
        button.setAttribute("aria-pressed", "false");
      };
      button.textContent = "停止朗读";
      button.setAttribute("aria-pressed", "true");
      synth.speak(utterance);
    });
  });
})();
