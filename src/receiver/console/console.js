// The operator console of `hearth receiver`: plain script, no build step. Everything a gateway sent
// reaches the page through textContent or attributes set one by one, never as markup.

const $ = (id) => document.getElementById(id);

/** An element with text children (strings become text nodes, never markup). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else e.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    e.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return e;
}

async function api(path, body) {
  const init = body
    ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
    : {};
  const res = await fetch(path, { ...init, credentials: "same-origin" });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${data.error ?? res.statusText} (HTTP ${res.status})`);
  return data;
}

function showError(e) {
  const p = $("error");
  p.textContent = e ? String(e.message ?? e) : "";
  p.hidden = !e;
}

// ---- words for times and evidence

function duration(s) {
  if (!Number.isFinite(s)) return "";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.round(h / 24)} d`;
}

const ago = (ms) =>
  Number.isFinite(ms) ? `${duration(Math.max(0, (Date.now() - ms) / 1000))} ago` : "never";
/** The home's local clock time as the gateway wrote it (the ISO text keeps the home's offset). */
const localTime = (iso) => (typeof iso === "string" && iso.length >= 16 ? iso.slice(11, 16) : "");
const localDay = (iso) => (typeof iso === "string" ? `${iso.slice(0, 10)} ${localTime(iso)}` : "");

const ageOf = (a) => ago(Date.parse(a.since ?? "") || a.updatedAt);

const KIND_WORDS = {
  call: "Call button pressed",
  inactivity: "No activity",
  fall: "Fall detected",
  leak: "Water leak",
  not_home: "Out for long",
  gateway_offline: "Gateway offline",
  device_offline: "Device offline",
  battery_low: "Battery low",
  power_outage: "Power outage",
  monitoring_degraded: "Monitoring degraded",
  storage: "Gateway storage",
  test: "Installer's test alert",
};

function evidenceWords(ev) {
  if (!ev || typeof ev !== "object") return "";
  const parts = [];
  const rest = { ...ev };
  if (typeof ev.silence_s === "number") {
    parts.push(
      `no activity for ${duration(ev.silence_s)}` +
        (typeof ev.threshold_s === "number" ? ` (limit ${duration(ev.threshold_s)})` : ""),
    );
    delete rest.silence_s;
    delete rest.threshold_s;
  }
  const last = ev.last_activity;
  if (last && typeof last === "object") {
    const what = [last.source, last.device, last.detail].filter((x) => typeof x === "string").join(", ");
    parts.push(`last activity ${localDay(last.at)}${what ? ` (${what})` : ""}`);
    delete rest.last_activity;
  }
  if (typeof ev.out_s === "number") {
    parts.push(`out for ${duration(ev.out_s)}`);
    delete rest.out_s;
  }
  if (typeof ev.rule === "string") {
    parts.push(`rule ${ev.rule.replaceAll("_", " ")}`);
    delete rest.rule;
  }
  for (const [k, v] of Object.entries(rest)) {
    const text = typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
    parts.push(`${k.replaceAll("_", " ")}: ${text.length > 120 ? `${text.slice(0, 117)}…` : text}`);
  }
  return parts.join("; ");
}

// ---- new alerts: a sound and the page title

let audio;
let unseen = 0;
const TITLE = "Hearth console";

function beep() {
  if (!audio) return;
  for (const [at, f] of [
    [0, 880],
    [0.35, 660],
  ]) {
    const o = audio.createOscillator();
    const g = audio.createGain();
    g.gain.value = 0.2;
    o.frequency.value = f;
    o.connect(g).connect(audio.destination);
    o.start(audio.currentTime + at);
    o.stop(audio.currentTime + at + 0.25);
  }
}

/** Alert ids already shown; undefined before the first load (what is open then is not news). */
let known;

function flagNewAlerts() {
  const fresh = state.alerts.filter((a) => a.ackSentAt === undefined && !known?.has(a.alert));
  const first = known === undefined;
  known = new Set(state.alerts.map((a) => a.alert));
  if (first || fresh.length === 0) return;
  unseen += fresh.length;
  document.title = `(${unseen}) NEW ALERT · ${TITLE}`;
  beep();
}

function seen() {
  // Browsers allow sound only after a gesture on the page: the first click turns it on.
  if (!audio && window.AudioContext) {
    audio = new AudioContext();
    $("sound").textContent = "sound on";
  }
  unseen = 0;
  document.title = TITLE;
}

// ---- state and views

const state = { alerts: [], homes: [], home: undefined, month: undefined, refreshFailed: false };

function route() {
  const [view, home, month] = location.hash.slice(1).split("/");
  state.home = view === "home" && home ? decodeURIComponent(home) : undefined;
  state.month = /^\d{4}-\d{2}$/.test(month ?? "") ? month : new Date().toISOString().slice(0, 7);
  $("view-alerts").hidden = !(view === "alerts" || view === "");
  $("view-homes").hidden = view !== "homes";
  $("view-home").hidden = !state.home;
  return refresh();
}

