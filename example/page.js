"use strict";
// The demo page's script: copy buttons, and the playground. Plain JavaScript, no libraries.
(function () {
  // Copy buttons copy the absolute URL of their data-url.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    try {
      document.execCommand("copy");
    } finally {
      ta.remove();
    }
    return Promise.resolve();
  }
  document.addEventListener("click", function (ev) {
    const b = ev.target.closest("button.copy");
    if (!b || !b.dataset.url) return;
    copyText(new URL(b.dataset.url, location.href).href).then(function () {
      b.textContent = "Copied";
      b.classList.add("done");
      setTimeout(function () { b.textContent = "Copy"; b.classList.remove("done"); }, 1200);
    }, function () {
      b.textContent = "Select it";
    });
  });

  // Writes a URL into el so that it breaks its lines after '/' and ',', or before the extension,
  // rather than in the middle of a word (as the page's breakable does).
  function showURL(el, url) {
    el.textContent = "";
    const ext = url.lastIndexOf(".");
    let start = 0;
    for (let i = 0; i < url.length; i++) {
      if (url[i] === "/" || url[i] === ",") {
        el.append(url.slice(start, i + 1), document.createElement("wbr"));
        start = i + 1;
      } else if (i === ext && i > start) {
        el.append(url.slice(start, i), document.createElement("wbr"));
        start = i;
      }
    }
    el.append(url.slice(start));
  }

  const form = document.getElementById("pg");
  if (!form) return; // off with -secret
  const $ = function (id) { return document.getElementById(id); };
  const user = $("pg-user"), tr = $("pg-tr"), fmt = $("pg-fmt"), img = $("pg-img"), err = $("pg-err");
  const urlEl = $("pg-url"), copy = $("pg-copy"), open = $("pg-open");
  const status = $("pg-status"), size = $("pg-size"), type = $("pg-type"), bytes = $("pg-bytes"), cache = $("pg-cache");
  // What a browser's <img> sends, so that f_auto chooses as it would for the page.
  const accept = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
  let seq = 0, timer = 0, objectURL = "";

  function facts(f) {
    status.textContent = f.status || "–";
    size.textContent = f.size || "–";
    type.textContent = f.type || "–";
    bytes.textContent = f.bytes || "–";
    cache.textContent = f.cache || "–";
  }
  function setURL(u) {
    if (u) showURL(urlEl, u); else urlEl.textContent = "–";
    copy.dataset.url = u || "";
    copy.disabled = !u;
    open.href = u || "#";
    open.hidden = !u;
  }
  function fail(title, reason) {
    err.textContent = "";
    const b = document.createElement("b");
    b.textContent = title;
    err.append(b, reason);
    err.hidden = false;
    img.hidden = true;
    form.dataset.state = "error";
  }
  function pressChips() {
    document.querySelectorAll(".chip").forEach(function (c) {
      c.setAttribute("aria-pressed", String(c.dataset.tr === tr.value.trim() && c.dataset.fmt === fmt.value));
    });
  }

  async function update() {
    const my = ++seq;
    form.dataset.state = "loading";
    pressChips();
    const sep = user.value.indexOf("/");
    const q = new URLSearchParams({
      type: user.value.slice(0, sep), id: user.value.slice(sep + 1), t: tr.value.trim(), f: fmt.value,
    });
    let built;
    try {
      built = await (await fetch("/playground/url?" + q)).json();
    } catch (e) {
      if (my === seq) { setURL(""); facts({}); fail("The page's server did not answer", String(e)); }
      return;
    }
    if (my !== seq) return;
    if (built.error) {
      setURL("");
      facts({ status: "not sent: the URL builder refused it" });
      fail("Not a valid avatar URL", built.error);
      return;
    }
    setURL(built.url);
    let res, blob;
    try {
      res = await fetch(built.url, { headers: { Accept: accept } });
      blob = await res.blob();
    } catch (e) {
      if (my === seq) { facts({}); fail("No answer", String(e)); }
      return;
    }
    if (my !== seq) return;
    const h = res.headers;
    const notes = [];
    if (h.get("X-Avatar-Default")) notes.push("default picture: " + h.get("X-Avatar-Default"));
    if (h.get("X-Avatar-Stale")) notes.push("stale");
    const f = {
      status: res.status + " " + (res.statusText || "") + (notes.length ? " (" + notes.join(", ") + ")" : ""),
      type: h.get("Content-Type") || "",
      bytes: blob.size.toLocaleString("en") + " bytes",
      cache: [h.get("Cache-Control"), h.get("Vary") ? "Vary: " + h.get("Vary") : ""].filter(Boolean).join("; "),
    };
    if (!res.ok) {
      facts(f);
      fail(res.status + " " + (res.statusText || ""), h.get("X-Avatar-Error") || (await blob.text()));
      return;
    }
    const next = URL.createObjectURL(blob);
    img.onload = function () {
      if (my !== seq) return;
      f.size = img.naturalWidth + " × " + img.naturalHeight + " px";
      facts(f);
      err.hidden = true;
      img.hidden = false;
      img.dataset.url = built.url;
      form.dataset.state = "ready";
    };
    img.onerror = function () {
      if (my !== seq) return;
      facts(f);
      fail("The browser cannot show this picture", f.type + ", " + f.bytes);
    };
    img.src = next;
    if (objectURL) URL.revokeObjectURL(objectURL);
    objectURL = next;
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(update, 150);
  }

  form.addEventListener("submit", function (ev) { ev.preventDefault(); update(); });
  tr.addEventListener("input", soon);
  user.addEventListener("change", update);
  fmt.addEventListener("change", update);
  document.querySelectorAll(".chip").forEach(function (c) {
    c.addEventListener("click", function () {
      tr.value = c.dataset.tr;
      fmt.value = c.dataset.fmt;
      update();
    });
  });
  update();
})();
