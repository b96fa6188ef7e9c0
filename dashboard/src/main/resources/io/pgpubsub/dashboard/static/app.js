// pgpubsub dashboard. Every value from the server is put into the page with textContent or as a property:
// this script never assigns innerHTML/outerHTML or calls insertAdjacentHTML/document.write, so a payload or
// an error holding markup is shown as text and executes nothing.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="pgpubsub-csrf"]').content;
  const refreshMillis = Math.max(1000, Number(document.querySelector('meta[name="pgpubsub-refresh"]').content) || 5000);
  const state = { token: sessionStorage.getItem('pgpubsub-token') || '', readOnly: true, selected: new Set(),
                  charts: {}, detailId: null, dbOk: true, lastOverview: null };
  window.pgpubsubDashboard = state; // for tests and for curious operators

  // a token in the URL fragment (#token=...) unlocks writes; it never reaches a server log
  function tokenFromFragment() {
    if (location.hash.startsWith('#token=')) {
      state.token = decodeURIComponent(location.hash.substring(7));
      sessionStorage.setItem('pgpubsub-token', state.token);
      history.replaceState(null, '', location.pathname + location.search);
    }
  }
  tokenFromFragment();
  window.addEventListener('hashchange', () => { tokenFromFragment(); refresh(); });

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function cell(row, text, cls) { row.appendChild(el('td', text, cls)); }

  function age(seconds) {
    if (seconds === null || seconds === undefined) return '-';
    if (seconds < 120) return seconds.toFixed(1) + ' s';
    if (seconds < 7200) return (seconds / 60).toFixed(1) + ' min';
    return (seconds / 3600).toFixed(1) + ' h';
  }

  function since(iso) {
    return age((Date.now() - Date.parse(iso)) / 1000) + ' ago';
  }

  function banner(message) {
    const b = $('banner');
    if (message) {
      b.textContent = message;
      b.hidden = false;
    } else {
      b.hidden = true;
      b.textContent = '';
    }
    state.dbOk = !message;
    document.body.dataset.db = message ? 'down' : 'up';
  }

  function notice(message) {
    const n = $('notice');
    n.textContent = message || '';
    n.hidden = !message;
  }

  async function getJson(url) {
    let response;
    try {
      response = await fetch(url, { headers: { 'Accept': 'application/json' }, cache: 'no-store' });
    } catch (e) {
      throw new Error('the dashboard server is unreachable: ' + e.message);
    }
    const body = await response.json().catch(() => ({ error: 'HTTP ' + response.status }));
    if (!response.ok) {
      const err = new Error(body.error || ('HTTP ' + response.status));
      err.status = response.status;
      throw err;
    }
    return body;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, 'X-Pgpubsub-Token': state.token },
      body: JSON.stringify(body),
      credentials: 'same-origin'
    });
    const result = await response.json().catch(() => ({ error: 'HTTP ' + response.status }));
    if (!response.ok) throw new Error(result.error || ('HTTP ' + response.status));
    return result;
  }

  // ---- overview ----
  function renderOverview(o) {
    state.readOnly = o.readOnly;
    $('mode').textContent = o.readOnly ? 'read-only' : (state.token || !o.tokenRequired ? 'writes enabled' : 'writes need the token');
    $('token-form').hidden = o.readOnly || !o.tokenRequired;
    for (const b of document.querySelectorAll('button.write')) b.disabled = o.readOnly;
    const tbody = $('channels').tBodies[0];
    const rows = [];
    const listenerRows = [];
    for (const c of o.channels) {
      const tr = el('tr');
      tr.dataset.channel = c.channel;
      cell(tr, c.channel);
      cell(tr, c.pending, 'num pending');
      cell(tr, c.retrying, 'num retrying');
      cell(tr, c.dead, 'num dead');
      cell(tr, age(c.oldestPendingSeconds), 'num oldest');
      cell(tr, c.listeners.length, 'num listeners');
      cell(tr, c.ratePerSecond.toFixed(1), 'num rate');
      rows.push(tr);
      for (const l of c.listeners) {
        const lr = el('tr');
        cell(lr, l.name);
        cell(lr, c.channel);
        cell(lr, l.processed, 'num');
        cell(lr, l.ratePerSecond.toFixed(1), 'num');
        cell(lr, since(l.heartbeatAt));
        listenerRows.push(lr);
      }
    }
    tbody.replaceChildren(...rows);
    $('listeners').tBodies[0].replaceChildren(...listenerRows);
    renderCharts(o.history || {});
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  }

  const palette = ['#2563eb', '#16a34a', '#db2777', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#4b5563'];

  function renderCharts(history) {
    if (typeof Chart === 'undefined') return; // the chart library failed to load: tables still work
    const channels = Object.keys(history).sort();
    // the x axis spans the history there is (at least 5 minutes, at most the hour kept)
    let oldest = 5;
    for (const ch of channels) for (const p of history[ch]) oldest = Math.max(oldest, p.minutesAgo);
    const xMin = -Math.min(60, Math.ceil(oldest));
    for (const [id, key] of [['throughput-chart', 'rate'], ['lag-chart', 'lag']]) {
      const datasets = channels.map((ch, i) => ({
        label: ch,
        data: history[ch].map((p) => ({ x: -p.minutesAgo, y: p[key] })),
        borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length],
        pointRadius: 0,
        borderWidth: 2,
        tension: 0.2
      }));
      let chart = state.charts[id];
      if (!chart) {
        chart = new Chart($(id), {
          type: 'line',
          data: { datasets },
          options: {
            animation: false,
            parsing: true,
            maintainAspectRatio: false,
            scales: {
              x: { type: 'linear', min: xMin, max: 0, title: { display: true, text: 'minutes ago' },
                   ticks: { callback: (v) => (v === 0 ? 'now' : String(-v)) } },
              y: { beginAtZero: true }
            },
            plugins: { legend: { position: 'bottom' } }
          }
        });
        state.charts[id] = chart;
      } else {
        chart.data.datasets = datasets;
        chart.options.scales.x.min = xMin;
        chart.update();
      }
    }
  }

  // ---- dead letters ----
  function fillSelect(select, values) {
    const current = select.value;
    const options = [el('option', 'all')];
    options[0].value = '';
    for (const v of values) {
      const o = el('option', v);
      o.value = v;
      options.push(o);
    }
    select.replaceChildren(...options);
    select.value = values.includes(current) ? current : '';
  }

  async function loadDead() {
    const params = new URLSearchParams();
    for (const [name, id] of [['channel', 'filter-channel'], ['error', 'filter-error'], ['age', 'filter-age']]) {
      if ($(id).value) params.set(name, $(id).value);
    }
    const d = await getJson('api/dead?' + params.toString());
    const key = JSON.stringify(d);
    if (key === state.lastDead) return; // unchanged: keep the rows (and what the operator is pointing at)
    state.lastDead = key;
    fillSelect($('filter-channel'), d.channels);
    fillSelect($('filter-error'), d.errorClasses);
    $('dead-total').textContent = '(' + d.total + (d.total > d.rows.length ? ', first ' + d.rows.length + ' shown' : '') + ')';
    const present = new Set(d.rows.map((r) => r.id));
    for (const id of [...state.selected]) if (!present.has(id)) state.selected.delete(id);
    const rows = d.rows.map((r) => {
      const tr = el('tr', null, 'clickable');
      tr.dataset.id = String(r.id);
      const box = el('input');
      box.type = 'checkbox';
      box.className = 'select';
      box.checked = state.selected.has(r.id);
      box.addEventListener('click', (e) => e.stopPropagation());
      box.addEventListener('change', () => { if (box.checked) state.selected.add(r.id); else state.selected.delete(r.id); });
      const td = el('td');
      td.appendChild(box);
      tr.appendChild(td);
      cell(tr, r.id, 'num');
      cell(tr, r.channel);
      cell(tr, r.attempts, 'num');
      cell(tr, since(r.deadAt));
      cell(tr, r.error, 'error');
      cell(tr, r.payloadPreview + (r.payloadChars > r.payloadPreview.length ? ' …' : ''), 'preview');
      tr.addEventListener('click', () => openDetail(r.id));
      return tr;
    });
    $('dead').tBodies[0].replaceChildren(...rows);
  }

  async function openDetail(id) {
    const d = await getJson('api/dead/' + encodeURIComponent(id)).catch((e) => { notice(e.message); return null; });
    if (!d) return;
    state.detailId = d.id;
    $('detail-title').textContent = 'Dead notification ' + d.id;
    $('detail-channel').textContent = d.channel;
    $('detail-attempts').textContent = String(d.attempts);
    $('detail-created').textContent = d.createdAt;
    $('detail-dead').textContent = d.deadAt;
    $('detail-payload').textContent = d.payload;
    $('detail-context').textContent = d.context === null ? '(none)' : d.context;
    $('detail-error').textContent = d.error === null ? '(none)' : d.error;
    $('detail-download').href = 'api/dead/' + encodeURIComponent(d.id) + '/payload';
    const t = $('detail-truncated');
    t.hidden = !d.truncated;
    t.textContent = d.truncated ? 'Truncated: ' + d.payloadChars + ' characters in all. Download it to see it whole.' : '';
    if (!$('detail').open) $('detail').showModal();
  }

  function confirmThen(text, action) {
    $('confirm-text').textContent = text;
    const dialog = $('confirm');
    const yes = $('confirm-yes');
    const no = $('confirm-no');
    const done = (ok) => {
      yes.onclick = null;
      no.onclick = null;
      dialog.close();
      if (ok) action();
    };
    yes.onclick = () => done(true);
    no.onclick = () => done(false);
    dialog.showModal();
  }

  function write(kind, body, what) {
    confirmThen((kind === 'retry' ? 'Retry ' : 'Purge ') + what + '?', async () => {
      try {
        const r = await post('api/dead/' + kind, body);
        notice((kind === 'retry' ? 'Retried ' : 'Purged ') + r.changed + ' dead notification' + (r.changed === 1 ? '' : 's') + '.');
        state.selected.clear();
        state.lastDead = null;
        if ($('detail').open) $('detail').close();
        await refresh();
      } catch (e) {
        notice('Refused: ' + e.message);
      }
    });
  }

  function selection(kind) {
    if (state.selected.size === 0) { notice('Select dead letters first.'); return; }
    const ids = [...state.selected];
    write(kind, { ids }, ids.length + ' selected dead notification' + (ids.length === 1 ? '' : 's'));
  }

  function wholeChannel(kind) {
    const channel = $('filter-channel').value;
    if (!channel) { notice('Choose a channel in the filter first.'); return; }
    write(kind, { channel }, 'all dead notifications of channel ' + channel);
  }

  // ---- refresh loop ----
  let refreshing = false;
  async function refresh() {
    if (refreshing) return;
    refreshing = true;
    try {
      const o = await getJson('api/overview');
      state.lastOverview = o;
      renderOverview(o);
      await loadDead();
      banner(null);
    } catch (e) {
      banner('Database or dashboard unreachable: ' + e.message + ' - retrying every ' + refreshMillis / 1000 + ' s.');
    } finally {
      refreshing = false;
      document.body.dataset.refreshed = String(Date.now());
    }
  }

  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = $('token').value;
    sessionStorage.setItem('pgpubsub-token', state.token);
    $('token').value = '';
    notice('Write token set for this tab.');
    refresh();
  });
  $('dead-filters').addEventListener('change', () => { state.selected.clear(); state.lastDead = null; refresh(); });
  $('select-all').addEventListener('change', () => {
    for (const box of document.querySelectorAll('#dead tbody input.select')) {
      box.checked = $('select-all').checked;
      const id = Number(box.closest('tr').dataset.id);
      if (box.checked) state.selected.add(id); else state.selected.delete(id);
    }
  });
  $('retry-selected').addEventListener('click', () => selection('retry'));
  $('purge-selected').addEventListener('click', () => selection('purge'));
  $('retry-channel').addEventListener('click', () => wholeChannel('retry'));
  $('purge-channel').addEventListener('click', () => wholeChannel('purge'));
  $('detail-retry').addEventListener('click', () => write('retry', { ids: [state.detailId] }, 'dead notification ' + state.detailId));
  $('detail-purge').addEventListener('click', () => write('purge', { ids: [state.detailId] }, 'dead notification ' + state.detailId));
  $('detail-close').addEventListener('click', () => $('detail').close());

  refresh();
  setInterval(refresh, refreshMillis);
})();
