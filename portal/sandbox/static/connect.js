/*
 * Connect.js stand-in, served by the Stripe Connect sandbox at <mount>/connect.js.
 *
 * It has the public surface of Stripe's https://connect-js.stripe.com/v1.0/connect.js as the
 * official loader (@stripe/connect-js 3.x) drives it: it defines window.StripeConnect.init(params)
 * returning an instance with create(tagName), update(options), logout() and `connect`, defines the
 * <stripe-connect-*> custom elements with setConnector() and the `<setter>InternalOnly` methods the
 * loader calls, and calls window.StripeConnect.onLoad() when the page set one. Page code written for
 * Stripe's script runs unchanged against this one.
 *
 * It talks only to the sandbox's /_connect/v1/ endpoints, authenticated by the account session's
 * client secret, and so only ever sees the one account that session was created for.
 */
(function () {
  "use strict";

  if (window.StripeConnect && typeof window.StripeConnect.init === "function" &&
      window.StripeConnect.sandboxStandIn) {
    return; // loaded twice: the first copy already defined everything
  }

  // Every tag name and setter of @stripe/connect-js (src/components/componentsAndSetters.ts).
  var COMMON_SETTERS = ["setOnLoadError", "setOnLoaderStart"];
  var CUSTOM_SETTERS = {
    "account-onboarding": ["setFullTermsOfServiceUrl", "setRecipientTermsOfServiceUrl",
      "setPrivacyPolicyUrl", "setSkipTermsOfServiceCollection", "setCollectionOptions",
      "setOnExit", "setOnStepChange"],
    "account-management": ["setCollectionOptions", "setOnSectionOpen"],
    "notification-banner": ["setCollectionOptions", "setOnNotificationsChange"],
    "instant-payouts-promotion": ["setOnInstantPayoutsPromotionLoaded", "setOnInstantPayoutCreated"],
    "issuing-card": ["setDefaultCard", "setCardSwitching", "setFetchEphemeralKey", "setShowSpendControls"],
    "issuing-cards-list": ["setFetchEphemeralKey", "setShowSpendControls", "setIssuingProgram"],
    "financial-account": ["setFinancialAccount"],
    "financial-account-transactions": ["setFinancialAccount"],
    "payments": ["setDefaultFilters"],
    "payment-details": ["setPayment", "setOnClose"],
    "payment-disputes": ["setPayment", "setOnDisputesLoaded"],
    "tax-settings": ["setHideProductTaxCodeSelector", "setDisplayHeadOfficeCountries", "setOnTaxSettingsUpdated"],
    "tax-registrations": ["setOnAfterTaxRegistrationAdded", "setDisplayCountries", "setOnAfterTaxRegistrationExpired"],
    "payout-details": ["setPayout", "setOnClose"],
    "payout-reconciliation-report": ["setOnReportAvailabilityLoaded"],
  };
  var TAG_NAMES = ["account-onboarding", "disputes-list", "payments", "payment-details",
    "payment-disputes", "payouts", "payouts-list", "payout-details", "balances",
    "account-management", "notification-banner", "instant-payouts-promotion", "issuing-card",
    "issuing-cards-list", "financial-account", "financial-account-transactions", "documents",
    "tax-registrations", "tax-settings", "balance-report", "payout-reconciliation-report"];

  // Appearance variables the stand-in honours, as CSS custom properties read by connect.css.
  var APPEARANCE_VARIABLES = {
    fontFamily: "--sc-font-family", fontSizeBase: "--sc-font-size", spacingUnit: "--sc-spacing",
    borderRadius: "--sc-radius", colorPrimary: "--sc-color-primary",
    colorBackground: "--sc-color-background", colorText: "--sc-color-text",
    colorDanger: "--sc-color-danger", colorSecondaryText: "--sc-color-secondary-text",
    colorBorder: "--sc-color-border",
  };

  // Stripe's error types in the API map onto the EmbeddedErrorType values of setOnLoadError.
  var EMBEDDED_ERROR_TYPES = {
    authentication_error: "authentication_error", invalid_request_error: "invalid_request_error",
    rate_limit_error: "rate_limit_error", api_error: "api_error",
  };

  var BASE = scriptBase();

  function scriptBase() {
    var script = document.currentScript;
    if (!script) {
      var scripts = document.querySelectorAll("script[src]");
      for (var i = 0; i < scripts.length; i++) {
        if (/\/connect\.js(\?|$)/.test(scripts[i].src)) script = scripts[i];
      }
    }
    return new URL(".", script ? script.src : location.href).href;
  }

  function randomHex(bytes) {
    var values = new Uint8Array(bytes);
    crypto.getRandomValues(values);
    return Array.prototype.map.call(values, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // Stripe's form encoding with bracket notation: {evidence: {a: 1}} -> "evidence[a]=1".
  function formEncode(value) {
    var pairs = [];
    (function walk(node, prefix) {
      if (node === null || node === undefined) return;
      if (typeof node === "object") {
        Object.keys(node).forEach(function (key) { walk(node[key], prefix ? prefix + "[" + key + "]" : key); });
      } else {
        pairs.push(encodeURIComponent(prefix) + "=" + encodeURIComponent(String(node)));
      }
    })(value, "");
    return pairs.join("&");
  }

  function embeddedError(type, message) {
    var error = new Error(message);
    error.embedded = { type: type, message: message };
    return error;
  }

  // --- the connector: one per init(), shared by the elements it created ---------------------------

  function Connector(params) {
    var meta = params.metaOptions || {};
    this.fetchClientSecret = params.fetchClientSecret;
    this.eagerSecret = meta.eagerClientSecretPromise || null;
    this.publishableKey = params.publishableKey;
    this.appearance = params.appearance || {};
    this.locale = params.locale || navigator.language || "en-US";
    this.displayOptions = params.displayOptions || {};
    this.page = randomHex(16); // binds the claimed secret to this page load
    this.secret = null;
    this.sessionPromise = null;
    this.elements = new Set();
  }

  Connector.prototype.nextSecret = function () {
    var eager = this.eagerSecret;
    var fetchSecret = this.fetchClientSecret;
    this.eagerSecret = null;
    var promise = eager || new Promise(function (resolve) { resolve(fetchSecret()); });
    return promise.then(function (secret) {
      if (typeof secret !== "string" || secret.indexOf("_secret_") < 0) {
        throw new Error("fetchClientSecret must resolve to an account session client_secret");
      }
      return secret;
    }).catch(function (error) {
      throw embeddedError("account_session_create_error", String(error && error.message || error));
    });
  };

  Connector.prototype.claim = function () {
    var self = this;
    return this.nextSecret().then(function (secret) {
      self.secret = secret;
      return self.send("POST", "session", null, null);
    });
  };

  Connector.prototype.session = function () {
    if (!this.sessionPromise) {
      var self = this;
      this.sessionPromise = this.claim();
      this.sessionPromise.catch(function () { self.sessionPromise = null; });
    }
    return this.sessionPromise;
  };

  Connector.prototype.send = function (method, path, body, component) {
    var headers = { "Authorization": "Bearer " + this.secret, "Connect-Page": this.page };
    if (component) headers["Connect-Component"] = component;
    var multipart = typeof FormData !== "undefined" && body instanceof FormData;
    if (body && !multipart) headers["Content-Type"] = "application/x-www-form-urlencoded";
    return fetch(BASE + "_connect/v1/" + path, {
      method: method, headers: headers, body: multipart ? body : body ? formEncode(body) : undefined,
      credentials: "omit", cache: "no-store",
    }).catch(function (error) {
      throw embeddedError("api_connection_error", String(error && error.message || error));
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (payload) {
        if (response.ok) return payload;
        var error = payload.error || {};
        var failure = embeddedError(EMBEDDED_ERROR_TYPES[error.type] || "api_error",
                                    error.message || "Request failed (" + response.status + ")");
        failure.code = error.code;
        throw failure;
      });
    });
  };

  // A call for one component; when the session has expired, ask the page for a new client secret
  // (as Stripe's script does) and try once more.
  Connector.prototype.api = function (method, path, body, component) {
    var self = this;
    var used = this.session();
    var call = function () { return self.send(method, path, body, component); };
    return used.then(call).catch(function (error) {
      if (error.code !== "account_session_expired") throw error;
      // Several components can hit the expiry at once: only the first asks for a new secret.
      if (self.sessionPromise === used) self.sessionPromise = null;
      return self.session().then(call);
    });
  };

  Connector.prototype.update = function (options) {
    options = options || {};
    if (options.appearance) {
      this.appearance = Object.assign({}, this.appearance, options.appearance, {
        variables: Object.assign({}, this.appearance.variables, options.appearance.variables),
      });
    }
    if (options.locale) this.locale = options.locale;
    if (options.displayOptions) this.displayOptions = Object.assign({}, this.displayOptions, options.displayOptions);
    this.elements.forEach(function (element) { element.refresh(); });
  };

  Connector.prototype.logout = function () {
    var self = this;
    var ending = this.sessionPromise
      ? this.sessionPromise.then(function () { return self.send("POST", "logout", null, null); })
      : Promise.resolve();
    return ending.catch(function () {}).then(function () {
      self.sessionPromise = null;
      self.secret = null;
      self.elements.forEach(function (element) { element.clear(); });
    });
  };

  // --- formatting ---------------------------------------------------------------------------------

  function formatAmount(locale, amount, currency) {
    var format = new Intl.NumberFormat(locale, { style: "currency", currency: currency.toUpperCase() });
    var digits = format.resolvedOptions().maximumFractionDigits;
    return format.format(amount / Math.pow(10, digits));
  }

  function formatDate(locale, timestamp) {
    if (!timestamp) return "";
    return new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric" })
      .format(new Date(timestamp * 1000));
  }

  function words(value) {
    var text = String(value || "").replace(/[_.]+/g, " ").trim();
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // Builds DOM nodes without ever parsing data as HTML.
  function h(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) return;
      if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // --- the custom elements ------------------------------------------------------------------------

  class ConnectElement extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.connector = null;
      this.options = {};
      this.loadTimer = null;
      this.generation = 0;
    }

    connectedCallback() { this.scheduleLoad(); }

    disconnectedCallback() { clearTimeout(this.loadTimer); }

    setConnector(connector) {
      this.connector = connector;
      connector.elements.add(this);
      this.scheduleLoad();
    }

    // Setters arrive right after create() (the loader applies them a microtask later), so the
    // first load waits one task for them.
    scheduleLoad() {
      if (!this.connector || !this.isConnected) return;
      clearTimeout(this.loadTimer);
      var self = this;
      this.loadTimer = setTimeout(function () { self.load(); }, 0);
    }

    refresh() { this.scheduleLoad(); }

    get componentName() { return this.localName.replace(/^stripe-connect-/, ""); }

    get sessionKey() { return this.componentName.replace(/-/g, "_"); }

    emit(option, payload) {
      var listener = this.options[option];
      if (typeof listener === "function") {
        try { listener(payload); } catch (error) { setTimeout(function () { throw error; }); }
      }
    }

    applyAppearance() {
      var appearance = this.connector.appearance || {};
      var variables = appearance.variables || {};
      var style = this.style;
      Object.keys(APPEARANCE_VARIABLES).forEach(function (name) {
        if (variables[name]) style.setProperty(APPEARANCE_VARIABLES[name], variables[name]);
        else style.removeProperty(APPEARANCE_VARIABLES[name]);
      });
    }

    paint(nodes) {
      var root = this.shadowRoot;
      while (root.firstChild) root.removeChild(root.firstChild);
      root.appendChild(h("link", { rel: "stylesheet", href: BASE + "connect.css" }));
      root.appendChild(h("div", { class: "sc-root", part: "root" }, nodes));
    }

    clear() { this.generation++; this.paint([]); }

    fail(error) {
      var embedded = error.embedded || { type: "render_error", message: String(error.message || error) };
      this.paint([h("div", { class: "sc-error", role: "alert", text: embedded.message })]);
      this.emit("onLoadError", { elementTagName: this.localName, error: embedded });
    }

    load() {
      var generation = ++this.generation;
      var self = this;
      var connector = this.connector;
      this.applyAppearance();
      this.emit("onLoaderStart", { elementTagName: this.localName });
      this.paint([h("div", { class: "sc-loading", text: translate(connector.locale, "Loading…") })]);
      connector.session().then(function (session) {
        var component = (session.components || {})[self.sessionKey];
        if (!component || !component.enabled) {
          throw embeddedError("invalid_request_error", "The " + self.sessionKey +
            " component is not enabled in this account session.");
        }
        var render = RENDERERS[self.componentName];
        if (!render) {
          throw embeddedError("render_error", "The sandbox's Connect.js stand-in does not render <" +
            self.localName + ">.");
        }
        var context = new RenderContext(self, session, component.features || {});
        return render(context);
      }).then(function (nodes) {
        if (generation === self.generation) self.paint(nodes);
      }).catch(function (error) {
        if (generation === self.generation) self.fail(error);
      });
    }
  }

  function defineSetters(prototype, setters) {
    setters.forEach(function (setter) {
      var option = setter.charAt(3).toLowerCase() + setter.slice(4); // setOnExit -> onExit
      prototype[setter + "InternalOnly"] = function (value) {
        this.options[option] = value;
        if (option.slice(0, 2) !== "on") this.scheduleLoad(); // a changed option changes the view
      };
      prototype[setter] = function (value) { this[setter + "InternalOnly"](value); };
    });
  }

  function defineElements() {
    TAG_NAMES.forEach(function (name) {
      var tag = "stripe-connect-" + name;
      if (customElements.get(tag)) return;
      var element = class extends ConnectElement {};
      defineSetters(element.prototype, COMMON_SETTERS.concat(CUSTOM_SETTERS[name] || []));
      customElements.define(tag, element);
    });
  }

  // Stripe's components speak the locale given to init() (or the browser's). The stand-in knows
  // its headings, buttons and column names in a few languages, in the words Stripe uses there;
  // anything else stays English, as Stripe falls back to English.
  var WORDS = {
    de: {
      "Loading…": "Wird geladen …", "Balance": "Saldo", "Available": "Verfügbar", "Pending": "Ausstehend",
      "Pay out": "Auszahlen", "Payout schedule": "Auszahlungsplan", "Payout interval": "Auszahlungsintervall",
      "Save schedule": "Plan speichern", "Payouts": "Auszahlungen", "Amount": "Betrag", "Status": "Status",
      "Arrives": "Eingang", "Method": "Methode", "Payments": "Zahlungen", "Description": "Beschreibung",
      "Date": "Datum", "Refund": "Rückerstatten", "No payments yet.": "Noch keine Zahlungen.",
      "Respond": "Antworten", "Product or service": "Produkt oder Dienstleistung",
      "Why you should win this dispute": "Warum Sie diese Zahlungsanfechtung gewinnen sollten",
      "Submit evidence": "Nachweise einreichen", "Accept dispute": "Zahlungsanfechtung akzeptieren",
      "Disputes": "Zahlungsanfechtungen", "Reason": "Grund", "Respond by": "Antworten bis", "No disputes.": "Keine Zahlungsanfechtungen.",
      "Business details": "Unternehmensdetails", "Business name": "Name des Unternehmens", "Email": "E-Mail",
      "Website": "Website", "Country": "Land", "Payout details": "Auszahlungsdetails", "Documents": "Dokumente",
      "No documents yet.": "Noch keine Dokumente.", "Nothing to show yet.": "Noch nichts anzuzeigen.",
      "Stripe is verifying your information.": "Stripe überprüft Ihre Angaben.",
    },
    fr: {
      "Loading…": "Chargement…", "Balance": "Solde", "Available": "Disponible", "Pending": "En attente",
      "Pay out": "Virer", "Payout schedule": "Calendrier des virements", "Payout interval": "Fréquence des virements",
      "Save schedule": "Enregistrer le calendrier", "Payouts": "Virements", "Amount": "Montant", "Status": "Statut",
      "Arrives": "Arrivée", "Method": "Mode", "Payments": "Paiements", "Description": "Description",
      "Date": "Date", "Refund": "Rembourser", "No payments yet.": "Aucun paiement pour l’instant.",
      "Respond": "Répondre", "Product or service": "Produit ou service",
      "Why you should win this dispute": "Pourquoi vous devriez remporter ce litige",
      "Submit evidence": "Envoyer les justificatifs", "Accept dispute": "Accepter le litige",
      "Disputes": "Litiges", "Reason": "Motif", "Respond by": "Répondre avant le", "No disputes.": "Aucun litige.",
      "Business details": "Informations sur l’entreprise", "Business name": "Nom de l’entreprise", "Email": "E-mail",
      "Website": "Site Web", "Country": "Pays", "Payout details": "Informations de virement", "Documents": "Documents",
      "No documents yet.": "Aucun document pour l’instant.", "Nothing to show yet.": "Rien à afficher pour l’instant.",
      "Stripe is verifying your information.": "Stripe vérifie vos informations.",
    },
  };

  function translate(locale, text) {
    var words = WORDS[String(locale || "").split("-")[0].toLowerCase()] || {};
    return words[text] || text;
  }

  // What a renderer gets: the session's features, the API bound to its component, formatting.
  function RenderContext(element, session, features) {
    this.element = element;
    this.session = session;
    this.features = features;
    this.locale = element.connector.locale;
    this.showIds = !!element.connector.displayOptions.showObjectIds;
  }
  RenderContext.prototype.get = function (path) {
    return this.element.connector.api("GET", path, null, this.element.componentName);
  };
  RenderContext.prototype.post = function (path, body) {
    return this.element.connector.api("POST", path, body || {}, this.element.componentName);
  };
  RenderContext.prototype.money = function (amount, currency) { return formatAmount(this.locale, amount, currency); };
  RenderContext.prototype.date = function (timestamp) { return formatDate(this.locale, timestamp); };
  RenderContext.prototype.t = function (text) { return translate(this.locale, text); };
  RenderContext.prototype.option = function (name) { return this.element.options[name]; };
  RenderContext.prototype.emit = function (name, payload) { this.element.emit(name, payload); };
  RenderContext.prototype.reload = function () { this.element.scheduleLoad(); };

  // An action button that shows the outcome inline and reloads the component when it succeeds.
  function actionButton(ctx, label, attributes, run) {
    var status = h("span", { class: "sc-status", role: "status" });
    var button = h("button", Object.assign({ type: "button", class: "sc-button", text: label }, attributes));
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = "";
      Promise.resolve().then(run).then(function () { ctx.reload(); }).catch(function (error) {
        button.disabled = false;
        status.textContent = (error.embedded && error.embedded.message) || String(error);
        status.className = "sc-status sc-status-error";
      });
    });
    return h("span", { class: "sc-action" }, [button, status]);
  }

  function table(headings, rows, attributes) {
    if (!rows.length) return h("p", { class: "sc-empty", text: attributes && attributes.empty || "Nothing to show yet." });
    return h("table", { class: "sc-table", "data-testid": attributes && attributes.testid }, [
      h("thead", {}, [h("tr", {}, headings.map(function (text) { return h("th", { text: text }); }))]),
      h("tbody", {}, rows),
    ]);
  }

  function badge(status) {
    return h("span", { class: "sc-badge sc-badge-" + String(status).replace(/_/g, "-"), text: words(status) });
  }

  // --- payouts, balances ----------------------------------------------------------------------------

  function balanceSummary(ctx) {
    return ctx.get("balance").then(function (balance) {
      var currencies = {};
      (balance.available || []).forEach(function (entry) { currencies[entry.currency] = { available: entry.amount, pending: 0 }; });
      (balance.pending || []).forEach(function (entry) {
        currencies[entry.currency] = currencies[entry.currency] || { available: 0, pending: 0 };
        currencies[entry.currency].pending = entry.amount;
      });
      var rows = Object.keys(currencies).sort().map(function (currency) {
        var amounts = currencies[currency];
        var payout = ctx.features.standard_payouts && amounts.available > 0
          ? actionButton(ctx, ctx.t("Pay out") + " " + ctx.money(amounts.available, currency), { "data-action": "payout" }, function () {
              return ctx.post("payouts", { amount: amounts.available, currency: currency });
            })
          : null;
        return h("div", { class: "sc-balance", "data-currency": currency }, [
          h("div", {}, [h("span", { class: "sc-label", text: ctx.t("Available") }),
            h("strong", { "data-testid": "available", text: ctx.money(amounts.available, currency) })]),
          h("div", {}, [h("span", { class: "sc-label", text: ctx.t("Pending") }),
            h("span", { "data-testid": "pending", text: ctx.money(amounts.pending, currency) })]),
          payout,
        ]);
      });
      return h("section", { class: "sc-section", "data-testid": "balances" }, [h("h2", { text: ctx.t("Balance") })].concat(rows));
    });
  }

  var INTERVALS = ["daily", "weekly", "monthly", "manual"];

  function payoutSchedule(ctx) {
    return ctx.get("account").then(function (account) {
      var schedule = account.payout_schedule || {};
      var text = schedule.interval === "manual" ? "Payouts are sent when you request them."
        : words(schedule.interval || "daily") + " payouts, " + schedule.delay_days + " day delay";
      var editor = null;
      if (ctx.features.edit_payout_schedule) {
        var select = h("select", { name: "interval", "aria-label": ctx.t("Payout interval") },
          INTERVALS.map(function (interval) {
            return h("option", { value: interval, text: words(interval), selected: interval === schedule.interval });
          }));
        editor = h("span", {}, [select, actionButton(ctx, ctx.t("Save schedule"), { "data-action": "edit-schedule" }, function () {
          return ctx.post("payout_schedule", { interval: select.value });
        })]);
      }
      return h("section", { class: "sc-section", "data-testid": "payout-schedule" },
        [h("h2", { text: ctx.t("Payout schedule") }), h("p", { text: text }), editor]);
    });
  }

  function payoutsTable(ctx) {
    return ctx.get("payouts").then(function (list) {
      var rows = list.data.map(function (payout) {
        return h("tr", { "data-payout-id": payout.id }, [
          h("td", { text: ctx.money(payout.amount, payout.currency) }),
          h("td", {}, [badge(payout.status)]),
          h("td", { text: ctx.date(payout.arrival_date) }),
          h("td", { text: words(payout.method) }),
          ctx.showIds ? h("td", { class: "sc-id", text: payout.id }) : null,
        ]);
      });
      var headings = ["Amount", "Status", "Arrives", "Method"].map(ctx.t, ctx).concat(ctx.showIds ? ["ID"] : []);
      return h("section", { class: "sc-section" }, [h("h2", { text: ctx.t("Payouts") }),
        table(headings, rows, { testid: "payouts-list", empty: "No payouts yet." })]);
    });
  }

  function renderPayouts(ctx) {
    return Promise.all([balanceSummary(ctx), payoutSchedule(ctx), payoutsTable(ctx)]);
  }

  function renderBalances(ctx) {
    return Promise.all([balanceSummary(ctx), payoutSchedule(ctx)]);
  }

  function renderPayoutsList(ctx) {
    return payoutsTable(ctx).then(function (node) { return [node]; });
  }

  // --- payments and disputes ------------------------------------------------------------------------

  function paymentStatus(charge) {
    if (charge.disputed) return "disputed";
    if (charge.refunded) return "refunded";
    if (charge.amount_refunded > 0) return "partially_refunded";
    if (charge.status === "succeeded") return charge.captured === false ? "uncaptured" : "successful";
    return charge.status;
  }

  function renderPayments(ctx) {
    return ctx.get("payments").then(function (list) {
      var rows = list.data.map(function (charge) {
        var refundable = ctx.features.refund_management && charge.status === "succeeded" &&
          !charge.refunded && !charge.disputed && charge.captured !== false;
        return h("tr", { "data-payment-id": charge.id }, [
          h("td", { text: ctx.money(charge.amount, charge.currency) }),
          h("td", {}, [badge(paymentStatus(charge))]),
          h("td", { text: charge.description || "" }),
          h("td", { text: ctx.date(charge.created) }),
          h("td", {}, [refundable ? actionButton(ctx, ctx.t("Refund"), { "data-action": "refund" }, function () {
            return ctx.post("payments/" + encodeURIComponent(charge.id) + "/refund", {});
          }) : null]),
        ]);
      });
      return [h("section", { class: "sc-section" }, [h("h2", { text: ctx.t("Payments") }),
        table(["Amount", "Status", "Description", "Date", ""].map(ctx.t, ctx), rows, { testid: "payments-list", empty: ctx.t("No payments yet.") })])];
    });
  }

  var RESPONDABLE = { needs_response: true, warning_needs_response: true };

  function evidenceForm(ctx, dispute) {
    var text = h("textarea", { name: "uncategorized_text", rows: "4", "aria-label": ctx.t("Why you should win this dispute") });
    var product = h("input", { name: "product_description", type: "text", "aria-label": "Product or service description" });
    var file = h("input", { name: "uncategorized_file", type: "file", accept: "application/pdf,image/jpeg,image/png",
      "aria-label": "Supporting document" });
    return h("details", { class: "sc-respond" }, [
      h("summary", { text: ctx.t("Respond"), "data-action": "respond" }),
      h("label", {}, [ctx.t("Product or service"), product]),
      h("label", {}, [ctx.t("Why you should win this dispute"), text]),
      h("label", {}, ["Supporting document (PDF, JPEG or PNG)", file]),
      actionButton(ctx, ctx.t("Submit evidence"), { "data-action": "submit-evidence" }, function () {
        var evidence = {};
        if (text.value) evidence.uncategorized_text = text.value;
        if (product.value) evidence.product_description = product.value;
        var upload = Promise.resolve(null);
        if (file.files && file.files.length) {
          var form = new FormData();
          form.append("file", file.files[0], file.files[0].name);
          upload = ctx.post("files", form);
        }
        return upload.then(function (uploaded) {
          if (uploaded) evidence.uncategorized_file = uploaded.id;
          return ctx.post("disputes/" + encodeURIComponent(dispute.id) + "/evidence", { evidence: evidence, submit: true });
        });
      }),
      actionButton(ctx, ctx.t("Accept dispute"), { "data-action": "accept-dispute", class: "sc-button sc-button-secondary" }, function () {
        return ctx.post("disputes/" + encodeURIComponent(dispute.id) + "/close", {});
      }),
    ]);
  }

  function renderDisputesList(ctx) {
    return ctx.get("disputes").then(function (list) {
      var rows = list.data.map(function (dispute) {
        var due = dispute.evidence_details && dispute.evidence_details.due_by;
        var respond = ctx.features.dispute_management && RESPONDABLE[dispute.status];
        return h("tr", { "data-dispute-id": dispute.id }, [
          h("td", { text: ctx.money(dispute.amount, dispute.currency) }),
          h("td", {}, [badge(dispute.status)]),
          h("td", { text: words(dispute.reason) }),
          h("td", { text: respond && due ? ctx.date(due) : "" }),
          h("td", {}, [respond ? evidenceForm(ctx, dispute) : null]),
        ]);
      });
      return [h("section", { class: "sc-section" }, [h("h2", { text: ctx.t("Disputes") }),
        table(["Amount", "Status", "Reason", "Respond by", ""].map(ctx.t, ctx), rows, { testid: "disputes-list", empty: ctx.t("No disputes.") })])];
    });
  }

  // --- account notifications and management ---------------------------------------------------------

  // Requirement keys in words a seller knows; several keys (dob.day, dob.month...) share one.
  var REQUIREMENT_WORDS = [
    [/(^|\.)dob\./, "date of birth"], [/(^|\.)address\./, "address"], [/(^|\.)ssn_last_4$/, "last 4 digits of SSN"],
    [/(^|\.)id_number$/, "ID number"], [/(^|\.)(first|last)_name$/, "legal name"], [/(^|\.)phone$/, "phone number"],
    [/(^|\.)email$/, "email address"], [/verification\.(additional_)?document$/, "identity document"],
    [/^external_account$/, "bank account"], [/^tos_acceptance\./, "terms of service acceptance"],
    [/^business_profile\.url$/, "business website"], [/^business_profile\.mcc$/, "industry"],
    [/(^|\.)tax_id$/, "tax ID"], [/^company\.name$/, "business name"], [/^owners\.|owners_provided$/, "business owners"],
    [/^representative\./, "business representative"], [/^directors\./, "directors"],
  ];

  function requirementWords(keys) {
    var seen = [];
    keys.forEach(function (key) {
      var match = REQUIREMENT_WORDS.filter(function (entry) { return entry[0].test(key); })[0];
      var text = match ? match[1] : words(key.split(".").slice(-1)[0]).toLowerCase();
      if (seen.indexOf(text) < 0) seen.push(text);
    });
    return seen.join(", ");
  }

  function notifications(ctx, account, collection) {
    var requirements = account.requirements || {};
    var items = [];
    var due = (requirements.past_due || []).concat(requirements.currently_due || []);
    if (collection && collection.fields === "eventually_due") due = due.concat(requirements.eventually_due || []);
    due = due.filter(function (key, index) { return due.indexOf(key) === index; });
    if (due.length) {
      items.push({ actionRequired: true, testid: "requirements-due",
        text: "Provide the missing information: " + requirementWords(due) +
          (requirements.current_deadline ? " by " + ctx.date(requirements.current_deadline) : "") + "." });
    }
    (requirements.errors || []).forEach(function (error) {
      items.push({ actionRequired: true, testid: "requirement-error",
        text: words(requirementWords([error.requirement])) + ": " + error.reason });
    });
    var future = account.future_requirements || {};
    if (collection && collection.futureRequirements === "include" && (future.currently_due || []).length) {
      items.push({ actionRequired: false, testid: "future-requirements",
        text: "Information needed soon: " + requirementWords(future.currently_due) + "." });
    }
    if (!items.length && (requirements.pending_verification || []).length) {
      items.push({ actionRequired: false, testid: "pending-verification", text: ctx.t("Stripe is verifying your information.") });
    }
    return items;
  }

  function renderNotificationBanner(ctx) {
    return ctx.get("account").then(function (account) {
      var items = notifications(ctx, account, ctx.option("collectionOptions"));
      ctx.emit("onNotificationsChange", {
        total: items.length,
        actionRequired: items.filter(function (item) { return item.actionRequired; }).length,
      });
      if (!items.length) return [];
      return [h("div", { class: "sc-banner", role: "status", "data-testid": "notification-banner" },
        items.map(function (item) {
          return h("p", { class: item.actionRequired ? "sc-banner-action" : "sc-banner-info",
            "data-testid": item.testid, text: item.text });
        }))];
    });
  }

  function section(ctx, name, title, rows) {
    var details = h("details", { class: "sc-section", "data-section": name, open: true },
      [h("summary", { text: title })].concat(rows));
    details.addEventListener("toggle", function () {
      if (details.open) ctx.emit("onSectionOpen", { sectionName: name });
    });
    return details;
  }

  function field(label, value) {
    return h("div", { class: "sc-field" }, [h("span", { class: "sc-label", text: label }), h("span", { text: value || "—" })]);
  }

  function renderAccountManagement(ctx) {
    return ctx.get("account").then(function (account) {
      var sections = [section(ctx, "business_details", ctx.t("Business details"), [
        field(ctx.t("Business name"), account.business_name), field(ctx.t("Email"), account.email),
        field(ctx.t("Website"), account.url), field(ctx.t("Country"), account.country)])];
      if (ctx.features.external_account_collection) {
        sections.push(section(ctx, "payout_details", ctx.t("Payout details"), account.external_accounts.map(function (bank) {
          return field(bank.bank_name || bank.brand || words(bank.object), "•••• " + bank.last4 + " (" + bank.currency.toUpperCase() + ")");
        })));
      }
      return sections;
    });
  }

  // Stripe's documents component lists the account's tax forms; the sandbox issues none.
  function renderDocuments(ctx) {
    return Promise.resolve([h("section", { class: "sc-section", "data-testid": "documents" },
      [h("h2", { text: ctx.t("Documents") }), h("p", { class: "sc-empty", text: ctx.t("No documents yet.") })])]);
  }

  var RENDERERS = {
    "payouts": renderPayouts,
    "balances": renderBalances,
    "payouts-list": renderPayoutsList,
    "payments": renderPayments,
    "disputes-list": renderDisputesList,
    "notification-banner": renderNotificationBanner,
    "account-management": renderAccountManagement,
    "documents": renderDocuments,
  };

  // --- window.StripeConnect -----------------------------------------------------------------------

  function init(params) {
    if (!params || typeof params.fetchClientSecret !== "function") {
      throw new Error("StripeConnect.init requires a fetchClientSecret function");
    }
    if (typeof params.publishableKey !== "string" || params.publishableKey.indexOf("pk_") !== 0) {
      throw new Error("StripeConnect.init requires a publishableKey (pk_...)");
    }
    defineElements();
    var connector = new Connector(params);
    return {
      connect: connector,
      create: function (tagName) {
        var element = document.createElement(tagName.indexOf("stripe-connect-") === 0 ? tagName : "stripe-connect-" + tagName);
        if (typeof element.setConnector !== "function") {
          throw new Error("Unsupported embedded component: " + tagName);
        }
        element.setConnector(connector);
        return element;
      },
      update: function (options) { connector.update(options); },
      logout: function () { return connector.logout(); },
    };
  }

  defineElements();
  window.StripeConnect = window.StripeConnect || {};
  window.StripeConnect.init = init;
  window.StripeConnect.sandboxStandIn = true;
  if (typeof window.StripeConnect.onLoad === "function") window.StripeConnect.onLoad();
})();