async function refresh() {
  try {
    [state.alerts, state.homes] = await Promise.all([api("api/alerts"), api("api/homes")]);
    flagNewAlerts();
    renderAlerts();
    renderHomes();
    if (state.home) await renderHomeFile();
    // Clears only its own failure: a message about the operator's input stays until they act.
    if (state.refreshFailed) showError();
    state.refreshFailed = false;
  } catch (e) {
    state.refreshFailed = true;
    showError(e);
  }
}

function ackForm(a) {
  const by = el("input", { name: "by", placeholder: "your name", required: true, maxlength: 200 });
  by.value = localStorage.getItem("hearth.by") ?? "";
  const note = el("input", { name: "note", placeholder: "note (who goes, what was said)", maxlength: 1000 });
  const form = el("form", { class: "ack" }, by, note, el("button", { type: "submit" }, "Acknowledge"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    localStorage.setItem("hearth.by", by.value);
    try {
      await api(`api/alerts/${encodeURIComponent(a.alert)}/ack`, { by: by.value, note: note.value });
      await refresh();
    } catch (e) {
      showError(e);
    }
  });
  return form;
}

function alertCard(a, withForm) {
  const acked = a.ackSentAt !== undefined;
  return el(
    "li",
    { class: `alert ${a.state}${acked ? " acked" : ""}`, "data-alert": a.alert },
    el("div", { class: "title" }, KIND_WORDS[a.kind] ?? a.kind, " · ", a.state),
    el(
      "div",
      { class: "meta" },
      el("a", { href: `#home/${encodeURIComponent(a.home)}` }, a.home),
      a.device ? ` · ${a.device}` : "",
      " · ",
      el("span", { class: "age" }, ageOf(a)),
      a.since ? ` (${localDay(a.since)})` : "",
    ),
    el("p", { class: "evidence" }, evidenceWords(a.evidence)),
    acked
      ? el("p", { class: "acked-by" }, `Acknowledged by ${a.ackBy}${a.ackNote ? `: ${a.ackNote}` : ""}`)
      : withForm
        ? ackForm(a)
        : null,
  );
}

/**
 * Updates the list in place: a card whose alert did not change stays the same element (only its age
 * is rewritten), so a live update does not take away the form an operator is typing into.
 */
function renderAlerts() {
  const list = $("alert-list");
  const old = new Map([...list.children].map((li) => [li.dataset.alert, li]));
  const want = state.alerts.map((a) => {
    const sig = JSON.stringify(a);
    const li = old.get(a.alert);
    if (li && li.dataset.sig === sig) {
      li.querySelector(".age").textContent = ageOf(a);
      return li;
    }
    const card = alertCard(a, true);
    card.dataset.sig = sig;
    const typed = li ? [...li.querySelectorAll("input")].map((i) => i.value) : [];
    for (const [n, input] of [...card.querySelectorAll("input")].entries())
      if (typed[n]) input.value = typed[n];
    return card;
  });
  want.forEach((li, i) => {
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
  });
  while (list.children.length > want.length) list.lastElementChild.remove();
  $("alerts-empty").hidden = state.alerts.length > 0;
  $("alert-count").textContent = state.alerts.length ? String(state.alerts.length) : "";
}

/** An ISO time with the browser's offset from a datetime-local value ("" when empty). */
function untilOf(value) {
  if (!value) return "";
  const d = new Date(value);
  const off = -d.getTimezoneOffset();
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  return `${value.length === 16 ? `${value}:00` : value}${off >= 0 ? "+" : "-"}${pad(off / 60)}:${pad(off % 60)}`;
}

function watchForm(home) {
  const level = el(
    "select",
    { name: "level" },
    ...["normal", "heightened", "away"].map((l) => el("option", { value: l }, l)),
  );
  level.value = home.desiredWatch ?? home.watch ?? "normal";
  const until = el("input", { type: "datetime-local", name: "until" });
  const form = el(
    "form",
    { class: "watch" },
    level,
    el("label", {}, "until ", until),
    el("button", { type: "submit" }, "Set watch"),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const u = untilOf(until.value);
      await api(`api/homes/${encodeURIComponent(home.home)}/watch`, {
        level: level.value,
        ...(u ? { until: u } : {}),
      });
      await refresh();
    } catch (e) {
      showError(e);
    }
  });
  return form;
}

