// The admin page: lists the avatars (GET /admin/avatars/) and refreshes one
// (POST /admin/avatars/<type>/<id>/refresh) with the token the operator types.
'use strict';
(function () {
  const api = '/admin/avatars/';
  const limit = 50;
  const $ = (id) => document.getElementById(id);
  const tokenInput = $('token'), sourceSel = $('source'), typeSel = $('type'), status = $('status');
  const table = $('avatars'), tbody = table.querySelector('tbody'), pages = $('pages');
  let offset = 0, total = 0;

  tokenInput.value = sessionStorage.getItem('avatarkit-admin-token') || '';

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle('error', !!isError);
  }

  function auth() {
    return { Authorization: 'Bearer ' + tokenInput.value.trim() };
  }

  async function answer(res) {
    let body = {};
    try { body = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) {
      throw new Error(res.status + ': ' + (body.error || res.statusText));
    }
    return body;
  }

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const c of children) {
      e.append(c);
    }
    return e;
  }

  function when(iso) {
    if (!iso || iso.startsWith('0001')) {
      return '';
    }
    const d = new Date(iso);
    const s = Math.round((Date.now() - d.getTime()) / 1000);
    const ago = s < 90 ? s + ' s ago' : s < 5400 ? Math.round(s / 60) + ' min ago' : s < 129600 ? Math.round(s / 3600) + ' h ago' : Math.round(s / 86400) + ' days ago';
    return d.toLocaleString() + ' (' + ago + ')';
  }

  function size(n) {
    if (!n) {
      return '';
    }
    return n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB';
  }

  function row(a) {
    const pic = a.thumbnail
      ? el('img', { src: a.thumbnail, width: 64, height: 64, loading: 'lazy', alt: a.type + ' ' + a.id })
      : el('span', { className: 'none', textContent: '—' });
    const item = (v) => el('li', {
      textContent: (v.transformation || '(no transformation)') + ' · ' + v.format + ' · ' + size(v.bytes) +
        (v.source === 'peer' ? ' · from its owner' : '') + (v.default ? ' · default picture' : ''),
    });
    const all = a.variants || [];
    const variants = el('div', {}, el('ul', { className: 'variants' }, ...all.slice(0, 3).map(item)));
    if (all.length > 3) {
      variants.append(el('details', {}, el('summary', { textContent: (all.length - 3) + ' more' }),
        el('ul', { className: 'variants' }, ...all.slice(3).map(item))));
    }
    const button = el('button', { type: 'button', textContent: 'Refresh' });
    const result = el('div', { className: 'muted' });
    button.addEventListener('click', () => refresh(a, button, result));
    return el('tr', {},
      el('td', { className: 'pic' }, pic),
      el('td', {}, el('span', { className: 'type', textContent: a.type }), el('div', { className: 'id', textContent: a.id }),
        el('div', { className: 'key', title: 'the key it is held under', textContent: a.key || '' })),
      el('td', { className: 'outcome' }, el('span', { className: 'outcome-' + a.outcome, textContent: a.outcome.replaceAll('_', ' ') }),
        el('div', { className: 'muted', textContent: a.message || '' })),
      el('td', {}, when(a.fetched)),
      el('td', {}, el('span', { className: 'version', textContent: a.version ? String(a.version) : '—' })),
      el('td', {}, el('div', { textContent: size(a.bytes) }), el('div', { className: 'muted', textContent: [a.content_type, a.source].filter(Boolean).join(' · ') })),
      el('td', {}, variants),
      el('td', {}, button, result));
  }

  async function refresh(a, button, result) {
    button.disabled = true;
    result.textContent = 'refreshing…';
    try {
      const res = await fetch(api + encodeURIComponent(a.type) + '/' + encodeURIComponent(a.id) + '/refresh', { method: 'POST', headers: auth() });
      const body = await answer(res);
      result.textContent = 'version ' + body.version;
      await load();
    } catch (e) {
      result.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  }

  async function load() {
    sessionStorage.setItem('avatarkit-admin-token', tokenInput.value.trim());
    const q = new URLSearchParams({ source: sourceSel.value, offset: String(offset), limit: String(limit) });
    if (typeSel.value) {
      q.set('type', typeSel.value);
    }
    say('loading…');
    try {
      const page = await answer(await fetch(api + '?' + q, { headers: auth() }));
      total = page.total;
      const chosen = typeSel.value;
      typeSel.replaceChildren(el('option', { value: '', textContent: 'all types' }));
      for (const [t, n] of Object.entries(page.types).sort()) {
        typeSel.append(el('option', { value: t, textContent: t + ' (' + n + ')', selected: t === chosen }));
      }
      tbody.replaceChildren(...page.avatars.map(row));
      table.hidden = page.avatars.length === 0;
      pages.hidden = total <= limit;
      $('range').textContent = (total ? offset + 1 : 0) + '–' + Math.min(offset + limit, total) + ' of ' + total;
      $('prev').disabled = offset === 0;
      $('next').disabled = offset + limit >= total;
      const node = page.node ? ' on ' + page.node : '';
      say(total + ' avatar' + (total === 1 ? '' : 's') + ' in ' + (page.source === 'store' ? 'the durable store' : 'memory' + node) +
        (page.truncated ? ' (the store holds more than a listing looks at)' : '') + '.');
    } catch (e) {
      say(e.message, true);
    }
  }

  $('controls').addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; load(); });
  sourceSel.addEventListener('change', () => { offset = 0; if (tokenInput.value) load(); });
  typeSel.addEventListener('change', () => { offset = 0; if (tokenInput.value) load(); });
  $('prev').addEventListener('click', () => { offset = Math.max(0, offset - limit); load(); });
  $('next').addEventListener('click', () => { offset += limit; load(); });
  if (tokenInput.value) {
    load();
  }
})();
