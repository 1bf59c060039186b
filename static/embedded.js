// Stripe's embedded components in the portal's pages: the same code drives Stripe's Connect.js
// and the sandbox's stand-in. Each page load asks the portal for one account session; Connect.js
// asks again (fetchClientSecret) when that session expires.
(function () {
  "use strict";

  var config = document.getElementById("connect-config");
  if (!config) return;

  // The page's words in the seller's language (base.html, portal/i18n.py SCRIPT_WORDS).
  var WORDS = (function () {
    try { return JSON.parse(document.getElementById("portal-words").dataset.words); } catch (e) { return {}; }
  }());
  function say(key, english, values) {
    var text = WORDS[key] || english;
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return values && name in values ? values[name] : ""; });
  }
  var NAMES = {
    "notification-banner": "your account notifications", "payouts": "your balance and payouts",
    "payments": "your payments", "disputes-list": "your disputes",
    "account-management": "your account details", "documents": "your documents",
  };
  var started = false;
  var signedOut = false; // the portal answered 401: the seller's own sign-in has ended

  function fetchClientSecret() {
    return fetch(config.dataset.sessionUrl, {
      method: "POST",
      headers: { "X-CSRF-Token": config.dataset.csrfToken, "Accept": "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        signedOut = response.status === 401;
        if (!response.ok || !body.client_secret) {
          throw new Error(body.error || say("session_failed", "The portal could not start a session (%(status)s).", { status: response.status }));
        }
        return body.client_secret;
      });
    });
  }

  function slots() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-connect-component]"));
  }

  // A component that failed to load says so, with a button that tries it again (and every other
  // component that failed with it: they usually share the cause, the session).
  function showFailure(slot, retry) {
    clear(slot);
    slot.dataset.failed = "true";
    var box = document.createElement("div");
    box.className = "embedded__failure";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    var name = slot.dataset.connectComponent;
    text.textContent = signedOut ? say("signed_out", "You have been signed out.")
      : say("load_failed", "We couldn't load %(what)s just now.",
            { what: NAMES[name] ? say(name, NAMES[name]) : say("this_section", "this section") });
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = signedOut ? say("sign_in_again", "Sign in again") : say("try_again", "Try again");
    button.addEventListener("click", signedOut ? function () { location.reload(); } : retry);
    box.appendChild(text);
    box.appendChild(button);
    slot.appendChild(box);
  }

  function clear(slot) {
    while (slot.firstChild) slot.removeChild(slot.firstChild);
  }

  function mount(instance, slot) {
    clear(slot);
    delete slot.dataset.failed;
    var element = instance.create(slot.dataset.connectComponent);
    element.setOnLoadError(function () {
      showFailure(slot, function () {
        slots().filter(function (each) { return each.dataset.failed; })
          .forEach(function (each) { mount(instance, each); });
      });
    });
    slot.appendChild(element);
  }

  function start() {
    if (started || !window.StripeConnect || typeof window.StripeConnect.init !== "function") return;
    started = true;
    var style = getComputedStyle(document.body);
    var instance = window.StripeConnect.init({
      publishableKey: config.dataset.publishableKey,
      fetchClientSecret: fetchClientSecret,
      // The seller's language (portal/i18n.py), so Stripe's components speak it too.
      locale: config.dataset.locale || undefined,
      appearance: {
        variables: {
          colorPrimary: style.getPropertyValue("--brand").trim() || "#533afd",
          fontFamily: style.fontFamily,
        },
      },
    });
    slots().forEach(function (slot) { mount(instance, slot); });
  }

  // Connect.js loads async and calls onLoad when it is ready; it may also be ready already.
  window.StripeConnect = window.StripeConnect || {};
  window.StripeConnect.onLoad = start;
  start();

  // The script itself did not arrive (offline, blocked): no component can load, say so.
  window.addEventListener("load", function () {
    if (started) return;
    slots().forEach(function (slot) {
      showFailure(slot, function () { location.reload(); });
    });
  });
})();
