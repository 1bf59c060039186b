// The staff console's Copy buttons (templates/staff/_copy_box.html). A button names the field it
// copies in data-copy; it is shown only where this script runs. The Clipboard API needs a secure
// context and the browser's permission: where either is missing, the text is selected instead and
// staff are told to press Ctrl+C (or ⌘C).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const field = document.getElementById(button.dataset.copy);
    const said = document.getElementById(button.dataset.copy + "-copied");
    if (!field || !said) continue;
    button.hidden = false;
    const tell = (words, ok) => {
      said.textContent = words;
      said.className = "copy-box__done " + (ok ? "copy-box__done--ok" : "copy-box__done--manual");
    };
    const selectIt = () => { field.focus(); field.select(); };
    field.addEventListener("focus", () => field.select());
    button.addEventListener("click", async () => {
      tell("", true);
      try {
        if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
        await navigator.clipboard.writeText(field.value);
        tell("Copied to the clipboard.", true);
      } catch (refused) {
        selectIt();
        tell("The browser did not allow copying: the text is selected, press Ctrl+C (⌘C on a Mac).", false);
      }
    });
  }
});
// The send and pull funds forms say, as the amount is typed, whether it will wait for a second
// staff member's approval (the same rule as funds/service.py: at or above the threshold, in the
// currency's smallest unit: cents, or whole yen where the currency has no decimals).
document.addEventListener("DOMContentLoaded", () => {
  const outcome = document.getElementById("approval-outcome");
  const amount = document.getElementById("amount");
  if (!outcome || !amount) return;
  const threshold = Number(outcome.dataset.threshold);
  const decimals = Number(outcome.dataset.decimals || 2);
  const shape = new RegExp(decimals ? `^[0-9]*\\.?[0-9]{0,${decimals}}$` : "^[0-9]*$");
  const update = () => {
    const typed = amount.value.trim().replace(/,/g, "").replace(/^[$€£¥￥]/, "").trim();
    if (!shape.test(typed) || typed === "" || typed === ".") { outcome.textContent = ""; return; }
    const cents = Math.round(Number(typed) * 10 ** decimals);
    if (cents <= 0) { outcome.textContent = ""; return; }
    outcome.innerHTML = "";
    if (cents >= threshold) {
      const strong = document.createElement("strong");
      strong.textContent = "This amount will wait for a second staff member's approval.";
      outcome.append(strong);
    } else {
      outcome.textContent = "This amount moves as soon as you submit.";
    }
  };
  amount.addEventListener("input", update);
});
