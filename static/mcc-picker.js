// A search box for a long <select data-mcc-picker>. Without this script the select works as
// it is; with it, typing in the box narrows the select's options (and <optgroup>s) to those
// whose text or data-keywords contain every word typed, and a live region says how many
// match. Options are removed and put back rather than hidden: Safari ignores `hidden` on
// <option>. The current choice and the empty placeholder always stay.
//
// Markup the page provides:
//   <label for="mcc">Industry</label>
//   <select id="mcc" name="mcc" data-mcc-picker data-mcc-picker-label="Search industries">
//     <option value="">Choose…</option>
//     <optgroup label="Food and drink"><option value="5812" data-keywords="restaurant cafe">…
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function words(text) {
    return fold(text).split(/[^a-z0-9]+/).filter(Boolean);
  }

  // Each option's searchable text, and the groups in their original order.
  function snapshot(select) {
    var groups = [];
    Array.prototype.forEach.call(select.children, function (child) {
      if (child.tagName === "OPTGROUP") {
        groups.push({ group: child, options: Array.prototype.slice.call(child.children) });
      } else {
        groups.push({ group: null, options: [child] });
      }
    });
    groups.forEach(function (entry) {
      entry.options.forEach(function (option) {
        var label = entry.group ? entry.group.label : "";
        option._mccText = words([option.text, option.value, option.dataset.keywords || "", label].join(" "));
      });
    });
    return groups;
  }

  function matches(option, queryWords) {
    return queryWords.every(function (q) {
      return option._mccText.some(function (w) { return w.indexOf(q) === 0; });
    });
  }

  // Puts back only the options that match (plus the placeholder and the current choice) and
  // returns how many match. Everything is detached first: a select re-picks its selected
  // option each time one is removed while attached.
  function rebuild(select, groups, queryWords) {
    var chosen = select.value;
    var count = 0;
    var kept = groups.map(function (entry) {
      return entry.options.filter(function (option) {
        if (option.value === "") return true;
        var match = matches(option, queryWords);
        if (match) count += 1;
        return match || option.value === chosen;
      });
    });
    while (select.firstChild) select.removeChild(select.firstChild);
    var fragment = document.createDocumentFragment();
    groups.forEach(function (entry, i) {
      if (!entry.group) {
        kept[i].forEach(function (option) { fragment.appendChild(option); });
        return;
      }
      while (entry.group.firstChild) entry.group.removeChild(entry.group.firstChild);
      kept[i].forEach(function (option) { entry.group.appendChild(option); });
      if (kept[i].length) fragment.appendChild(entry.group);
    });
    select.appendChild(fragment);
    select.value = chosen;
    return count;
  }

  // The page's words in the seller's language (base.html, portal/i18n.py SCRIPT_WORDS).
  var WORDS = (function () {
    try { return JSON.parse(document.getElementById("portal-words").dataset.words); } catch (e) { return {}; }
  }());
  function say(key, english, values) {
    var text = WORDS[key] || english;
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return values && name in values ? values[name] : ""; });
  }

  function announce(status, count, query) {
    if (!query) {
      status.textContent = "";
    } else if (count === 0) {
      status.textContent = say("no_industries", "No industries match \u201c%(query)s\u201d. Try another word.", { query: query });
    } else {
      status.textContent = count === 1 ? say("one_industry", "1 industry matches.")
        : say("industries", "%(count)s industries match.", { count: count });
    }
  }

  function enhance(select, index) {
    var groups = snapshot(select);
    var id = (select.id || "mcc-picker-" + index) + "-search";
    var wrapper = document.createElement("div");
    wrapper.className = "mcc-picker";

    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = select.dataset.mccPickerLabel || say("search_industries", "Search industries");

    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.autocomplete = "off";
    if (select.id) input.setAttribute("aria-controls", select.id);
    input.setAttribute("aria-describedby", id + "-status");

    var status = document.createElement("p");
    status.id = id + "-status";
    status.className = "mcc-picker-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    wrapper.appendChild(label);
    wrapper.appendChild(input);
    wrapper.appendChild(status);
    select.parentNode.insertBefore(wrapper, select);

    var timer = null;
    input.addEventListener("input", function () {
      var query = input.value.trim();
      var count = rebuild(select, groups, words(query));
      // Announce after typing pauses, so a screen reader is not interrupted per key.
      clearTimeout(timer);
      timer = setTimeout(function () { announce(status, count, query); }, 400);
    });

    input.addEventListener("keydown", function (event) {
      var choices = Array.prototype.filter.call(select.options, function (o) { return o.value !== ""; });
      if (event.key === "Enter") {
        // Enter picks the only match instead of submitting a half-filled form.
        event.preventDefault();
        if (choices.length === 1) {
          select.value = choices[0].value;
          select.dispatchEvent(new Event("change", { bubbles: true }));
          status.textContent = say("selected", "Selected %(name)s.", { name: choices[0].text });
        }
        select.focus();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-mcc-picker]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
