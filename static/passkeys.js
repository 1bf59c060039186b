// Passkeys (WebAuthn): a form marked data-passkey="register|sign-in|reauth" asks the portal for
// options (a fresh challenge), hands them to navigator.credentials, and posts the answer as JSON
// (binary fields in base64url). The portal checks it and says where to go next.
(() => {
  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  };
  const toText = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const descriptors = (list) => (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));

  const creationOptions = (options) => ({
    ...options, challenge: toBytes(options.challenge), user: { ...options.user, id: toBytes(options.user.id) },
    excludeCredentials: descriptors(options.excludeCredentials),
  });
  const requestOptions = (options) => ({
    ...options, challenge: toBytes(options.challenge), allowCredentials: descriptors(options.allowCredentials),
  });

  const answer = (credential) => {
    const response = credential.response;
    const sent = { clientDataJSON: toText(response.clientDataJSON) };
    if (response.attestationObject) {
      sent.attestationObject = toText(response.attestationObject);
      if (response.getTransports) sent.transports = response.getTransports();
    } else {
      sent.authenticatorData = toText(response.authenticatorData);
      sent.signature = toText(response.signature);
      if (response.userHandle) sent.userHandle = toText(response.userHandle);
    }
    return {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type, response: sent,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  };

  const post = async (url, token, body) => {
    const reply = await fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "content-type": "application/json", accept: "application/json", "x-csrf-token": token },
    });
    const data = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(data.error || say("something_wrong", "Something went wrong. Try again."));
    return data;
  };

  // The page's words in the seller's language (base.html, portal/i18n.py SCRIPT_WORDS).
  const WORDS = (function () {
    try { return JSON.parse(document.getElementById("portal-words").dataset.words); } catch (e) { return {}; }
  }());
  function say(key, english, values) {
    var text = WORDS[key] || english;
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return values && name in values ? values[name] : ""; });
  }

  const explain = (problem) => {
    if (problem.name === "NotAllowedError") return say("passkey_cancelled", "The passkey request was cancelled or timed out. Try again.");
    if (problem.name === "InvalidStateError") return say("passkey_exists", "This device already has a passkey for your account.");
    if (problem.name === "SecurityError") return say("passkey_address", "Passkeys work only at the portal's own address.");
    return problem.message;
  };

  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("form[data-passkey]")) {
      const error = form.querySelector("[data-passkey-error]");
      if (!window.PublicKeyCredential) {
        error.textContent = say("passkey_unsupported", "This browser cannot use passkeys.");
        error.hidden = false;
        for (const button of form.querySelectorAll("button")) button.disabled = true;
        continue;
      }
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        error.hidden = true;
        const token = form.querySelector("input[name=csrf_token]").value;
        try {
          const options = await post(form.dataset.options, token, {});
          const credential = form.dataset.passkey === "register"
            ? await navigator.credentials.create({ publicKey: creationOptions(options) })
            : await navigator.credentials.get({ publicKey: requestOptions(options) });
          const body = { credential: answer(credential), next: form.dataset.next };
          const name = form.querySelector("input[name=name]");
          if (name) body.name = name.value;
          window.location.assign((await post(form.action, token, body)).redirect);
        } catch (problem) {
          error.textContent = explain(problem);
          error.hidden = false;
          // portal.js lets a form submit once; this one can be tried again.
          if (window.allowSubmitAgain) window.allowSubmitAgain(form);
        }
      });
    }
  });
})();
