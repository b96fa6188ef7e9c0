// pgpubsub dashboard. Every value from the server is put into the page with textContent or as a property:
// this script never assigns innerHTML/outerHTML or calls insertAdjacentHTML/document.write, so a payload or
// an error holding markup is shown as text and executes nothing.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="pgpubsub-csrf"]').content;
  const refreshMillis = Math.max(1000, Number(document.querySelector('meta[name="pgpubsub-refresh"]').content) || 5000);
  const state = {
    token: '', // a token the server accepted (never one it refused)
    verified: false, // the token unlocks writes
    readOnly: false, tokenRequired: true, readTokenRequired: false,
    selected: new Set(), charts: {}, detailId: null, detailDead: true, dbOk: true, lastOverview: null,
    dead: { channel: '', error: '', age: '', q: '', group: '', sort: 'dead', dir: 'desc', page: 0 },
    deadTotal: 0, deadPageSize: 50,
    pending: { channel: '', state: 'pending', page: 0 }, pendingTotal: 0, range: '1h'
  };
  window.pgpubsubDashboard = state; // for tests and for curious operators

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function cell(row, text, cls) { const td = el('td', text, cls); row.appendChild(td); return td; }

  function age(seconds) {
    if (seconds === null || seconds === undefined) return '-';
    if (seconds < 120) return seconds.toFixed(1) + ' s';
    if (seconds < 7200) return (seconds / 60).toFixed(1) + ' min';
    return (seconds / 3600).toFixed(1) + ' h';
  }

  function since(iso) { return age(Math.max(0, (Date.now() - Date.parse(iso)) / 1000)) + ' ago'; }

  function until(iso) {
    if (!iso) return 'now';
    const s = (Date.parse(iso) - Date.now()) / 1000;
    return s <= 0 ? 'due' : 'in ' + age(s);
  }

  function banner(message) {
    const b = $('banner');
    b.textContent = message || '';
    b.hidden = !message;
    state.dbOk = !message;
    document.body.dataset.db = message ? 'down' : 'up';
  }

  function notice(message) {
    const n = $('notice');
    n.textContent = message || '';
    n.hidden = !message;
  }

  function headers(extra) {
    const h = Object.assign({ 'Accept': 'application/json' }, extra || {});
    if (state.token) h['X-Pgpubsub-Token'] = state.token;
    return h;
  }

  async function getJson(url) {
    let response;
    try {
      response = await fetch(url, { headers: headers(), cache: 'no-store' });
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

  async function post(url, body, token) {
    const h = headers({ 'Content-Type': 'application/json', 'X-CSRF-Token': csrf });
    if (token !== undefined) h['X-Pgpubsub-Token'] = token;
    const response = await fetch(url, { method: 'POST', headers: h, body: JSON.stringify(body), credentials: 'same-origin' });
    const result = await response.json().catch(() => ({ error: 'HTTP ' + response.status }));
    if (!response.ok) {
      const err = new Error(result.error || ('HTTP ' + response.status));
      err.status = response.status;
      throw err;
    }
    return result;
  }

  // ---- token: verified by the server before anything unlocks ----
  function canWrite() { return !state.readOnly && (!state.tokenRequired || state.verified); }

  function renderMode() {
    let mode;
    let text;
    if (state.readOnly) { mode = 'read-only'; text = 'read-only'; }
    else if (canWrite()) { mode = 'writes'; text = 'writes enabled'; }
    else { mode = 'locked'; text = 'locked: enter the write token'; }
    $('mode').textContent = text;
    $('mode').dataset.mode = mode;
    $('token-form').hidden = (state.readOnly || !state.tokenRequired || state.verified) && !state.readTokenRequired;
    const allowed = canWrite();
    for (const b of document.querySelectorAll('button.write')) b.disabled = !allowed;
  }

  async function verify(token, quiet) {
    try {
      const r = await post('api/token/verify', {}, token);
      state.token = token;
      state.verified = r.write;
      sessionStorage.setItem('pgpubsub-token', token);
      if (!quiet) notice(r.write ? 'Token verified: writes enabled for this tab.' : 'Token accepted for reading; writes stay locked.');
    } catch (e) {
      if (token === state.token) { state.token = ''; state.verified = false; }
      sessionStorage.removeItem('pgpubsub-token');
      notice(e.status === 403 && e.message === 'wrong token' ? 'Wrong token: writes stay locked.' : 'Token not verified: ' + e.message);
    }
    renderMode();
  }

  // ---- deep links: #overview, #listeners, #groups, #dead?filters, #dead/ID, #notification/ID, #pending?..
  const sections = { audit: 'audit-view', overview: 'overview-view', streams: 'streams-view', history: 'history-view', listeners: 'listeners-view', groups: 'groups-view', dead: 'dead-view', pending: 'pending-view' };

  function deadParams(withPage) {
    const p = new URLSearchParams();
    const d = state.dead;
    for (const k of ['channel', 'error', 'age', 'q', 'group']) if (d[k]) p.set(k, d[k]);
    if (d.sort !== 'dead') p.set('sort', d.sort);
    if (d.dir !== 'desc') p.set('dir', d.dir);
    if (withPage && d.page) p.set('page', String(d.page));
    return p;
  }

  function pendingParams() {
    const p = new URLSearchParams();
    if (state.pending.channel) p.set('channel', state.pending.channel);
    if (state.pending.state !== 'pending') p.set('state', state.pending.state);
    if (state.pending.page) p.set('page', String(state.pending.page));
    return p;
  }

  function setHash(route, params) {
    const q = params && params.toString();
    history.replaceState(null, '', location.pathname + location.search + '#' + route + (q ? '?' + q : ''));
  }

  async function applyHash() {
    let h = location.hash.substring(1);
    if (h.startsWith('token=')) { // a token in the fragment never reaches a server log; verified, then removed
      const token = decodeURIComponent(h.substring(6));
      history.replaceState(null, '', location.pathname + location.search);
      await verify(token);
      return;
    }
    if (!h) return;
    const q = h.indexOf('?');
    const route = q < 0 ? h : h.substring(0, q);
    const params = new URLSearchParams(q < 0 ? '' : h.substring(q + 1));
    const m = /^(dead|notification)\/(\d{1,18})$/.exec(route);
    if (route === 'dead' || route === 'groups') {
      const d = state.dead;
      for (const k of ['channel', 'error', 'age', 'q', 'group']) d[k] = params.get(k) || '';
      d.sort = params.get('sort') || 'dead';
      d.dir = params.get('dir') === 'asc' ? 'asc' : 'desc';
      d.page = Math.max(0, Number(params.get('page')) || 0);
      showDeadFilters();
      state.lastDead = null;
    } else if (route === 'history') {
      state.range = ['1h', '24h', '7d'].includes(params.get('range')) ? params.get('range') : '1h';
    } else if (route === 'pending') {
      state.pending.channel = params.get('channel') || '';
      state.pending.state = params.get('state') === 'retrying' ? 'retrying' : 'pending';
      state.pending.page = Math.max(0, Number(params.get('page')) || 0);
      $('pending-state').value = state.pending.state;
      state.lastPending = null;
    }
    const section = m ? null : $(sections[route]);
    if (section) section.scrollIntoView();
    if (m) await openDetail(Number(m[2]), m[1] === 'dead');
    await refresh();
  }

  function showDeadFilters() {
    const d = state.dead;
    $('filter-age').value = d.age;
    $('filter-q').value = d.q;
    $('filter-group').textContent = d.group;
    $('filter-group-box').hidden = !d.group;
    // channel and error class options arrive with the list; their values are set when it is drawn
  }

  // ---- overview ----
  function renderProblems(problems) {
    const list = $('problem-list');
    list.replaceChildren(...problems.map((p) => {
      const li = el('li', p.text, 'problem ' + p.kind);
      li.dataset.kind = p.kind;
      return li;
    }));
    $('problems').hidden = problems.length === 0;
  }

  function renderOverview(o) {
    state.readOnly = o.readOnly;
    state.tokenRequired = o.tokenRequired;
    state.readTokenRequired = o.readTokenRequired;
    renderMode();
    renderProblems(o.problems || []);
    const rows = [];
    for (const c of o.channels) {
      const tr = el('tr', null, c.behind ? 'behind' : '');
      tr.dataset.channel = c.channel;
      tr.dataset.behind = String(c.behind);
      cell(tr, c.channel, 'name');
      const pending = cell(tr, null, 'num pending');
      pending.appendChild(link(String(c.pending), '#pending?' + new URLSearchParams({ channel: c.channel })));
      const retrying = cell(tr, null, 'num retrying');
      retrying.appendChild(link(String(c.retrying), '#pending?' + new URLSearchParams({ channel: c.channel, state: 'retrying' })));
      const dead = cell(tr, null, 'num dead');
      dead.appendChild(link(String(c.dead), '#dead?' + new URLSearchParams({ channel: c.channel })));
      cell(tr, age(c.oldestPendingSeconds), 'num oldest');
      // ordered channels: keys waiting / held back by a retry / with a dead notification, and the oldest key
      const keys = cell(tr, c.keys ? c.keys.waiting + ' / ' + c.keys.retrying + ' / ' + c.keys.dead : '-', 'num keys');
      if (c.keys && c.keys.oldestKey !== null) {
        keys.title = 'oldest key ' + c.keys.oldestKey + ', waiting ' + age(c.keys.oldestKeyAgeSeconds);
      }
      cell(tr, c.liveListeners + (c.lateListeners ? ' (+' + c.lateListeners + ' late)' : ''), 'num listeners');
      cell(tr, c.ratePerSecond.toFixed(1), 'num rate');
      tr.dataset.paused = String(!!c.paused);
      const claiming = cell(tr, null, 'claiming');
      if (c.paused) {
        const badge = el('span', 'paused', 'badge paused');
        badge.title = 'paused' + (c.pausedBy ? ' by ' + c.pausedBy : '') + ' since ' + c.pausedAt;
        claiming.appendChild(badge);
      }
      const toggle = el('button', c.paused ? 'Resume' : 'Pause', 'write ' + (c.paused ? 'resume' : 'pause'));
      toggle.type = 'button';
      toggle.disabled = !canWrite();
      toggle.addEventListener('click', () => channelWrite(c.paused ? 'resume' : 'pause', c.channel));
      claiming.appendChild(toggle);
      rows.push(tr);
    }
    $('channels').tBodies[0].replaceChildren(...rows);
    const listenerRows = [];
    const byProcess = new Map();
    for (const l of o.listeners) {
      if (!byProcess.has(l.process)) byProcess.set(l.process, []);
      byProcess.get(l.process).push(l);
    }
    const processes = new Map((o.processes || []).map((p) => [p.process, p]));
    for (const [name, ls] of byProcess) {
      const p = processes.get(name) || { process: name, state: ls[0].state };
      const pr = el('tr', null, 'process state-' + p.state);
      pr.dataset.process = name;
      const facts = ['process ' + name, p.state];
      if (p.uptimeSeconds !== null && p.uptimeSeconds !== undefined) facts.push('up ' + age(p.uptimeSeconds));
      if (p.version) facts.push('version ' + p.version);
      if (p.workers !== null && p.workers !== undefined) facts.push(p.workers + ' worker' + (p.workers === 1 ? '' : 's') + ', ' + p.busyWorkers + ' busy');
      const td = cell(pr, facts.join(' · '), 'process-facts');
      td.colSpan = 6;
      listenerRows.push(pr);
      for (const l of ls) {
        const lr = el('tr', null, 'state-' + l.state);
        lr.dataset.state = l.state;
        lr.dataset.listener = l.name;
        cell(lr, l.name, 'name');
        cell(lr, l.channel);
        cell(lr, l.state, 'state');
        cell(lr, l.processed, 'num');
        cell(lr, l.state === 'live' ? l.ratePerSecond.toFixed(1) : '-', 'num');
        cell(lr, age(l.heartbeatAgeSeconds) + ' ago', 'heartbeat');
        listenerRows.push(lr);
      }
    }
    if (listenerRows.length === 0) {
      const tr = el('tr', null, 'empty');
      const td = cell(tr, 'No listener is running.');
      td.colSpan = 6;
      listenerRows.push(tr);
    }
    $('listeners').tBodies[0].replaceChildren(...listenerRows);
    renderStreams(o.streams || []);
    renderCharts(o);
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  }

  // streams (docs/streams.md): position and retention of each stream, lag of each named consumer
  function renderStreams(streams) {
    $('streams-view').hidden = streams.length === 0;
    const rows = [];
    const consumerRows = [];
    for (const s of streams) {
      const tr = el('tr');
      tr.dataset.stream = s.stream;
      cell(tr, s.stream, 'name');
      cell(tr, String(s.events), 'num events');
      cell(tr, s.oldestAgeSeconds === null ? '-' : age(s.oldestAgeSeconds), 'num oldest');
      cell(tr, s.tail, 'num tail');
      cell(tr, s.prunedUpTo === null ? '-' : s.prunedUpTo + ' (' + age(s.prunedAgeSeconds) + ' ago)', 'num pruned');
      const parts = [];
      if (s.retain !== null) parts.push(s.retain);
      if (s.retainCount !== null) parts.push('newest ' + s.retainCount);
      cell(tr, parts.length ? parts.join(', ') : 'keep all', 'retention');
      rows.push(tr);
      for (const c of s.consumers) {
        const cr = el('tr', null, c.pruned ? 'behind' : '');
        cr.dataset.stream = s.stream;
        cr.dataset.consumer = c.consumer;
        cell(cr, s.stream);
        cell(cr, c.consumer, 'name');
        cell(cr, c.position + (c.pruned ? ' (pruned)' : ''), 'num position');
        cell(cr, String(c.lag), 'num lag');
        cell(cr, age(c.updatedAgeSeconds) + ' ago', 'num updated');
        consumerRows.push(cr);
      }
    }
    $('streams').tBodies[0].replaceChildren(...rows);
    $('stream-consumers').tBodies[0].replaceChildren(...consumerRows);
  }

  function link(text, href) {
    const a = el('a', text);
    a.href = href;
    return a;
  }

  const palette = ['#2563eb', '#16a34a', '#db2777', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#4b5563'];

  // points further apart than 2.5 buckets have no history between them: drawn as a gap, not a line; a null
  // value (processed while no listener reported) is a gap too
  function withGaps(points, key, gapMinutes, unit) {
    const out = [];
    let previous = null;
    for (const p of [...points].sort((a, b) => b.minutesAgo - a.minutesAgo)) {
      if (previous !== null && previous - p.minutesAgo > gapMinutes) out.push({ x: -(previous - gapMinutes / 2) / unit, y: null });
      out.push({ x: -p.minutesAgo / unit, y: p[key] === undefined ? null : p[key] });
      previous = p.minutesAgo;
    }
    return out;
  }

  function renderCharts(o) {
    const history = o.history || {};
    for (const b of document.querySelectorAll('button.range')) b.dataset.active = String(b.dataset.range === (o.range || '1h'));
    $('history-source').textContent = o.historySource === 'listeners'
      ? '(from the listeners\' heartbeats: no samples from the tables yet)' : '';
    if (typeof Chart === 'undefined') return; // the chart library failed to load: tables still work
    const channels = Object.keys(history).sort();
    const rangeMinutes = { '1h': 60, '24h': 1440, '7d': 10080 }[o.range || '1h'];
    const unit = rangeMinutes > 60 ? 60 : 1; // x in hours beyond the hour
    let oldest = 5;
    for (const ch of channels) for (const p of history[ch]) oldest = Math.max(oldest, p.minutesAgo);
    const xMin = -Math.min(rangeMinutes, Math.ceil(oldest)) / unit;
    const gapMinutes = Math.max(25, 2.5 * (o.bucketSeconds || 10)) / 60;
    for (const [id, key] of [['inflow-chart', 'inflow'], ['throughput-chart', 'rate'], ['backlog-chart', 'backlog'], ['lag-chart', 'lag']]) {
      const datasets = channels.map((ch, i) => ({
        label: ch,
        data: withGaps(history[ch], key, gapMinutes, unit),
        borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length],
        pointRadius: 1.5, // a lone point between gaps stays visible
        borderWidth: 2,
        spanGaps: false,
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
              x: { type: 'linear', min: xMin, max: 0, title: { display: true, text: unit === 1 ? 'minutes ago' : 'hours ago' },
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
        chart.options.scales.x.title.text = unit === 1 ? 'minutes ago' : 'hours ago';
        chart.update();
      }
    }
  }

  // ---- dead letters and error groups ----
  function fillSelect(select, values, current) {
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

  function filterText() {
    const d = state.dead;
    const parts = [];
    if (d.channel) parts.push('channel ' + d.channel);
    if (d.error) parts.push('error class ' + d.error);
    if (d.group) parts.push('error "' + d.group + '"');
    if (d.age) parts.push('age ' + $('filter-age').selectedOptions[0].textContent);
    if (d.q) parts.push('search "' + d.q + '"');
    return parts.length ? 'matching ' + parts.join(', ') : 'of every channel (no filter)';
  }

  async function loadDead() {
    const p = deadParams(true);
    p.set('limit', String(state.deadPageSize));
    const [d, g] = await Promise.all([getJson('api/dead?' + p.toString()), getJson('api/dead/groups?' + deadParams(false).toString())]);
    const key = JSON.stringify([d, g]);
    if (key === state.lastDead) return; // unchanged: keep the rows (and what the operator is pointing at)
    state.lastDead = key;
    fillSelect($('filter-channel'), d.channels, state.dead.channel);
    fillSelect($('filter-error'), d.errorClasses, state.dead.error);
    fillSelect($('pending-channel'), d.channels, state.pending.channel);
    state.deadTotal = d.total;
    const pages = Math.max(1, Math.ceil(d.total / d.pageSize));
    $('dead-total').textContent = '(' + d.total + ')';
    $('dead-page').textContent = 'page ' + (d.page + 1) + ' of ' + pages;
    $('dead-prev').disabled = d.page === 0;
    $('dead-next').disabled = d.page + 1 >= pages;
    for (const b of document.querySelectorAll('button.sort')) {
      b.dataset.active = String(b.dataset.sort === d.sort);
      b.dataset.dir = b.dataset.sort === d.sort ? d.dir : '';
    }
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
      cell(tr, r.payloadPreview + (r.previewTruncated ? ' …' : ''), 'preview');
      tr.addEventListener('click', () => { setHash('dead/' + r.id); openDetail(r.id, true); });
      return tr;
    });
    $('dead').tBodies[0].replaceChildren(...rows);
    const groups = g.groups.map((x) => {
      const tr = el('tr');
      tr.dataset.group = x.group;
      const name = cell(tr, null, 'error');
      const a = link(x.group, '#dead?' + new URLSearchParams(Object.assign({}, Object.fromEntries(deadParams(false)), { group: x.group })));
      name.appendChild(a);
      cell(tr, x.count, 'num count');
      cell(tr, x.channels.join(', '));
      const actions = cell(tr, null, 'actions');
      const retry = el('button', 'Retry group', 'write group-retry');
      const purge = el('button', 'Purge group', 'write danger group-purge');
      retry.type = purge.type = 'button';
      retry.disabled = purge.disabled = !canWrite();
      const filter = Object.assign(apiFilter(), { group: x.group });
      const what = x.count + ' dead notification' + (x.count === 1 ? '' : 's') + ' with error "' + x.group + '"'
        + (state.dead.channel ? ' of channel ' + state.dead.channel : '');
      retry.addEventListener('click', () => write('retry', { filter }, what));
      purge.addEventListener('click', () => write('purge', { filter }, what));
      actions.append(retry, purge);
      return tr;
    });
    if (groups.length === 0) {
      const tr = el('tr', null, 'empty');
      cell(tr, 'No dead letters.').colSpan = 4;
      groups.push(tr);
    }
    $('group-table').tBodies[0].replaceChildren(...groups);
  }

  function apiFilter() {
    const f = {};
    for (const k of ['channel', 'error', 'group', 'age', 'q']) if (state.dead[k]) f[k] = state.dead[k];
    return f;
  }

  async function loadPending() {
    const p = pendingParams();
    p.set('limit', '50');
    const d = await getJson('api/pending?' + p.toString());
    const key = JSON.stringify(d);
    if (key === state.lastPending) return;
    state.lastPending = key;
    state.pendingTotal = d.total;
    const pages = Math.max(1, Math.ceil(d.total / d.pageSize));
    $('pending-total').textContent = '(' + d.total + ')';
    $('pending-page').textContent = 'page ' + (d.page + 1) + ' of ' + pages;
    $('pending-prev').disabled = d.page === 0;
    $('pending-next').disabled = d.page + 1 >= pages;
    const rows = d.rows.map((r) => {
      const tr = el('tr', null, 'clickable');
      tr.dataset.id = String(r.id);
      cell(tr, r.id, 'num');
      cell(tr, r.channel);
      cell(tr, r.attempts, 'num');
      cell(tr, age(r.ageSeconds), 'num');
      cell(tr, until(r.nextAttemptAt), 'next');
      cell(tr, r.error === null ? '' : r.error, 'error');
      cell(tr, r.payloadPreview + (r.previewTruncated ? ' …' : ''), 'preview');
      tr.addEventListener('click', () => { setHash('notification/' + r.id); openDetail(r.id, false); });
      return tr;
    });
    $('pending').tBodies[0].replaceChildren(...rows);
  }

  function describe(e) {
    if (e.action === 'pause' || e.action === 'resume') return 'channel ' + (e.filter && e.filter.channel);
    if (e.filter) {
      const labels = [['channel', 'channel %'], ['error', 'error class %'], ['group', 'error "%"'], ['age', 'age %'], ['q', 'search "%"']];
      const parts = labels.filter(([k]) => e.filter[k]).map(([k, label]) => label.replace('%', e.filter[k]));
      return 'every dead letter ' + (parts.length ? 'matching ' + parts.join(', ') : 'of every channel');
    }
    const ids = e.ids || [];
    return (ids.length === 1 ? 'notification ' : 'notifications ') + ids.slice(0, 20).join(', ') + (ids.length > 20 ? ', …' : '');
  }

  async function loadAudit() {
    const d = await getJson('api/audit?limit=50');
    const key = JSON.stringify(d);
    if (key === state.lastAudit) return;
    state.lastAudit = key;
    const rows = d.entries.map((e) => {
      const tr = el('tr');
      tr.dataset.action = e.action;
      cell(tr, new Date(e.at).toLocaleString());
      cell(tr, e.who === null ? '-' : e.who, 'who');
      cell(tr, e.action, 'action');
      cell(tr, describe(e), 'what');
      cell(tr, e.changed, 'num changed');
      return tr;
    });
    if (rows.length === 0) {
      const tr = el('tr', null, 'empty');
      cell(tr, 'No retry or purge yet.').colSpan = 5;
      rows.push(tr);
    }
    $('audit').tBodies[0].replaceChildren(...rows);
  }

  async function openDetail(id, dead) {
    const base = (dead ? 'api/dead/' : 'api/notification/') + encodeURIComponent(id);
    const d = await getJson(base).catch((e) => { notice(e.message); return null; });
    if (!d) return;
    state.detailId = d.id;
    state.detailDead = d.state === 'dead';
    $('detail-title').textContent = (d.state === 'dead' ? 'Dead notification ' : 'Notification ') + d.id;
    $('detail-link').href = '#' + (d.state === 'dead' ? 'dead/' : 'notification/') + d.id;
    $('detail-channel').textContent = d.channel;
    $('detail-state').textContent = d.state;
    $('detail-attempts').textContent = String(d.attempts);
    $('detail-created').textContent = d.createdAt;
    $('detail-dead').textContent = d.deadAt === null ? '-' : d.deadAt;
    $('detail-next').textContent = d.state === 'dead' ? '-' : until(d.nextAttemptAt);
    $('detail-payload').textContent = d.payload;
    $('detail-context').textContent = d.context === null ? '(none)' : d.context;
    $('detail-error').textContent = d.error === null ? '(none)' : d.error;
    const attempts = d.attemptHistory || [];
    $('detail-attempt-history').replaceChildren(...(attempts.length ? attempts.map((a) => {
      const li = el('li', null, 'attempt');
      li.dataset.attempt = String(a.attempt);
      li.appendChild(el('span', 'attempt ' + a.attempt + ' failed at ' + a.at + (a.listener ? ' in ' + a.listener : ''), 'when'));
      li.appendChild(el('pre', a.error, 'error'));
      return li;
    }) : [el('li', 'no failed attempt recorded', 'muted')]));
    $('detail-download').href = base + '/payload';
    $('detail-retry').hidden = $('detail-purge').hidden = d.state !== 'dead';
    const t = $('detail-truncated');
    t.hidden = !d.truncated;
    t.textContent = d.truncated ? 'Truncated: ' + d.payloadChars + ' characters in all. Download it to see it whole.' : '';
    const actions = await getJson('api/audit?id=' + encodeURIComponent(d.id)).catch(() => ({ entries: [] }));
    $('detail-audit').replaceChildren(...(actions.entries.length ? actions.entries.map((e) =>
      el('li', ({ retry: 'retried', purge: 'purged' }[e.action] || e.action) + ' by ' + (e.who || 'unknown') + ' at ' + e.at))
      : [el('li', 'none through the dashboard', 'muted')]));
    renderMode();
    if (!$('detail').open) $('detail').showModal();
  }

  // with a read token the download link cannot carry it: fetch with the header and hand over the bytes
  $('detail-download').addEventListener('click', async (e) => {
    if (!state.readTokenRequired) return;
    e.preventDefault();
    const a = $('detail-download');
    const response = await fetch(a.getAttribute('href'), { headers: headers() });
    const url = URL.createObjectURL(await response.blob());
    const save = el('a');
    save.href = url;
    save.download = 'pgpubsub-' + state.detailId + '.json';
    save.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });

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
    if (!canWrite()) { notice('Writes are locked: enter and verify the write token first.'); return; }
    confirmThen((kind === 'retry' ? 'Retry ' : 'Purge ') + what + '?', async () => {
      try {
        const r = await post('api/dead/' + kind, body);
        notice((kind === 'retry' ? 'Retried ' : 'Purged ') + r.changed + ' dead notification' + (r.changed === 1 ? '' : 's') + '.');
        state.selected.clear();
        state.lastDead = null;
        state.lastPending = null;
        if ($('detail').open) $('detail').close();
        await refresh();
      } catch (e) {
        notice('Refused: ' + e.message);
        if (e.status === 403 && /token/.test(e.message) && !/CSRF/.test(e.message)) { state.verified = false; renderMode(); }
      }
    });
  }

  function channelWrite(kind, channel) {
    if (!canWrite()) { notice('Writes are locked: enter and verify the write token first.'); return; }
    const text = kind === 'pause'
      ? 'Pause channel ' + channel + '? Every listener process stops claiming its notifications within about a second; writes go on and wait.'
      : 'Resume channel ' + channel + '? Its listeners claim its waiting notifications again.';
    confirmThen(text, async () => {
      try {
        const r = await post('api/channel/' + kind, { channel });
        notice((kind === 'pause' ? 'Paused ' : 'Resumed ') + 'channel ' + channel + (r.changed ? '.' : ' (it already was).'));
        state.lastAudit = null;
        await refresh();
      } catch (e) {
        notice('Refused: ' + e.message);
        if (e.status === 403 && /token/.test(e.message) && !/CSRF/.test(e.message)) { state.verified = false; renderMode(); }
      }
    });
  }

  function selection(kind) {
    if (state.selected.size === 0) { notice('Select dead letters first.'); return; }
    const ids = [...state.selected];
    write(kind, { ids }, ids.length + ' selected dead notification' + (ids.length === 1 ? '' : 's'));
  }

  function matching(kind) {
    const n = state.deadTotal;
    write(kind, { filter: apiFilter() }, 'all ' + n + ' dead notification' + (n === 1 ? '' : 's') + ' ' + filterText());
  }

  // ---- refresh loop ----
  let refreshing = false;
  let again = false; // asked for while one ran (a filter changed): run once more with the new state
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    again = false;
    try {
      const o = await getJson('api/overview?range=' + encodeURIComponent(state.range));
      state.lastOverview = o;
      renderOverview(o);
      await loadDead();
      await loadPending();
      await loadAudit();
      banner(null);
    } catch (e) {
      if (e.status === 401) {
        state.readTokenRequired = true;
        renderMode();
        banner('This dashboard needs its read token: enter it in the token box.');
        document.body.dataset.db = 'locked';
      } else {
        banner('Database or dashboard unreachable: ' + e.message + ' - retrying every ' + refreshMillis / 1000 + ' s.');
      }
    } finally {
      refreshing = false;
      document.body.dataset.refreshed = String(Date.now());
    }
    if (again) await refresh();
  }

  $('token-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = $('token').value;
    $('token').value = '';
    if (!token) return;
    await verify(token);
    state.lastDead = null;
    refresh();
  });
  function deadChanged(resetSelection) {
    if (resetSelection) state.selected.clear();
    state.lastDead = null;
    setHash('dead', deadParams(true));
    refresh();
  }
  $('dead-filters').addEventListener('submit', (e) => e.preventDefault());
  $('dead-filters').addEventListener('change', (e) => {
    if (e.target.id === 'filter-q') return; // typed: handled by 'input'
    state.dead.channel = $('filter-channel').value;
    state.dead.error = $('filter-error').value;
    state.dead.age = $('filter-age').value;
    state.dead.page = 0;
    deadChanged(true);
  });
  let searchTimer = null;
  $('filter-q').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { state.dead.q = $('filter-q').value.trim(); state.dead.page = 0; deadChanged(true); }, 300);
  });
  $('filter-group-clear').addEventListener('click', () => {
    state.dead.group = '';
    showDeadFilters();
    state.dead.page = 0;
    deadChanged(true);
  });
  for (const b of document.querySelectorAll('button.sort')) {
    b.addEventListener('click', () => {
      const d = state.dead;
      if (d.sort === b.dataset.sort) d.dir = d.dir === 'desc' ? 'asc' : 'desc';
      else { d.sort = b.dataset.sort; d.dir = 'desc'; }
      d.page = 0;
      deadChanged(false);
    });
  }
  for (const b of document.querySelectorAll('button.range')) {
    b.addEventListener('click', () => { state.range = b.dataset.range; setHash('history', new URLSearchParams({ range: state.range })); refresh(); });
  }
  $('dead-prev').addEventListener('click', () => { state.dead.page = Math.max(0, state.dead.page - 1); deadChanged(true); });
  $('dead-next').addEventListener('click', () => { state.dead.page++; deadChanged(true); });
  function pendingChanged() {
    state.lastPending = null;
    setHash('pending', pendingParams());
    refresh();
  }
  $('pending-filters').addEventListener('change', () => {
    state.pending.channel = $('pending-channel').value;
    state.pending.state = $('pending-state').value;
    state.pending.page = 0;
    pendingChanged();
  });
  $('pending-prev').addEventListener('click', () => { state.pending.page = Math.max(0, state.pending.page - 1); pendingChanged(); });
  $('pending-next').addEventListener('click', () => { state.pending.page++; pendingChanged(); });
  $('select-all').addEventListener('change', () => {
    for (const box of document.querySelectorAll('#dead tbody input.select')) {
      box.checked = $('select-all').checked;
      const id = Number(box.closest('tr').dataset.id);
      if (box.checked) state.selected.add(id); else state.selected.delete(id);
    }
  });
  $('retry-selected').addEventListener('click', () => selection('retry'));
  $('purge-selected').addEventListener('click', () => selection('purge'));
  $('retry-matching').addEventListener('click', () => matching('retry'));
  $('purge-matching').addEventListener('click', () => matching('purge'));
  $('detail-retry').addEventListener('click', () => write('retry', { ids: [state.detailId] }, 'dead notification ' + state.detailId));
  $('detail-purge').addEventListener('click', () => write('purge', { ids: [state.detailId] }, 'dead notification ' + state.detailId));
  $('detail-close').addEventListener('click', () => $('detail').close());
  $('detail').addEventListener('close', () => {
    if (/^#(dead|notification)\/\d+$/.test(location.hash)) setHash(state.detailDead ? 'dead' : 'pending', state.detailDead ? deadParams(true) : pendingParams());
  });
  window.addEventListener('hashchange', applyHash);

  (async () => {
    renderMode();
    const saved = sessionStorage.getItem('pgpubsub-token');
    if (saved && !location.hash.startsWith('#token=')) await verify(saved, true);
    await applyHash();
    await refresh();
    setInterval(refresh, refreshMillis);
  })();
})();