function homeCard(h) {
  const devices = Object.entries(h.health?.devices ?? {}).filter(([, s]) => s !== "online");
  const open = state.alerts.filter((a) => a.home === h.home).length;
  const watch =
    h.desiredWatch && h.desiredWatch !== h.watch ? `${h.watch ?? "?"} → ${h.desiredWatch}` : h.watch;
  return el(
    "li",
    { class: `home ${h.state}`, "data-home": h.home },
    el(
      "div",
      { class: "title" },
      el("a", { href: `#home/${encodeURIComponent(h.home)}` }, h.home),
      ` · ${h.state}`,
    ),
    el(
      "div",
      { class: "meta" },
      `last heartbeat ${ago(h.lastHeartbeatAt)}`,
      h.state === "offline" && h.offlineBy ? ` · offline by ${h.offlineBy}` : "",
    ),
    el(
      "div",
      {},
      `watch: ${watch ?? "unknown"}${h.desiredWatchUntil ? ` until ${localDay(h.desiredWatchUntil)}` : ""}`,
    ),
    el(
      "div",
      {},
      `devices degraded: ${devices.length ? devices.map(([d, s]) => `${d} (${s})`).join(", ") : "none"}`,
    ),
    el("div", {}, `open alerts: ${open}`),
    watchForm(h),
  );
}

function renderHomes() {
  $("home-list").replaceChildren(...state.homes.map(homeCard));
}

// ---- a home's file: the month of daily visit records and its alert history

function monthShift(month, by) {
  const d = new Date(`${month}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + by);
  return d.toISOString().slice(0, 7);
}

async function renderHomeFile() {
  const home = state.home;
  const month = state.month;
  const days = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate();
  const [records, history] = await Promise.all([
    api(`api/homes/${encodeURIComponent(home)}/summaries?from=${month}-01&to=${month}-${days}`),
    api(`api/homes/${encodeURIComponent(home)}/alerts`),
  ]);
  const g = state.homes.find((h) => h.home === home);
  $("home-title").textContent = `Home ${home}`;
  $("home-status").textContent = g
    ? `${g.state}, last heartbeat ${ago(g.lastHeartbeatAt)}, watch ${g.watch ?? "unknown"}`
    : "no status from this home yet";
  $("month-label").textContent = month;
  $("prev-month").setAttribute("href", `#home/${encodeURIComponent(home)}/${monthShift(month, -1)}`);
  $("next-month").setAttribute("href", `#home/${encodeURIComponent(home)}/${monthShift(month, 1)}`);
  const byDate = new Map(records.map((r) => [r.date, r.body]));
  const cells = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map((d) => el("div", { class: "dow" }, d));
  const lead = (new Date(`${month}-01T00:00:00Z`).getUTCDay() + 6) % 7;
  for (let i = 0; i < lead; i++) cells.push(el("div"));
  for (let d = 1; d <= days; d++) {
    const date = `${month}-${String(d).padStart(2, "0")}`;
    const s = byDate.get(date);
    if (!s) {
      cells.push(el("div", { class: "day none", "data-date": date }, el("div", { class: "n" }, String(d))));
      continue;
    }
    const hours = Number(s.active_hours) || 0;
    const level = hours === 0 ? 0 : Math.min(4, Math.ceil(hours / 4));
    const alerts = Array.isArray(s.alerts) ? s.alerts : [];
    cells.push(
      el(
        "div",
        { class: `day a${level}`, "data-date": date },
        el("div", { class: "n" }, String(d)),
        el(
          "div",
          { class: "span" },
          s.first_activity ? `${localTime(s.first_activity)}–${localTime(s.last_activity)}` : "no activity",
        ),
        el("div", { class: "hours" }, `${hours} h active`),
        ...alerts.map((a) => el("span", { class: "alert-kind" }, String(a.kind))),
      ),
    );
  }
  $("calendar").replaceChildren(...cells);
  $("history").replaceChildren(...history.map((a) => alertCard(a, false)));
  $("history-empty").hidden = history.length > 0;
}

// ---- live updates

let pending;
function refreshSoon() {
  clearTimeout(pending);
  pending = setTimeout(refresh, 100);
}

function connect() {
  const es = new EventSource("api/events");
  es.addEventListener("open", () => {
    $("live").textContent = "live";
    $("live").classList.add("on");
    refreshSoon();
  });
  es.addEventListener("error", () => {
    $("live").textContent = "reconnecting…";
    $("live").classList.remove("on");
  });
  es.addEventListener("change", () => {
    // Whatever changed, the lists are read again; a new alert in them is flagged there.
    refreshSoon();
  });
}

document.addEventListener("click", seen);
document.addEventListener("keydown", seen);
$("bulk-watch").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  const level = form.elements.level.value;
  const until = untilOf(form.elements.until.value);
  if (level === "away" && !until) return showError(new Error("away for all homes needs an end date (until)"));
  showError();
  const box = form.querySelector(".confirm");
  form.querySelector(".confirm-text").textContent =
    `Set ${level} for all ${state.homes.length} homes${until ? ` until ${localDay(until)}` : ""}?`;
  box.hidden = false;
  form.querySelector(".confirm-no").onclick = () => {
    box.hidden = true;
  };
  form.querySelector(".confirm-yes").onclick = async () => {
    box.hidden = true;
    try {
      await api("api/watch", { level, homes: "all", ...(until ? { until } : {}) });
      await refresh();
    } catch (e) {
      showError(e);
    }
  };
});
window.addEventListener("hashchange", route);
setInterval(() => {
  renderAlerts();
}, 30_000);
void route();
connect();
