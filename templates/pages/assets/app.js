// silkroute pages: plain JavaScript, no build step. Every text from the server
// is put into the page with textContent, never as HTML.
"use strict";
(function () {
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const $ = (sel, root) => (root || document).querySelector(sel);

  // ---- New listing: stream the localization over SSE (fetch + manual parse).
  function listingFromForm(form) {
    const fd = new FormData(form);
    const lines = (s) => (s || "").split("\n").map((x) => x.trim()).filter(Boolean);
    const opt = (k) => { const v = (fd.get(k) || "").trim(); return v ? v : undefined; };
    const attributes = lines(fd.get("attributes")).map((l) => {
      const i = l.indexOf(":");
      return i < 0 ? { name: l, value: "" } : { name: l.slice(0, i).trim(), value: l.slice(i + 1).trim() };
    });
    const listing = {
      sku: (fd.get("sku") || "").trim(), title: (fd.get("title") || "").trim(),
      description: (fd.get("description") || "").trim(), bullets: lines(fd.get("bullets")),
      brand: opt("brand"), category: opt("category"), attributes,
    };
    const price = opt("price");
    if (price) listing.price = { amount: price, currency: (fd.get("currency") || "").trim().toUpperCase() };
    return { listing, markets: fd.getAll("markets") };
  }

  function column(market) {
    const id = "result-" + market.replace(/[^a-zA-Z0-9_-]/g, "_");
    let col = document.getElementById(id);
    if (!col) {
      col = $("#result-column").content.firstElementChild.cloneNode(true);
      col.id = id;
      col.dataset.market = market;
      $(".market", col).textContent = market;
      // The market's language decides each field's direction (Arabic: rtl).
      const box = document.querySelector('input[name="markets"][value="' + CSS.escape(market) + '"]');
      col.querySelectorAll(".text").forEach((el) => {
        el.lang = box ? box.dataset.lang : "";
        el.dir = box ? box.dataset.dir : "auto";
      });
      col.classList.add("writing");
      $("#results").appendChild(col);
    }
    return col;
  }

  function setField(col, field, text) {
    const base = field.split(/[.[]/)[0];
    const box = col.querySelector('[data-field="' + base + '"]');
    if (!box) return;
    const el = $(".text", box);
    if (base === "bullets" && Array.isArray(text)) {
      el.textContent = "";
      text.forEach((b) => { const li = document.createElement("li"); li.textContent = b; el.appendChild(li); });
    } else if (base === "bullets") {
      const m = field.match(/\[(\d+)\]/);
      const i = m ? +m[1] : el.children.length;
      while (el.children.length <= i) el.appendChild(document.createElement("li"));
      el.children[i].textContent = text;
    } else {
      el.textContent = Array.isArray(text) ? text.join(", ") : text;
    }
  }

  function showResult(col, loc, sku) {
    col.classList.remove("writing");
    setField(col, "title", loc.title);
    setField(col, "bullets", loc.bullets || []);
    setField(col, "description", loc.description || "");
    setField(col, "keywords", loc.keywords || []);
    const st = $(".status", col);
    st.textContent = loc.status.replace("_", " ");
    st.className = "status pill status-" + loc.status;
    col.querySelectorAll("ul.warnings").forEach((u) => (u.textContent = ""));
    (loc.warnings || []).forEach((w) => {
      const base = w.field.split(/[.[]/)[0];
      const box = col.querySelector('[data-field="' + base + '"]') || col.querySelector('[data-field="other"]');
      const li = document.createElement("li");
      li.textContent = (box.dataset.field === "other" ? w.field + ": " : "") + w.message;
      li.dataset.code = w.code;
      $("ul.warnings", box).appendChild(li);
    });
    const a = $(".review-link", col);
    a.href = "/listings/" + encodeURIComponent(sku) + "/review/" + encodeURIComponent(loc.market);
    a.hidden = false;
  }

  async function streamLocalize(form) {
    const body = listingFromForm(form);
    const status = $("#new-status");
    $("#results").textContent = "";
    body.markets.forEach(column);
    status.textContent = "…";
    const btn = $("#localize-btn");
    btn.disabled = true;
    try {
      const resp = await fetch("/api/v1/localize/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), Accept: "text/event-stream" },
        body: JSON.stringify(body),
      });
      if (!resp.ok) {
        let msg = resp.status + "";
        try { const e = await resp.json(); msg = e.message; } catch (_) {}
        status.textContent = msg;
        status.className = "error";
        return;
      }
      const reader = resp.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const raw = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let ev = "message", data = "";
          raw.split("\n").forEach((l) => {
            if (l.startsWith("event:")) ev = l.slice(6).trim();
            else if (l.startsWith("data:")) data += l.slice(5).replace(/^ /, "");
          });
          if (!data) continue;
          const d = JSON.parse(data);
          if (ev === "field") setField(column(d.market), d.field, d.text);
          else if (ev === "result") showResult(column(d.market), d.localized, body.listing.sku);
          else if (ev === "error") {
            const col = column(d.market);
            col.classList.remove("writing");
            const li = document.createElement("li");
            li.textContent = d.message;
            $('[data-field="other"] ul.warnings', col).appendChild(li);
          } else if (ev === "end") {
            status.textContent = "✓";
            status.className = "muted";
            document.body.dataset.localized = "done";
          }
        }
      }
    } catch (e) {
      status.textContent = String(e);
      status.className = "error";
    } finally {
      btn.disabled = false;
    }
  }

  // ---- Search as you type.
  function renderSearch(page, params) {
    const strings = JSON.parse(($("#search-strings") || {}).textContent || "{}");
    const box = $("#search-results");
    box.textContent = "";
    const total = document.createElement("p");
    total.className = "muted";
    total.id = "search-total";
    total.textContent = page.total + " " + (strings.results || "results");
    box.appendChild(total);
    const ol = document.createElement("ol");
    ol.className = "hits";
    page.hits.forEach((h) => {
      const li = document.createElement("li");
      li.className = "hit";
      const a = document.createElement("a");
      a.href = "/listings/" + encodeURIComponent(h.sku);
      a.textContent = h.title;
      // the text decides its own direction (Arabic titles right to left)
      a.lang = h.language || "";
      a.dir = "auto";
      li.appendChild(a);
      [h.market, (strings.status || {})[h.status] || h.status].forEach((t, i) => {
        const s = document.createElement("span");
        s.className = "pill" + (i ? " status-" + h.status : "");
        s.textContent = t;
        li.append(" ", s);
      });
      const p = document.createElement("p");
      p.className = "snippet";
      p.lang = h.language || "";
      p.dir = "auto";
      (h.snippet || []).forEach((part) => {
        const n = part.hl ? document.createElement("mark") : document.createTextNode(part.text);
        if (part.hl) n.textContent = part.text;
        p.appendChild(n);
      });
      li.appendChild(p);
      ol.appendChild(li);
    });
    box.appendChild(ol);
    const facets = $("#facets");
    facets.textContent = "";
    page.facets.forEach((f) => {
      const h = document.createElement("h3");
      h.textContent = (strings.fields || {})[f.field] || f.field;
      const ul = document.createElement("ul");
      f.counts.forEach(([v, c]) => {
        const li = document.createElement("li");
        const a = document.createElement("a");
        const q = new URLSearchParams(params);
        q.set(f.field, v);
        a.href = "/search?" + q.toString();
        a.textContent = v;
        a.addEventListener("click", (e) => {
          e.preventDefault();
          const input = $('#search-form [name="' + f.field + '"]');
          if (input) { input.value = v; runSearch(); }
        });
        const n = document.createElement("span");
        n.className = "muted";
        n.textContent = " " + c;
        li.append(a, n);
        ul.appendChild(li);
      });
      facets.append(h, ul);
    });
  }

  let searchSeq = 0, searchTimer = null;
  async function runSearch() {
    const form = $("#search-form");
    const params = new URLSearchParams();
    new FormData(form).forEach((v, k) => { if (String(v).trim()) params.set(k, v); });
    const seq = ++searchSeq;
    history.replaceState(null, "", "/search?" + params.toString());
    const resp = await fetch("/api/v1/search?" + params.toString(), { headers: { Accept: "application/json" } });
    if (seq !== searchSeq || !resp.ok) return;
    renderSearch(await resp.json(), params);
  }

  // ---- Job progress over SSE.
  function watchJob(section) {
    const strings = JSON.parse(($("#job-strings") || {}).textContent || "{}");
    const es = new EventSource(section.dataset.events);
    es.addEventListener("progress", (e) => {
      const j = JSON.parse(e.data);
      const st = $("#job-state");
      st.textContent = (strings.states || {})[j.state] || j.state;
      st.dataset.state = j.state;
      const p = $("#job-progress");
      p.max = Math.max(j.total, 1);
      p.value = j.done;
      $("#job-count").textContent = j.done + " / " + j.total;
      $("#job-rate").textContent = (j.rate || 0).toFixed(2);
      $("#job-eta").textContent = j.eta_seconds == null ? "–" : j.eta_seconds + " s";
      $("#job-failed").textContent = j.failed;
      $("#cancel-btn").disabled = !["queued", "running"].includes(j.state);
      $("#resume-btn").disabled = !(["cancelled", "failed"].includes(j.state) || (j.state === "succeeded" && j.failed > 0));
      const tb = $("#job-rejects tbody");
      tb.textContent = "";
      j.rejects.forEach((r) => {
        const tr = document.createElement("tr");
        [r.line, r.field || "", r.message].forEach((v) => { const td = document.createElement("td"); td.textContent = v; tr.appendChild(td); });
        tb.appendChild(tr);
      });
      $("#job-reject-count").textContent = j.rejected ?? j.rejects.length;
      if (j.results.length) {
        const ul = $("#job-results");
        ul.textContent = "";
        j.results.forEach((k) => {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.href = "/api/v1/jobs/" + encodeURIComponent(j.id) + "/results/" + k;
          a.setAttribute("download", "");
          a.textContent = (strings.download || {})[k] || k;
          li.appendChild(a);
          ul.appendChild(li);
        });
      }
      if (["succeeded", "failed", "cancelled"].includes(j.state)) es.close();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = $("#new-listing");
    if (form && window.fetch && window.ReadableStream) {
      form.addEventListener("submit", (e) => { e.preventDefault(); streamLocalize(form); });
    }
    const sf = $("#search-form");
    if (sf) {
      sf.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 150); });
      sf.addEventListener("submit", (e) => { e.preventDefault(); runSearch(); });
    }
    const job = $("#job");
    if (job && window.EventSource) watchJob(job);
  });
})();
