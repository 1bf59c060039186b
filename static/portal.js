// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Lists that help beside the form but push it below the fold on a phone are folded there.
  const narrow = window.matchMedia("(max-width: 800px)");
  const fold = () => {
    for (const details of document.querySelectorAll("details[data-fold-narrow]")) details.open = !narrow.matches;
  };
  fold();
  narrow.addEventListener("change", fold);
  // Move focus to the first field with an error (or what the page marks as the news), so keyboard
  // and screen-reader users land on it.
  const invalid = document.querySelector("[aria-invalid='true'], [data-focus-on-load]");
  if (invalid && document.activeElement !== invalid) invalid.focus();
  // A form submits once: a second click while the first request runs would repeat it. The repeat
  // is cancelled; the buttons are only marked busy, never disabled, as disabling a form's button
  // while its submission is under way can cost the submission itself in Chromium.
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.submitting) {
        event.preventDefault();
        return;
      }
      form.dataset.submitting = "true";
      for (const button of form.querySelectorAll("button[type=submit]")) button.setAttribute("aria-busy", "true");
    });
  }
});
// An onboarding step not yet saved keeps what was typed when the seller leaves by any link: the
// form (minus secret numbers and files, which only ever go to Stripe) is posted as the page goes.
document.addEventListener("DOMContentLoaded", () => {
  const section = document.querySelector("[data-keep-typed]");
  const form = section && section.querySelector(`form[method=post][action="${location.pathname}"]`);
  if (!form) return;
  let typed = false;
  let submitting = false;
  form.addEventListener("input", () => { typed = true; });
  form.addEventListener("submit", () => { submitting = true; });
  window.addEventListener("pagehide", () => {
    if (!typed || submitting) return;
    const data = new FormData(form);
    for (const field of form.querySelectorAll("input[type=password], input[type=file]")) data.delete(field.name);
    navigator.sendBeacon(section.dataset.keepTyped, data);
    typed = false;
  });
});
// Coming back with the Back button restores the page as it was left: let its forms submit again.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form")) allowSubmitAgain(form);
});
function allowSubmitAgain(form) {
  delete form.dataset.submitting;
  for (const button of form.querySelectorAll("button[type=submit]")) button.removeAttribute("aria-busy");
}
