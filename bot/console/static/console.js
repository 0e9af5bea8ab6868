// Teman Migran staff console: the queue and the open transcript refresh themselves.
// Everything from the server is inserted with textContent, never as HTML.
"use strict";

(function () {
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const PRIORITY_CLASS = { urgent: "prio-urgent", high: "prio-high", normal: "prio-normal" };

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) if (child) node.appendChild(child);
    return node;
  }

  function waited(seconds) {
    const minutes = Math.floor(seconds / 60);
    if (minutes < 1) return seconds + " dtk";
    if (minutes < 60) return minutes + " mnt";
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return hours + " jam " + (minutes % 60) + " mnt";
    return Math.floor(hours / 24) + " hari " + (hours % 24) + " jam";
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401) { window.location.assign("/console/login"); throw new Error("login"); }
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  // ---------------------------------------------------------------- queue
  function card(item) {
    const flags = [];
    if (item.status === "open" && item.alert_level >= 2) flags.push(el("span", { className: "flag flag-red", text: "Supervisor diberi tahu" }));
    else if (item.overdue && item.status === "open") flags.push(el("span", { className: "flag flag-red", text: "Lewat batas waktu" }));
    if (item.reply_overdue) flags.push(el("span", { className: "flag flag-red", text: "Belum dibalas" }));
    if (item.waiting_reply && item.status === "claimed") flags.push(el("span", { className: "flag", text: "Pesan baru" }));
    if (item.with_bot) flags.push(el("span", { className: "flag", text: "Sedang dengan bot" }));
    const link = "/console/e/" + item.id;
    const actions = [el("a", { className: "btn", href: link, text: "Buka" })];
    if (item.status === "open") {
      actions.push(el("form", { method: "post", action: link + "/claim", className: "inline" }, [
        el("input", { type: "hidden", name: "csrf_token", value: csrf }),
        el("button", { type: "submit", className: "primary", text: "Ambil" }),
      ]));
    }
    let status = item.status_label + (item.claimed_by ? " oleh " + item.claimed_by : "");
    const meta = el("div", { className: "meta" }, [
      el("span", { className: "wait", "data-waited": String(item.waited_s), text: "menunggu " + waited(item.waited_s) }),
      document.createTextNode(" · " + item.channel + " · "),
      el("span", { className: "status", text: status }),
      item.case_number ? document.createTextNode(" · ") : null,
      item.case_number ? el("a", { href: "/console/c/" + item.case_id, text: "Laporan " + item.case_number }) : null,
      item.country ? document.createTextNode(" · ") : null,
      item.country ? el("span", { className: "country", text: item.country }) : null,
    ]);
    return el("li", {
      className: "card " + PRIORITY_CLASS[item.priority] + (item.overdue ? " overdue" : ""), "data-id": String(item.id),
    }, [
      el("div", { className: "card-head" }, [
        el("span", { className: "badge " + PRIORITY_CLASS[item.priority], text: item.priority_label }),
        el("a", { className: "title", href: link, text: "#" + item.id + " " + item.reason }),
      ]),
      meta,
      item.preview ? el("p", { className: "preview", text: item.preview }) : null,
      el("div", { className: "flags" }, flags),
      el("div", { className: "actions" }, actions),
    ]);
  }

  function startQueue(list) {
    const every = Math.max(1, Number(list.dataset.refresh || 4)) * 1000;
    const count = document.getElementById("queue-count");
    const empty = document.getElementById("queue-empty");
    const banner = document.getElementById("supervisor-banner");
    const bannerIds = document.getElementById("supervisor-ids");
    const updated = document.getElementById("queue-updated");
    let fetchedAt = Date.now();

    async function refresh() {
      try {
        const data = await getJSON("/console/api/queue");
        fetchedAt = Date.now();
        list.replaceChildren(...data.items.map(card));
        count.textContent = String(data.items.length);
        empty.hidden = data.items.length > 0;
        const open = data.items.filter((i) => i.status === "open").length;
        document.title = (open ? "(" + open + ") " : "") + "Antrean · Teman Migran";
        banner.hidden = data.supervisor_alerts.length === 0;
        bannerIds.replaceChildren(...data.supervisor_alerts.map((id) =>
          el("a", { href: "/console/e/" + id, text: "#" + id + " " })));
        updated.textContent = "Terakhir: " + new Date().toLocaleTimeString("id-ID");
      } catch (error) {
        updated.textContent = "Gagal memperbarui, mencoba lagi…";
      }
    }

    // Waiting times tick between refreshes.
    setInterval(() => {
      const extra = Math.floor((Date.now() - fetchedAt) / 1000);
      for (const node of list.querySelectorAll("[data-waited]")) {
        node.textContent = "menunggu " + waited(Number(node.dataset.waited) + extra);
      }
    }, 1000);
    setInterval(refresh, every);
    refresh();
  }

  // ---------------------------------------------------------------- transcript
  function line(item) {
    const staffLine = item.direction === "out" && item.author !== "bot";
    let meta = item.author + " · " + new Date(item.at).toLocaleString("id-ID", { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
    if (item.kind !== "text") meta += " · [" + item.kind + (item.media ? ", " + item.media + " lampiran" : "") + "]";
    if (item.direction === "out" && item.delivery) meta += " · " + item.delivery;
    return el("li", { className: "msg msg-" + item.direction + (staffLine ? " msg-staff" : ""), "data-id": String(item.id) }, [
      el("div", { className: "msg-meta", text: meta }),
      el("div", { className: "msg-text", text: item.text }),
    ]);
  }

  function startTranscript(list) {
    const every = Math.max(1, Number(list.dataset.refresh || 4)) * 1000;
    const status = document.getElementById("esc-status");
    const notice = document.getElementById("status-changed");
    let last = Number(list.dataset.last || 0);
    list.scrollTop = list.scrollHeight;

    async function refresh() {
      try {
        const data = await getJSON("/console/api/e/" + list.dataset.escalation + "/messages?after=" + last);
        for (const item of data.lines) {
          list.appendChild(line(item));
          last = Math.max(last, item.id);
        }
        if (data.lines.length) list.scrollTop = list.scrollHeight;
        if (data.status !== status.dataset.status || (data.claimed_by || "") !== status.dataset.owner) notice.hidden = false;
      } catch (error) { /* the next tick tries again */ }
    }
    setInterval(refresh, every);
  }

  // ---------------------------------------------------------------- campaign progress
  function startCampaign(section) {
    const every = Math.max(1, Number(section.dataset.refresh || 4)) * 1000;
    const bar = document.getElementById("campaign-progress");
    const percent = document.getElementById("campaign-percent");
    const status = document.getElementById("campaign-status");
    const updated = document.getElementById("campaign-updated");

    async function refresh() {
      try {
        const data = await getJSON("/console/api/campaigns/" + section.dataset.id);
        if (data.status !== section.dataset.status && (data.status === "done" || data.status === "cancelled")) {
          window.location.reload();  // finished: the page without the cancel button, with final times
          return;
        }
        section.dataset.status = data.status;
        status.textContent = data.status_label;
        status.className = "badge campaign-status status-" + data.status;
        for (const node of section.querySelectorAll("[data-count]")) {
          const value = data.counts[node.dataset.count];
          if (value !== null && value !== undefined) node.textContent = String(value);
        }
        for (const node of section.querySelectorAll("[data-reason]")) {
          node.textContent = String(data.counts.skipped_reasons[node.dataset.reason] || 0);
        }
        bar.max = data.progress.max;
        bar.value = data.progress.value;
        bar.textContent = data.progress.percent + "%";
        percent.textContent = String(data.progress.percent);
        if (updated) updated.textContent = "Terakhir: " + new Date().toLocaleTimeString("id-ID");
      } catch (error) {
        if (updated) updated.textContent = "Gagal memperbarui, mencoba lagi…";
      }
    }
    setInterval(refresh, every);
  }

  // ---------------------------------------------------------------- staff tools
  // An action reloads the page (POST, then redirect): come back to where the staff member was.
  const SCROLL_KEY = "tm-console-scroll";
  function keepPosition() {
    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
      sessionStorage.setItem(SCROLL_KEY, JSON.stringify({ path: location.pathname, y: window.scrollY }));
    });
    const saved = sessionStorage.getItem(SCROLL_KEY);
    if (!saved) return;
    sessionStorage.removeItem(SCROLL_KEY);
    let where = null;
    try { where = JSON.parse(saved); } catch (error) { return; /* an old entry: ignore it */ }
    if (!where || where.path !== location.pathname) return;
    const restore = () => window.scrollTo(0, Number(where.y) || 0);
    restore();
    // The browser scrolls to the redirect's #section once the page has loaded; come back after it.
    window.addEventListener("load", () => setTimeout(restore, 0), { once: true });
  }

  function savedReplies() {
    for (const select of document.querySelectorAll("select[data-fills]")) {
      select.addEventListener("change", () => {
        const option = select.selectedOptions[0];
        const target = document.getElementById(select.dataset.fills);
        if (!option || !option.dataset.text || !target) return;
        target.value = target.value ? target.value.replace(/\s*$/, "\n") + option.dataset.text : option.dataset.text;
        target.focus();
        select.value = "";
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    keepPosition();
    savedReplies();
    for (const button of document.querySelectorAll("[data-print]")) button.addEventListener("click", () => window.print());
    const queueList = document.getElementById("queue");
    if (queueList) startQueue(queueList);
    const transcript = document.getElementById("transcript");
    if (transcript) startTranscript(transcript);
    const campaign = document.getElementById("campaign");
    if (campaign && campaign.dataset.live === "yes") startCampaign(campaign);
  });
})();
