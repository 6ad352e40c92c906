// The rider page's one job: keep a fresh code on screen. It asks the issuer for the next code
// every `refresh_after` seconds (sooner if the page comes back to the front), counts down to
// the shown code's expiry on the issuer's clock, and says plainly when it is offline or
// signed out. Served by the issuer; nothing comes from elsewhere.
(function () {
  "use strict";
  var page = document.getElementById("code-page");
  if (!page) { return; }
  var qr = document.getElementById("qr");
  var countdown = document.getElementById("countdown");
  var state = document.getElementById("state");
  var url = page.getAttribute("data-code-url");
  var words = {
    validFor: page.getAttribute("data-valid-for"),
    seconds: page.getAttribute("data-seconds"),
    offline: page.getAttribute("data-offline"),
    expired: page.getAttribute("data-expired"),
    signedOut: page.getAttribute("data-signed-out")
  };
  var expiresAt = Number(page.getAttribute("data-expires-at"));
  // Issuer time minus this phone's time: the countdown follows the issuer's clock.
  var skew = Number(page.getAttribute("data-server-time")) - Date.now() / 1000;
  var refreshAfter = Number(page.getAttribute("data-refresh-after")) || 30;
  var timer = null;
  var signedOut = false;

  function show(kind, text) {
    state.className = "state " + kind;
    state.textContent = text || "";
  }

  function tick() {
    var left = Math.floor(expiresAt - (Date.now() / 1000 + skew));
    if (signedOut) { return; }
    if (left > 0) {
      countdown.textContent = words.validFor + " " + left + " " + words.seconds;
      qr.classList.remove("stale");
    } else {
      countdown.textContent = "";
      qr.classList.add("stale");
      show("expired", words.expired);
    }
  }

  function schedule(seconds) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, Math.max(1, seconds) * 1000);
  }

  function refresh() {
    var request = new XMLHttpRequest();
    request.open("GET", url, true);
    request.timeout = 10000;
    request.onload = function () {
      if (request.status === 200) {
        var code = JSON.parse(request.responseText);
        qr.innerHTML = code.svg;
        qr.setAttribute("data-code-id", code.code_id);
        expiresAt = code.expires_at;
        skew = code.server_time - Date.now() / 1000;
        refreshAfter = code.refresh_after;
        show("ok", "");
        tick();
        schedule(refreshAfter);
      } else if (request.status === 401) {
        signedOut = true;
        qr.innerHTML = "";
        countdown.textContent = "";
        show("signed-out", words.signedOut);
      } else {
        offline(request.status === 429 ? Number(request.getResponseHeader("Retry-After")) : 5);
      }
    };
    request.onerror = function () { offline(5); };
    request.ontimeout = function () { offline(5); };
    request.send();
  }

  function offline(retry) {
    if (expiresAt - (Date.now() / 1000 + skew) > 0) { show("offline", words.offline); }
    schedule(retry || 5);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !signedOut) { refresh(); }
  });
  window.addEventListener("online", function () { if (!signedOut) { refresh(); } });
  setInterval(tick, 1000);
  tick();
  schedule(refreshAfter);
}());

// The login page submits its one-time token by itself; without scripts its button does.
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  if (form) { form.submit(); }
}());
