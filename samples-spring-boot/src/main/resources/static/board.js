// The live orders board: plain EventSource, no framework. Every value goes in with textContent, never innerHTML.
(function () {
  'use strict';
  const tbody = document.getElementById('orders');
  const log = document.getElementById('log');
  const state = document.getElementById('state');
  const rows = new Map();

  function cell(tr, i, value) {
    tr.children[i].textContent = value == null ? '' : String(value);
  }

  function upsert(order) {
    let tr = rows.get(String(order.id));
    if (!tr) {
      tr = document.createElement('tr');
      for (let i = 0; i < 4; i++) {
        tr.appendChild(document.createElement('td'));
      }
      tr.dataset.id = String(order.id);
      rows.set(String(order.id), tr);
      tbody.appendChild(tr);
    }
    cell(tr, 0, order.id);
    cell(tr, 1, order.customer);
    cell(tr, 2, order.amount);
    cell(tr, 3, order.status);
  }

  function onChange(e) {
    const change = JSON.parse(e.data);
    if (change.new) {
      upsert(change.new);
    } else if (rows.has(change.id)) {
      rows.get(change.id).remove();
      rows.delete(change.id);
    }
    const li = document.createElement('li');
    li.dataset.position = e.lastEventId;
    li.textContent = e.type.replace('board.', '') + ' ' + change.id + ' ' + (change.new ? change.new.status : '');
    log.appendChild(li);
  }

  // since=0-0 replays what the stream kept. After a dropped connection the browser reconnects by itself and sends
  // Last-Event-ID (which wins over since); after an answer that is not 200 (a 503 while a node shuts down) it gives
  // up, so the page opens a new EventSource from the last id it handled.
  let lastId = '0-0';
  function connect() {
    const events = new EventSource('pgpubsub/events?channel=board&since=' + encodeURIComponent(lastId));
    ['board.insert', 'board.update', 'board.delete'].forEach(function (type) {
      events.addEventListener(type, function (e) {
        lastId = e.lastEventId;
        onChange(e);
      });
    });
    events.addEventListener('reset', function () {
      // the stream no longer holds what this page missed: start again from the server's state
      window.location.reload();
    });
    events.onopen = function () { state.textContent = 'live'; state.className = 'live'; };
    events.onerror = function () {
      state.textContent = 'reconnecting';
      state.className = '';
      if (events.readyState === EventSource.CLOSED) {
        setTimeout(connect, 1000);
      }
    };
  }
  connect();
}());
