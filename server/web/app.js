/*
 * fieldsync HQ dashboard: the script of both pages (login.html and
 * index.html, told apart by <body data-page>). Plain JavaScript, no
 * framework, no network beyond the fieldsyncd that served the page.
 *
 * Endpoints it calls (server/web/API.md has the details):
 *   POST /login            {"token":"..."} -> 200 {"ok":true} + session cookie
 *                          401 {"error":"invalid_token","message":"..."}
 *   POST /logout           -> 200 {"ok":true}, cookie cleared
 *   GET  /api/report       ?period=2026H1 | ?from=YYYY-MM-DD&to=YYYY-MM-DD
 *                          [&province=P][&sector=S]  -> the report document
 *                          of server/report.c (no period: the current half)
 *   GET  /api/conflicts    [?after=ID][&limit=N] -> one page:
 *                          {"open":N,"conflicts":[{...}],"next":ID|null,
 *                           "capped_devices":[{"id","name"}],...}
 *                          "Show more" asks for ?after=next
 * Any 401 from /api/* sends the browser back to "/", the login page.
 *
 * Record text is only ever put into the page with textContent, never as
 * HTML, so a field entry cannot inject markup or script.
 */
'use strict';

(function () {
  var FIGURES = [
    ['visits_out', 'Visits out'], ['members_out', 'Members out'],
    ['visits_in', 'Visits in'], ['members_in', 'Members in'],
    ['trips', 'Trips'], ['experts', 'Experts'],
    ['expert_days', 'Expert-days'], ['trainings', 'Trainings'],
    ['trained', 'Trained'], ['patients', 'Patients']
  ];
  var PAGES = ['overview', 'models', 'activities', 'targets', 'conflicts',
               'devices'];

  /* ---- small helpers ---------------------------------------------------- */

  /* el('td', {class: 'num', 'data-field': 'trips'}, '3') */
  function el(tag, attrs) {
    var e = document.createElement(tag);
    var k, i, c;
    for (k in attrs || {}) {
      if (attrs[k] !== null && attrs[k] !== undefined) {
        e.setAttribute(k, String(attrs[k]));
      }
    }
    for (i = 2; i < arguments.length; i++) {
      c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  /* How a value is shown: numbers as the JSON has them (3.8, 76), null as
   * "-", booleans as yes/no: the same as the terminal table. */
  function fmt(v) {
    if (v === null || v === undefined || v === '') return '-';
    if (v === true) return 'yes';
    if (v === false) return 'no';
    return String(v);
  }

  function get(obj, path) {
    return path.split('.').reduce(function (o, k) {
      return o === null || o === undefined ? undefined : o[k];
    }, obj);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function $(id) { return document.getElementById(id); }

  function showError(msg) {
    var e = $('error');
    e.textContent = msg;
    e.hidden = !msg;
  }

  function api(path) {
    return fetch(path, {credentials: 'same-origin',
                        headers: {'Accept': 'application/json'}})
      .then(function (r) {
        if (r.status === 401) {
          window.location.href = '/';
          throw new Error('not signed in');
        }
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) {
            throw new Error((body && body.message) || (path + ': HTTP ' + r.status));
          }
          return body;
        });
      });
  }

  /* ---- login page -------------------------------------------------------- */

  function initLogin() {
    var form = $('login-form');
    form.addEventListener('submit', function (ev) {
      var err = $('login-error');
      ev.preventDefault();
      err.hidden = true;
      fetch('/login', {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'Accept': 'application/json'},
        body: JSON.stringify({token: $('token').value.trim()})
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (r.ok) {
            window.location.href = '/';
            return;
          }
          err.textContent = body.message || 'Sign-in refused (HTTP ' + r.status + ')';
          err.hidden = false;
        });
      }).catch(function (e) {
        err.textContent = 'Cannot reach the server: ' + e.message;
        err.hidden = false;
      });
    });
  }

  /* ---- dashboard --------------------------------------------------------- */

  var report = null;

  function query() {
    var q = new URLSearchParams(window.location.search);
    var out = new URLSearchParams();
    ['period', 'from', 'to', 'province', 'sector'].forEach(function (k) {
      if (q.get(k)) out.set(k, q.get(k));
    });
    return out.toString();
  }

  function renderFields(doc) {
    var nodes = document.querySelectorAll('[data-field]');
    Array.prototype.forEach.call(nodes, function (n) {
      /* fields inside tables and lists are filled by their renderer */
      if (n.closest('table, #model-list, #activity-list')) return;
      n.textContent = fmt(get(doc, n.getAttribute('data-field')));
    });
  }

  function figuresTable(table, rows, keyName, total) {
    var thead = table.tHead, tbody = table.tBodies[0];
    var head = el('tr', null, el('th', null, keyName === 'province' ? 'Province' : 'Sector'));
    clear(thead);
    clear(tbody);
    FIGURES.forEach(function (f) { head.appendChild(el('th', {class: 'num'}, f[1])); });
    thead.appendChild(head);
    rows.concat([null]).forEach(function (row) {
      var r = row || total;
      var attrs = row ? {} : {class: 'total', 'data-total': 'yes'};
      var tr;
      attrs['data-' + keyName] = row ? row[keyName] : 'Total';
      tr = el('tr', attrs, el('th', {scope: 'row'}, row ? row[keyName] : 'Total'));
      FIGURES.forEach(function (f) {
        tr.appendChild(el('td', {class: 'num', 'data-field': f[0]}, fmt(r[f[0]])));
      });
      tbody.appendChild(tr);
    });
  }

  function renderModels(models) {
    var list = $('model-list');
    clear(list);
    if (!models.length) list.appendChild(el('p', {class: 'muted'}, 'No models in this period.'));
    models.forEach(function (m) {
      var place = [m.province, m.district, m.village].filter(Boolean).join(' · ');
      var card = el('article', {
        class: 'model' + (m.stale ? ' stale' : ''), 'data-model-id': m.id,
        'data-province': m.province, 'data-stale': m.stale ? 'yes' : 'no'
      },
        el('h3', {'data-field': 'crop'}, m.crop),
        el('div', {class: 'muted', 'data-field': 'place'}, place),
        m.stale ? el('span', {class: 'tag'}, 'stale') : null,
        el('div', {class: 'bar-label'},
          el('span', null, 'Sown ',
            el('span', {'data-field': 'sown_ha'}, fmt(m.sown_ha)), ' of ',
            el('span', {'data-field': 'planned_ha'}, fmt(m.planned_ha)), ' ha'),
          el('span', null, el('span', {'data-field': 'percent'}, fmt(m.percent)), '%')),
        el('progress', {max: m.planned_ha || 1, value: m.sown_ha || 0,
                        'aria-label': 'hectares sown'}),
        el('div', {class: 'bar-label'},
          el('span', null, 'Households ',
            el('span', {'data-field': 'households'}, fmt(m.households)), ' of ',
            el('span', {'data-field': 'planned_households'}, fmt(m.planned_households)))),
        el('progress', {max: m.planned_households || 1, value: m.households || 0,
                        'aria-label': 'households taking part'}),
        el('div', {class: 'muted'}, 'Latest observation: ',
          el('span', {'data-field': 'last_observation'}, fmt(m.last_observation)),
          ' (', el('span', {'data-field': 'observations'}, fmt(m.observations)),
          ' in period)'));
      list.appendChild(card);
    });
  }

  function activityItems(doc) {
    var items = [];
    doc.visits.forEach(function (v) { items.push({kind: 'visit', r: v}); });
    doc.trips.forEach(function (t) { items.push({kind: 'trip', r: t}); });
    items.sort(function (a, b) {
      return a.r.start < b.r.start ? -1 : a.r.start > b.r.start ? 1
        : a.r.id < b.r.id ? -1 : 1;
    });
    return items;
  }

  function fillSelect(sel, names) {
    var keep = sel.value;
    while (sel.options.length > 1) sel.remove(1);
    names.forEach(function (n) { sel.appendChild(el('option', {value: n}, n)); });
    sel.value = names.indexOf(keep) >= 0 ? keep : '';
  }

  function renderActivities() {
    var list = $('activity-list');
    var p = $('filter-province').value, s = $('filter-sector').value;
    var k = $('filter-kind').value, shown = 0;
    clear(list);
    activityItems(report).forEach(function (it) {
      var r = it.r, li, dates;
      if ((p && r.province !== p) || (s && r.sector !== s) || (k && it.kind !== k)) return;
      shown++;
      dates = r.end ? r.start + ' – ' + r.end : r.start;
      li = el('li', {'data-kind': it.kind, 'data-id': r.id, 'data-province': r.province,
                     'data-sector': r.sector || '', 'data-date': r.start},
        el('span', {class: 'date', 'data-field': 'start'}, dates),
        el('span', {class: 'kind'}, it.kind === 'visit'
          ? (r.direction === 'in' ? 'visit in' : 'visit out') : 'expert trip'));
      if (it.kind === 'visit') {
        li.appendChild(el('span', null,
          el('span', {'data-field': 'province'}, r.province), ' · ',
          el('span', {'data-field': 'sector'}, fmt(r.sector)), ' · ',
          el('span', {'data-field': 'leader'}, r.leader),
          r.title ? ' (' + r.title + ')' : '', ' · ',
          el('span', {'data-field': 'members'}, fmt(r.members)), ' members',
          r.host ? ' · ' + r.host : '', r.high_level ? ' · high-level' : ''));
      } else {
        li.appendChild(el('span', null,
          el('span', {'data-field': 'province'}, r.province), ' · ',
          el('span', {'data-field': 'sector'}, fmt(r.sector)), ' · ',
          r.specialty, ' · ', el('span', {'data-field': 'expert'}, r.expert),
          r.site ? ' · ' + r.site : '', ' · ',
          el('span', {'data-field': 'experts'}, fmt(r.experts)), ' experts, ',
          el('span', {'data-field': 'expert_days'}, fmt(r.expert_days)), ' expert-days, ',
          el('span', {'data-field': 'trainings'}, fmt(r.trainings)), ' trainings, ',
          el('span', {'data-field': 'trained'}, fmt(r.trained)), ' trained, ',
          el('span', {'data-field': 'patients'}, fmt(r.patients)), ' patients'));
      }
      list.appendChild(li);
    });
    $('activity-count').textContent = String(shown);
  }

  function renderTargets(targets) {
    var tbody = $('targets-table').tBodies[0];
    clear(tbody);
    targets.items.forEach(function (t) {
      var detail = t.cell_list.map(function (c) {
        return c.unit + (c.from !== t.window.from || c.to !== t.window.to
          ? ' ' + c.from.slice(5) + '–' + c.to.slice(5) : '') +
          ': ' + c.actual + '/' + c.expected + (c.met ? ' ✓' : '');
      }).join(', ');
      tbody.appendChild(el('tr', {'data-target': t.name, 'data-status': t.status},
        el('td', null, el('strong', {'data-field': 'label'}, t.label),
          el('div', {class: 'muted'}, t.name)),
        el('td', {'data-field': 'window'},
          t.window ? t.window.from + ' – ' + t.window.to : '-'),
        el('td', {class: 'num', 'data-field': 'expected'}, fmt(t.expected)),
        el('td', {class: 'num', 'data-field': 'actual'}, fmt(t.actual)),
        el('td', {'data-field': 'status', class: 'status-' + t.status}, t.status),
        el('td', {class: 'muted'}, detail)));
    });
  }

  function renderDevices(devices) {
    var tbody = $('devices-table').tBodies[0];
    clear(tbody);
    devices.forEach(function (d) {
      tbody.appendChild(el('tr', {'data-device-id': d.id,
                                  'data-not-synced': d.not_synced ? 'yes' : 'no',
                                  class: d.not_synced ? 'flag' : null},
        el('td', {'data-field': 'name'}, fmt(d.name)),
        el('td', {'data-field': 'role'}, fmt(d.role)),
        el('td', null, el('code', null, d.id)),
        el('td', {'data-field': 'last_sync'}, d.last_sync ? d.last_sync : 'never'),
        el('td', {class: 'num', 'data-field': 'days_since'}, fmt(d.days_since)),
        el('td', {'data-field': 'revoked'}, fmt(d.revoked)),
        // forked: two stores use this identity (a copied data directory);
        // restored: came back from an old backup. `fieldsyncd devices
        // clear-flag` clears them after looking.
        el('td', {'data-field': 'flags', class: d.flags ? 'status-missed' : null},
           d.flags ? d.flags : '-')));
    });
  }

  var CONFLICT_PAGE = 100;

  /* One page of conflicts; first: the table starts again (a reload). The
   * list is paged by the server (a device can make many), so the page
   * shows CONFLICT_PAGE rows and "Show more" fetches the next page. */
  function renderConflicts(c, first) {
    var tbody = $('conflicts-table').tBodies[0];
    var more = $('conflicts-more'), capped = $('conflicts-capped');
    if (first) clear(tbody);
    $('conflicts-open').textContent = String(c.open);
    capped.hidden = !(c.capped_devices && c.capped_devices.length);
    capped.textContent = capped.hidden ? '' : 'Not every conflict is listed: ' +
      c.capped_devices.map(function (d) { return d.name + ' (' + d.id + ')'; }).join(', ') +
      ' reached the limit of ' + c.capped_at + ' open conflicts; their later ' +
      'concurrent edits were merged but not listed. Resolve some, then check ' +
      'the device (fieldsyncd devices list).';
    more.hidden = c.next === null || c.next === undefined;
    more.setAttribute('data-next', more.hidden ? '' : String(c.next));
    c.conflicts.forEach(function (x) {
      tbody.appendChild(el('tr', {'data-conflict-id': x.id},
        el('td', {'data-field': 'id'}, x.id),
        el('td', {'data-field': 'kind'}, x.kind),
        el('td', null, el('code', null, x.record)),
        el('td', {'data-field': 'field'}, x.field),
        el('td', {'data-field': 'winner_value'}, JSON.stringify(x.winner_value)),
        el('td', {'data-field': 'loser_value'}, JSON.stringify(x.loser_value)),
        el('td', null, x.detected_ms ? new Date(x.detected_ms).toISOString().slice(0, 10) : '-')));
    });
    $('conflicts-shown').textContent = tbody.rows.length + ' shown';
  }

  function moreConflicts() {
    var more = $('conflicts-more');
    more.disabled = true;
    api('/api/conflicts?limit=' + CONFLICT_PAGE + '&after=' + more.getAttribute('data-next'))
      .then(function (c) { renderConflicts(c, false); })
      .catch(function (e) { showError(e.message); })
      .finally(function () { more.disabled = false; });
  }

  function render(doc) {
    report = doc;
    renderFields(doc);
    figuresTable($('province-table'), doc.by_province, 'province', doc.totals);
    figuresTable($('sector-table'), doc.by_sector, 'sector', doc.totals);
    renderModels(doc.models);
    fillSelect($('filter-province'), doc.by_province.map(function (r) { return r.province; }));
    fillSelect($('filter-sector'), doc.by_sector.map(function (r) { return r.sector; }));
    renderActivities();
    renderTargets(doc.targets);
    renderDevices(doc.devices);
    $('period').value = /^\d{4}H[12]$/.test(doc.period.label) ? doc.period.label : '';
  }

  function showPage() {
    var name = (window.location.hash || '#overview').slice(1);
    if (PAGES.indexOf(name) < 0) name = 'overview';
    PAGES.forEach(function (p) {
      $('page-' + p).hidden = p !== name;
    });
    Array.prototype.forEach.call(document.querySelectorAll('#tabs a'), function (a) {
      if (a.getAttribute('data-tab') === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    document.body.setAttribute('data-current-page', name);
  }

  function load() {
    var q = query();
    var st = $('status');
    st.textContent = 'Loading…';
    document.body.removeAttribute('data-loaded');
    showError('');
    Promise.all([api('/api/report' + (q ? '?' + q : '')),
                 api('/api/conflicts?limit=' + CONFLICT_PAGE)])
      .then(function (res) {
        render(res[0]);
        renderConflicts(res[1], true);
        st.textContent = 'Report ' + res[0].period.label + ', as of ' + res[0].as_of + '.';
        /* a browser test waits for this attribute before reading figures */
        document.body.setAttribute('data-loaded', 'yes');
      })
      .catch(function (e) {
        st.textContent = '';
        showError(e.message);
      });
  }

  function initDashboard() {
    $('period-form').addEventListener('submit', function (ev) {
      var q = new URLSearchParams();
      var period = $('period').value.trim(), from = $('from').value, to = $('to').value;
      ev.preventDefault();
      if (from || to) { q.set('from', from); q.set('to', to); }
      else if (period) q.set('period', period.toUpperCase());
      window.history.replaceState(null, '', '?' + q.toString() + window.location.hash);
      load();
    });
    ['filter-province', 'filter-sector', 'filter-kind'].forEach(function (id) {
      $(id).addEventListener('change', renderActivities);
    });
    $('conflicts-more').addEventListener('click', moreConflicts);
    $('logout').addEventListener('click', function () {
      fetch('/logout', {method: 'POST', credentials: 'same-origin'})
        .finally(function () { window.location.href = '/'; });
    });
    window.addEventListener('hashchange', showPage);
    showPage();
    load();
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (document.body.getAttribute('data-page') === 'login') initLogin();
    else initDashboard();
  });
})();
