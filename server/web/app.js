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
 *
 * Languages: Vietnamese (the default), Lao, English. The build appends the
 * catalogs' dictionaries (po/po2json.sh: FIELDSYNC_I18N) and the protocol's
 * reference names with their English labels (po/refdump: FIELDSYNC_REFS)
 * to this file. The page speaks the language chosen with the switch (kept
 * in localStorage), else the first of the browser's languages it has, else
 * Vietnamese. English text in the code is the msgid: _("...") and N_("...")
 * here, data-i18n / data-i18n-ATTR / data-i18n-tpl in the HTML.
 */
'use strict';

(function () {
  /* ---- languages --------------------------------------------------------- */

  var LANGS = ['vi', 'lo', 'en'];
  var LANG_NAMES = {vi: 'Tiếng Việt', lo: 'ພາສາລາວ', en: 'English'};
  var LANG_KEY = 'fieldsync.lang';
  var lang = 'vi';

  function pickLang() {
    var stored = null, prefs, i, l;
    try { stored = window.localStorage.getItem(LANG_KEY); } catch (e) { stored = null; }
    if (LANGS.indexOf(stored) >= 0) return stored;
    prefs = navigator.languages || [navigator.language || ''];
    for (i = 0; i < prefs.length; i++) {
      l = String(prefs[i]).toLowerCase().slice(0, 2);
      if (LANGS.indexOf(l) >= 0) return l;
    }
    return 'vi';
  }

  function dict() { return (window.FIELDSYNC_I18N || {})[lang] || {}; }

  /* The translation of msgid s, or s itself (English, or not translated). */
  function _(s) {
    var t = dict()[s];
    return typeof t === 'string' && t ? t : s;
  }
  function N_(s) { return s; }
  function ngettext(s, p, n) {
    var t = dict()[s], rule = (dict()[''] || {}).plural;
    if (Object.prototype.toString.call(t) === '[object Array]') {
      return t[rule === '0' ? 0 : (n !== 1 ? 1 : 0)];
    }
    return n === 1 ? s : p;
  }

  /* Split a template at its %s / %N$s: [text, index, text, index, ...]. */
  function pieces(template) {
    var out = [], re = /%(?:(\d+)\$)?s/g, last = 0, next = 0, m;
    while ((m = re.exec(template)) !== null) {
      out.push(template.slice(last, m.index));
      out.push(m[1] ? parseInt(m[1], 10) - 1 : next++);
      last = re.lastIndex;
    }
    out.push(template.slice(last));
    return out;
  }
  /* fmt('%s of %s', a, b) -> text. */
  function fmtS(template) {
    var args = Array.prototype.slice.call(arguments, 1);
    return pieces(template).map(function (p, i) {
      return i % 2 ? String(args[p]) : p;
    }).join('');
  }
  /* A <span> holding the template's text with nodes in place of %s. */
  function tpl(template) {
    var nodes = Array.prototype.slice.call(arguments, 1);
    var span = document.createElement('span');
    pieces(template).forEach(function (p, i) {
      var n = i % 2 ? nodes[p] : p;
      if (n === null || n === undefined || n === '') return;
      span.appendChild(typeof n === 'object' ? n : document.createTextNode(String(n)));
    });
    return span;
  }

  /* A wire name of a reference list ("industry-trade") as people read it:
   * the English label from the protocol's table, then its translation. */
  function ref(list, wire) {
    var l = ((window.FIELDSYNC_REFS || {})[list] || {})[wire];
    if (wire === null || wire === undefined || wire === '') return '-';
    return l ? _(l) : String(wire);
  }

  /* Translate the page's static text (data-i18n, data-i18n-ATTR,
   * data-i18n-tpl). The English stays in the attributes, so this can run
   * again after a switch. */
  function translateStatic() {
    var all = document.querySelectorAll('*'), i, e, a, j, kids, t;
    document.documentElement.lang = lang;
    for (i = 0; i < all.length; i++) {
      e = all[i];
      if (e.hasAttribute('data-i18n')) {
        if (!e.getAttribute('data-i18n')) {
          e.setAttribute('data-i18n', e.textContent.replace(/\s+/g, ' ').trim());
        }
        e.textContent = _(e.getAttribute('data-i18n'));
      }
      for (j = 0; j < e.attributes.length; j++) {
        a = e.attributes[j];
        if (a.name.indexOf('data-i18n-') === 0 && a.name !== 'data-i18n-tpl') {
          e.setAttribute(a.name.slice(10), _(a.value));
        }
      }
      if (e.hasAttribute('data-i18n-tpl')) {
        if (!e._i18nKids) {
          e._i18nKids = Array.prototype.slice.call(e.children);
        }
        kids = e._i18nKids;
        t = tpl.apply(null, [_(e.getAttribute('data-i18n-tpl'))].concat(kids));
        while (e.firstChild) e.removeChild(e.firstChild);
        while (t.firstChild) e.appendChild(t.firstChild);
      }
    }
  }

  function initLangSwitch(onChange) {
    var sel = document.getElementById('lang');
    if (!sel) return;
    LANGS.forEach(function (l) {
      var o = document.createElement('option');
      o.value = l;
      o.textContent = LANG_NAMES[l];
      sel.appendChild(o);
    });
    sel.value = lang;
    sel.addEventListener('change', function () {
      lang = sel.value;
      try { window.localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode */ }
      translateStatic();
      if (onChange) onChange();
    });
  }

  var FIGURES = [
    ['visits_out', N_('Visits out')], ['members_out', N_('Members out')],
    ['visits_in', N_('Visits in')], ['members_in', N_('Members in')],
    ['trips', N_('Trips')], ['experts', N_('Experts')],
    ['expert_days', N_('Expert-days')], ['trainings', N_('Trainings')],
    ['trained', N_('Trained')], ['patients', N_('Patients')]
  ];
  var PAGES = ['overview', 'models', 'activities', 'education', 'works',
               'targets', 'conflicts', 'devices', 'record'];

  /* ---- small helpers ---------------------------------------------------- */

  /* el('td', {class: 'num', 'data-field': 'trips'}, '3'); a child may be
   * an array of children. */
  function el(tag, attrs) {
    var e = document.createElement(tag);
    var k, i, c;
    for (k in attrs || {}) {
      if (attrs[k] !== null && attrs[k] !== undefined) {
        e.setAttribute(k, String(attrs[k]));
      }
    }
    function add(x) {
      if (x === null || x === undefined) return;
      if (Array.isArray(x)) { x.forEach(add); return; }
      e.appendChild(typeof x === 'object' ? x : document.createTextNode(String(x)));
    }
    for (i = 2; i < arguments.length; i++) {
      c = arguments[i];
      add(c);
    }
    return e;
  }

  /* How a value is shown: numbers as the JSON has them (3.8, 76), null as
   * "-", booleans as yes/no: the same as the terminal table. */
  function fmt(v) {
    if (v === null || v === undefined || v === '') return '-';
    if (v === true) return _('yes');
    if (v === false) return _('no');
    return String(v);
  }

  /* An amount of whole đồng as people write it in the page's language:
   * "15.000.000.000 đ", "15,000,000,000 VND"; short: "60 tỷ đồng",
   * "2.5 billion VND" (from a million up, rounded half up to two
   * decimals). The same rules and styles as proto_money_format in
   * protocol/records.c; the styles come from its table (FIELDSYNC_REFS.money,
   * po/refdump). Not a number: as fmt. */
  function money(v, shortForm) {
    var st = ((window.FIELDSYNC_REFS || {}).money || {})[lang], h, unit, s;
    function group(n) {
      return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, st.group);
    }
    if (typeof v !== 'number' || !st || v < 0 || v !== Math.floor(v)) return fmt(v);
    if (!shortForm || v < 1000000) return group(v) + ' ' + st.unit;
    /* hundredths of a million, half up (exact: v <= 10^13 < 2^53) */
    h = Math.floor((v * 100 + 500000) / 1000000);
    unit = st.million;
    if (h >= 100000) {
      h = Math.floor((v * 100 + 500000000) / 1000000000);
      unit = st.billion;
    }
    s = group(Math.floor(h / 100));
    if (h % 100) s += st.point + String(h % 100 + 100).slice(1).replace(/0$/, '');
    return s + ' ' + unit;
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
          throw new Error(_('not signed in'));
        }
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) {
            throw new Error((body && body.message) || fmtS(_('%s: HTTP %s'), path, r.status));
          }
          return body;
        });
      });
  }

  /* A write: JSON body, the session's CSRF token (GET /api/session). */
  var csrf = '';
  function post(path, body) {
    return fetch(path, {method: 'POST', credentials: 'same-origin',
                        headers: {'Content-Type': 'application/json',
                                  'Accept': 'application/json',
                                  'X-CSRF-Token': csrf},
                        body: JSON.stringify(body)})
      .then(function (r) {
        if (r.status === 401) {
          window.location.href = '/';
          throw new Error(_('not signed in'));
        }
        return r.json().catch(function () { return {}; }).then(function (b) {
          if (!r.ok) throw new Error((b && b.message) || fmtS(_('%s: HTTP %s'), path, r.status));
          return b;
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
          err.textContent = body.message || fmtS(_('Sign-in refused (HTTP %s)'), r.status);
          err.hidden = false;
        });
      }).catch(function (e) {
        err.textContent = fmtS(_('Cannot reach the server: %s'), e.message);
        err.hidden = false;
      });
    });
  }

  /* ---- dashboard --------------------------------------------------------- */

  var report = null, conflictsDoc = null;

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
    var head = el('tr', null, el('th', null, keyName === 'province' ? _('Province') : _('Sector')));
    clear(thead);
    clear(tbody);
    FIGURES.forEach(function (f) { head.appendChild(el('th', {class: 'num'}, _(f[1]))); });
    thead.appendChild(head);
    rows.concat([null]).forEach(function (row) {
      var r = row || total;
      var attrs = row ? {} : {class: 'total', 'data-total': 'yes'};
      var tr;
      attrs['data-' + keyName] = row ? row[keyName] : 'Total';
      tr = el('tr', attrs, el('th', {scope: 'row'}, row ? ref(keyName, row[keyName]) : _('Total')));
      FIGURES.forEach(function (f) {
        tr.appendChild(el('td', {class: 'num', 'data-field': f[0]}, fmt(r[f[0]])));
      });
      tbody.appendChild(tr);
    });
  }

  function renderModels(models) {
    var list = $('model-list');
    clear(list);
    if (!models.length) list.appendChild(el('p', {class: 'muted'}, _('No models in this period.')));
    models.forEach(function (m) {
      var place = [m.province && ref('province', m.province), m.district, m.village]
        .filter(Boolean).join(' · ');
      var card = el('article', {
        class: 'model' + (m.stale ? ' stale' : ''), 'data-model-id': m.id,
        'data-province': m.province, 'data-stale': m.stale ? 'yes' : 'no'
      },
        el('h3', {'data-field': 'crop'}, el('a', {href: '#record/' + m.id, class: 'record-link'}, m.crop)),
        el('div', {class: 'muted', 'data-field': 'place'}, place),
        m.author ? el('div', {class: 'muted'},
          tpl(_('recorded by %s'), el('span', {'data-field': 'author'}, m.author))) : null,
        m.stale ? el('span', {class: 'tag'}, _('stale')) : null,
        el('div', {class: 'bar-label'},
          tpl(_('Sown %s of %s ha'),
            el('span', {'data-field': 'sown_ha'}, fmt(m.sown_ha)),
            el('span', {'data-field': 'planned_ha'}, fmt(m.planned_ha))),
          el('span', null, el('span', {'data-field': 'percent'}, fmt(m.percent)), '%')),
        el('progress', {max: m.planned_ha || 1, value: m.sown_ha || 0,
                        'aria-label': _('hectares sown')}),
        el('div', {class: 'bar-label'},
          tpl(_('Households %s of %s'),
            el('span', {'data-field': 'households'}, fmt(m.households)),
            el('span', {'data-field': 'planned_households'}, fmt(m.planned_households)))),
        el('progress', {max: m.planned_households || 1, value: m.households || 0,
                        'aria-label': _('households taking part')}),
        el('div', {class: 'muted'},
          tpl(_('Latest observation: %s (%s in period)'),
            el('span', {'data-field': 'last_observation'}, fmt(m.last_observation)),
            el('span', {'data-field': 'observations'}, fmt(m.observations)))));
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

  function fillSelect(sel, names, label) {
    var keep = sel.value;
    while (sel.options.length > 1) sel.remove(1);
    names.forEach(function (n) { sel.appendChild(el('option', {value: n}, label(n))); });
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
        el('a', {class: 'date record-link', href: '#record/' + r.id, 'data-field': 'start'}, dates),
        el('span', {class: 'kind'}, it.kind === 'visit'
          ? (r.direction === 'in' ? _('visit in') : _('visit out')) : _('expert trip')));
      if (it.kind === 'visit') {
        li.appendChild(el('span', null,
          el('span', {'data-field': 'province'}, ref('province', r.province)), ' · ',
          el('span', {'data-field': 'sector'}, ref('sector', r.sector)), ' · ',
          el('span', {'data-field': 'leader'}, r.leader),
          r.title ? ' (' + r.title + ')' : '', ' · ',
          tpl(_('%s members'), el('span', {'data-field': 'members'}, fmt(r.members))),
          r.host ? ' · ' + r.host : '', r.high_level ? ' · ' + _('high-level') : '',
          r.author ? ' · ' : '', r.author ? tpl(_('recorded by %s'),
            el('span', {'data-field': 'author'}, r.author)) : ''));
      } else {
        li.appendChild(el('span', null,
          el('span', {'data-field': 'province'}, ref('province', r.province)), ' · ',
          el('span', {'data-field': 'sector'}, ref('sector', r.sector)), ' · ',
          ref('specialty', r.specialty), ' · ', el('span', {'data-field': 'expert'}, r.expert),
          r.site ? ' · ' + r.site : '', ' · ',
          tpl(_('%s experts, %s expert-days, %s trainings, %s trained, %s patients'),
            el('span', {'data-field': 'experts'}, fmt(r.experts)),
            el('span', {'data-field': 'expert_days'}, fmt(r.expert_days)),
            el('span', {'data-field': 'trainings'}, fmt(r.trainings)),
            el('span', {'data-field': 'trained'}, fmt(r.trained)),
            el('span', {'data-field': 'patients'}, fmt(r.patients))),
          r.author ? ' · ' : '', r.author ? tpl(_('recorded by %s'),
            el('span', {'data-field': 'author'}, r.author)) : ''));
      }
      list.appendChild(li);
    });
    $('activity-count').textContent = String(shown);
  }

  /* Scholarships per academic year and province, then the totals. */
  function renderEducation(rows, total) {
    var tbody = $('education-table').tBodies[0];
    clear(tbody);
    rows.concat([null]).forEach(function (row) {
      var r = row || total || {};
      var tr = el('tr', row ? {'data-year': row.academic_year, 'data-province': row.province}
        : {class: 'total', 'data-total': 'yes'},
        el('th', {scope: 'row'}, row ? row.academic_year : _('Total')),
        el('td', {'data-field': 'province'}, row ? ref('province', row.province) : ''));
      ['awarded', 'enrolled', 'rate'].forEach(function (k) {
        tr.appendChild(el('td', {class: 'num', 'data-field': k}, fmt(r[k])));
      });
      tbody.appendChild(tr);
    });
  }

  /* Each friendship work with its latest observation, then the totals
   * (money in the long form, the totals also short). */
  function renderWorks(works, total) {
    var tbody = $('works-table').tBodies[0];
    var t = total || {};
    clear(tbody);
    works.forEach(function (w) {
      tbody.appendChild(el('tr', {'data-work-id': w.id, 'data-province': w.province,
                                  'data-status': w.status || ''},
        el('td', {'data-field': 'name'}, el('a', {href: '#record/' + w.id, class: 'record-link'}, w.name)),
        el('td', {'data-field': 'province'}, ref('province', w.province)),
        el('td', {'data-field': 'sector'}, ref('work_sector', w.sector)),
        el('td', {class: 'num', 'data-field': 'budget'}, money(w.budget, false)),
        el('td', {class: 'num', 'data-field': 'disbursed'}, money(w.disbursed, false)),
        el('td', {class: 'num', 'data-field': 'built_pct'}, fmt(w.built_pct)),
        el('td', {'data-field': 'status'}, ref('status', w.status)),
        el('td', null, el('span', {'data-field': 'last_observation'}, fmt(w.last_observation)),
          w.notes ? el('div', {class: 'muted', 'data-field': 'notes'}, w.notes) : null)));
    });
    tbody.appendChild(el('tr', {class: 'total', 'data-total': 'yes'},
      el('td', null, tpl(ngettext('Total: %s work', 'Total: %s works', t.works),
        el('span', {'data-field': 'works'}, fmt(t.works)))),
      el('td', null), el('td', null),
      el('td', {class: 'num'}, el('div', {'data-field': 'budget'}, money(t.budget, false)),
        el('div', {class: 'muted', 'data-field': 'budget_short'}, money(t.budget, true))),
      el('td', {class: 'num'}, el('div', {'data-field': 'disbursed'}, money(t.disbursed, false)),
        el('div', {class: 'muted', 'data-field': 'disbursed_short'}, money(t.disbursed, true))),
      el('td', null), el('td', null), el('td', null)));
  }

  /* A target's status (met, missed, pending) in the page's language. */
  function status(s) {
    var names = {met: N_('met'), missed: N_('missed'), pending: N_('pending')};
    return names[s] ? _(names[s]) : String(s);
  }

  /* targets.error (API.md): the targets file has a mistake; the section
   * shows its message (file, line, what is wrong, what is allowed) in
   * #targets-error instead of the table, every other page is whole. The
   * paragraph is made here so that the page's HTML needs no change. */
  function renderTargets(targets) {
    var table = $('targets-table'), tbody = table.tBodies[0];
    var err = $('targets-error');
    if (!err) {
      err = el('p', {id: 'targets-error', class: 'error', role: 'alert'});
      table.parentNode.insertBefore(err, table);
    }
    err.hidden = !targets.error;
    err.textContent = targets.error
      ? fmtS(_('The targets file has a mistake, so no target is evaluated: %s'), targets.error) : '';
    table.hidden = !!targets.error;
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
        el('td', {'data-field': 'status', class: 'status-' + t.status}, status(t.status)),
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
        el('td', {'data-field': 'last_sync'}, d.last_sync ? d.last_sync : _('never')),
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
    capped.textContent = capped.hidden ? '' : fmtS(_('Not every conflict is listed: %s reached the limit of %s open conflicts; their later concurrent edits were merged but not listed. Resolve some, then check the device (fieldsyncd devices list).'),
      c.capped_devices.map(function (d) { return d.name + ' (' + d.id + ')'; }).join(', '), c.capped_at);
    more.hidden = c.next === null || c.next === undefined;
    more.setAttribute('data-next', more.hidden ? '' : String(c.next));
    c.conflicts.forEach(function (x) {
      tbody.appendChild(el('tr', {'data-conflict-id': x.id},
        el('td', {'data-field': 'id'}, x.id),
        el('td', {'data-field': 'kind'}, ref('kind', x.kind)),
        el('td', {'data-field': 'record_name'},
          el('a', {href: '#record/' + x.record, class: 'record-link'}, x.record_name || x.record.slice(0, 8))),
        el('td', {'data-field': 'field'}, x.field),
        el('td', {'data-field': 'winner_value'}, JSON.stringify(x.winner_value)),
        el('td', {'data-field': 'loser_value'}, JSON.stringify(x.loser_value)),
        el('td', null, x.detected_ms ? new Date(x.detected_ms).toISOString().slice(0, 10) : '-'),
        el('td', {class: 'resolve'}, resolveControls(x))));
    });
    $('conflicts-shown').textContent = fmtS(_('%s shown'), tbody.rows.length);
  }

  /* Keep one device's value or type another: signed with HQ's key by the
   * server, exactly as `fieldsyncd conflicts resolve` does. */
  function resolveControls(x) {
    var box = el('div', {class: 'resolve-box'}), input, done;
    function resolve(keep, btn) {
      btn.disabled = true;
      post('/api/conflicts/resolve', {id: x.id, keep: keep})
        .then(function () { return load(); })
        .catch(function (e) { showError(e.message); btn.disabled = false; });
    }
    [['winner', x.winner_device, x.winner_name], ['loser', x.loser_device, x.loser_name]]
      .forEach(function (w) {
        if (!w[1]) return;
        var b = el('button', {type: 'button', class: 'keep-' + w[0]},
          fmtS(_('Keep the value of %s'), w[2] || w[1].slice(0, 8)));
        b.addEventListener('click', function () { resolve('device:' + w[1], b); });
        box.appendChild(b);
      });
    if (x.field !== '_deleted') {
      input = el('input', {type: 'text', class: 'keep-value-text', size: 10,
                           'aria-label': _('Another value')});
      done = el('button', {type: 'button', class: 'keep-value'}, _('Set this value'));
      done.addEventListener('click', function () {
        if (input.value.trim()) resolve('value:' + input.value.trim(), done);
      });
      box.appendChild(input);
      box.appendChild(done);
    }
    return box;
  }

  /* Pairs that look like one thing recorded twice: for HQ to look at,
   * never merged. */
  function renderDuplicates(doc) {
    var list = $('duplicate-list'), byId = {};
    (doc.visits || []).forEach(function (v) { byId[v.id] = v; });
    (doc.models || []).forEach(function (m) { byId[m.id] = m; });
    clear(list);
    $('duplicates').hidden = !(doc.duplicates && doc.duplicates.length);
    (doc.duplicates || []).forEach(function (d) {
      var names = d.ids.map(function (id) {
        var r = byId[id] || {};
        var what = d.kind === 'visit'
          ? [r.leader, ref('province', r.province), r.start].filter(Boolean).join(' — ')
          : [r.crop, ref('province', r.province), r.district].filter(Boolean).join(' — ');
        return el('a', {href: '#record/' + id, class: 'record-link'},
          what + (r.author ? ' (' + fmtS(_('recorded by %s'), r.author) + ')' : ''));
      });
      list.appendChild(el('li', {'data-kind': d.kind, 'data-ids': d.ids.join(' ')},
        d.kind === 'visit' ? _('Possibly the same visit twice:') : _('Possibly the same model twice:'),
        ' ', names[0], ' · ', names[1]));
    });
  }

  /* ---- a record's page: every field, its author, its history; a model's
   * observations as a table and a chart over time ---------------------- */
  function chart(obs, planned) {
    var NS = 'http://www.w3.org/2000/svg', W = 600, H = 200, P = 30;
    var svg = document.createElementNS(NS, 'svg'), pts = [], max = planned || 0;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    svg.setAttribute('id', 'model-chart');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', _('hectares sown over time'));
    obs.forEach(function (o) { if (o.sown_ha > max) max = o.sown_ha; });
    if (!max) max = 1;
    obs.forEach(function (o, i) {
      var x = obs.length > 1 ? P + i * (W - 2 * P) / (obs.length - 1) : W / 2;
      var y = H - P - (o.sown_ha || 0) * (H - 2 * P) / max;
      pts.push(x.toFixed(1) + ',' + y.toFixed(1));
      var c = document.createElementNS(NS, 'circle');
      c.setAttribute('cx', x.toFixed(1)); c.setAttribute('cy', y.toFixed(1));
      c.setAttribute('r', '4'); c.setAttribute('class', 'point');
      var t = document.createElementNS(NS, 'title');
      t.textContent = o.date + ': ' + o.sown_ha + ' ha';
      c.appendChild(t);
      svg.appendChild(c);
    });
    if (planned) {
      var l = document.createElementNS(NS, 'line'), yp = H - P - planned * (H - 2 * P) / max;
      l.setAttribute('x1', P); l.setAttribute('x2', W - P);
      l.setAttribute('y1', yp.toFixed(1)); l.setAttribute('y2', yp.toFixed(1));
      l.setAttribute('class', 'planned');
      svg.appendChild(l);
    }
    var line = document.createElementNS(NS, 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('class', 'sown');
    svg.insertBefore(line, svg.firstChild);
    return svg;
  }

  function renderRecord(id) {
    var box = $('record-view');
    clear(box);
    box.appendChild(el('p', {class: 'muted'}, _('Loading…')));
    api('/api/record?id=' + encodeURIComponent(id)).then(function (r) {
      var defs = (((window.FIELDSYNC_REFS || {}).fields || {})[r.kind]) || {};
      var rows = Object.keys(r.fields).map(function (k) {
        var d = defs[k] || [k, null], v = r.fields[k];
        return el('tr', {'data-field': k}, el('th', null, _(d[0])),
          el('td', null, d[1] ? ref(d[1], v) : fmt(v)));
      });
      var obs = ((report && report.observations) || []).filter(function (o) { return o.model === id; });
      clear(box);
      box.appendChild(el('h3', {'data-kind': r.kind}, ref('kind', r.kind), ' ',
        el('code', null, r.id.slice(0, 8)), r.deleted ? ' · ' + _('deleted') : ''));
      box.appendChild(el('p', null, fmtS(_('recorded by %s'), r.owner_name || (r.owner || '').slice(0, 8))));
      box.appendChild(el('table', {class: 'kv', id: 'record-fields'}, el('tbody', null, rows)));
      if (r.kind === 'model') {
        box.appendChild(el('h3', null, _('Observations')));
        if (!obs.length) box.appendChild(el('p', {class: 'muted'}, _('No observations in this period.')));
        else {
          box.appendChild(el('table', {id: 'record-observations'},
            el('thead', null, el('tr', null, el('th', null, _('Date')), el('th', {class: 'num'}, _('Sown (ha)')),
              el('th', {class: 'num'}, _('Households')), el('th', null, _('Notes')))),
            el('tbody', null, obs.map(function (o) {
              return el('tr', {'data-date': o.date}, el('td', null, o.date), el('td', {class: 'num'}, fmt(o.sown_ha)),
                el('td', {class: 'num'}, fmt(o.households)), el('td', null, o.notes || ''));
            }))));
          box.appendChild(chart(obs, r.fields.planned_ha));
        }
      }
      box.appendChild(el('h3', null, _('History')));
      box.appendChild(el('ol', {id: 'record-history', class: 'history'}, r.history.map(function (e) {
        return el('li', {'data-op': e.op},
          el('strong', null, new Date(e.ms).toISOString().slice(0, 16).replace('T', ' ')), ' · ',
          e.name || e.device.slice(0, 8), ' · ', e.op,
          e.hq && e.op !== 'create' ? el('span', {class: 'tag'}, _('correction by HQ')) : null,
          e.verified ? el('span', {class: 'muted'}, ' ' + _('signature and chain verified')) : null,
          el('ul', null, e.fields.map(function (f) {
            return el('li', null, f.field + ': ' + fmt(f.from) + ' → ' + fmt(f.to));
          })),
          e.reason ? el('div', {class: 'muted'}, _('Reason') + ': ' + e.reason) : null);
      })));
    }).catch(function (e) {
      clear(box);
      box.appendChild(el('p', {class: 'error'}, e.message));
    });
  }

  /* Download links for the period shown, in the page's language. */
  function renderDownloads() {
    var q = query(), base = '/api/report/file?' + (q ? q + '&' : '') + 'lang=' + lang + '&format=';
    $('download-docx').setAttribute('href', base + 'docx');
    $('download-xlsx').setAttribute('href', base + 'xlsx');
    $('download-csv').setAttribute('href', base + 'csv&table=' + $('download-table').value);
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
    fillSelect($('filter-province'), doc.by_province.map(function (r) { return r.province; }),
               function (n) { return ref('province', n); });
    fillSelect($('filter-sector'), doc.by_sector.map(function (r) { return r.sector; }),
               function (n) { return ref('sector', n); });
    renderActivities();
    renderEducation(doc.education || [], doc.education_totals);
    renderWorks(doc.works || [], doc.works_totals);
    renderTargets(doc.targets);
    renderDevices(doc.devices);
    renderDuplicates(doc);
    renderDownloads();
    $('period-words').textContent = (doc.period_words || {})[lang] || '';
    $('period').value = /^\d{4}H[12]$/.test(doc.period.label) ? doc.period.label : '';
  }

  function showPage() {
    var name = (window.location.hash || '#overview').slice(1), rec = null;
    if (name.indexOf('record/') === 0) {
      rec = name.slice(7);
      name = 'record';
    }
    if (PAGES.indexOf(name) < 0) name = 'overview';
    if (rec) renderRecord(rec);
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
    st.textContent = _('Loading…');
    document.body.removeAttribute('data-loaded');
    showError('');
    Promise.all([api('/api/report' + (q ? '?' + q : '')),
                 api('/api/conflicts?limit=' + CONFLICT_PAGE)])
      .then(function (res) {
        conflictsDoc = res[1];
        render(res[0]);
        renderConflicts(res[1], true);
        st.textContent = fmtS(_('Report %s, as of %s.'), res[0].period.label, res[0].as_of);
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
    $('download-table').addEventListener('change', renderDownloads);
    $('print').addEventListener('click', function () { window.print(); });
    api('/api/session').then(function (s) { csrf = s.csrf; })
      .catch(function (e) { showError(e.message); });
    $('logout').addEventListener('click', function () {
      fetch('/logout', {method: 'POST', credentials: 'same-origin'})
        .finally(function () { window.location.href = '/'; });
    });
    window.addEventListener('hashchange', showPage);
    showPage();
    load();
  }

  document.addEventListener('DOMContentLoaded', function () {
    lang = pickLang();
    translateStatic();
    if (document.body.getAttribute('data-page') === 'login') {
      initLangSwitch(null);
      initLogin();
    } else {
      /* A switch redraws what the script drew, from what it has. */
      initLangSwitch(function () {
        if (report) {
          render(report);
          renderActivities();
        }
        if (conflictsDoc) renderConflicts(conflictsDoc, true);
        if (report) renderDownloads();
        if (report) $('status').textContent = fmtS(_('Report %s, as of %s.'),
          report.period.label, report.as_of);
      });
      initDashboard();
    }
  });
})();
