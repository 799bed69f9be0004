/*
 * Browser test of the fieldsync HQ dashboard, run by tests/e2e/hq_browser.t
 * against a live fieldsyncd. It drives Debian's Chromium (/usr/bin/chromium,
 * headless, fresh profile, no network but the loopback server) through
 * playwright-core, and checks every figure the pages show against the
 * report JSON that `fieldsyncd report --format json` printed for the same
 * period (FS_REPORT) and the conflicts of `fieldsyncd conflicts list
 * --json` (FS_CONFLICTS).
 *
 * Environment: FS_URL (http://127.0.0.1:PORT), FS_TOKEN (an hq token),
 * FS_REPORT, FS_CONFLICTS (files), FS_PERIOD (e.g. 2026H2), FS_SHOTS (the
 * directory for screenshots), FS_PROFILE (a fresh --user-data-dir),
 * FS_TARGETS (the targets file beside the server's database: near the end
 * it is broken for a while, then put back),
 * CHROMIUM (default /usr/bin/chromium).
 *
 * Output: one line per check, "ok - DESC" or "not ok - DESC" (plus "# "
 * details); the TAP wrapper numbers them and checks their count. Exit
 * status 0 only if every check passed.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');

const URL = process.env.FS_URL;
const TOKEN = process.env.FS_TOKEN;
const PERIOD = process.env.FS_PERIOD;
const SHOTS = process.env.FS_SHOTS;
const report = JSON.parse(fs.readFileSync(process.env.FS_REPORT, 'utf8'));
const conflicts = JSON.parse(fs.readFileSync(process.env.FS_CONFLICTS, 'utf8'));
const FIGURES = ['visits_out', 'members_out', 'visits_in', 'members_in', 'trips',
  'experts', 'expert_days', 'trainings', 'trained', 'patients'];

let failed = 0;
function check(cond, desc, detail) {
  if (cond) {
    console.log('ok - ' + desc);
  } else {
    failed++;
    console.log('not ok - ' + desc);
    if (detail !== undefined) console.log('# ' + String(detail).replace(/\n/g, '\n# '));
  }
}
function same(got, want, desc) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  check(g === w, desc, 'got ' + g + '\nwant ' + w);
}
/* As API.md says the page prints values: null as "-", booleans yes/no. */
function fmt(v) {
  if (v === null || v === undefined) return '-';
  if (v === true) return 'yes';
  if (v === false) return 'no';
  return String(v);
}

async function main() {
  /* A fresh profile directory each run (FS_PROFILE): playwright passes it
   * to Chromium as --user-data-dir. */
  const context = await chromium.launchPersistentContext(process.env.FS_PROFILE, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    /* The figures are checked in English; the languages further down. */
    locale: 'en-US',
    timeout: 60000
  });
  try {
    /* Nothing but the server under test: any other host is refused and
     * counted (the page must need no CDN, font or script from elsewhere). */
    const foreign = [];
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith(URL + '/')) return route.continue();
      foreign.push(u);
      return route.abort();
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(15000);
    const consoleErrors = [];
    page.on('pageerror', (e) => consoleErrors.push(String(e)));

    /* ---- without a session: only the login page ---------------------- */
    await page.goto(URL + '/');
    same(await page.getAttribute('body', 'data-page'), 'login', 'without a session / shows the login page');
    await page.goto(URL + '/index.html#models');
    same(await page.getAttribute('body', 'data-page'), 'login', 'without a session /index.html shows the login page too');
    await page.goto(URL + '/some/other/page');
    same(await page.getAttribute('body', 'data-page'), 'login', 'any other path: the login page');
    const anon = await page.evaluate(async () => {
      const a = await fetch('/api/report');
      const b = await fetch('/api/conflicts');
      return [a.status, (await a.json()).error, b.status];
    });
    same(anon, [401, 'unauthenticated', 401], 'without a session /api/report and /api/conflicts answer 401');
    await page.screenshot({ path: path.join(SHOTS, 'login.png') });

    /* ---- a wrong token is refused ------------------------------------ */
    await page.goto(URL + '/');
    await page.fill('#token', 'f'.repeat(64));
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:not([hidden])');
    const errText = await page.textContent('#login-error');
    check(/unknown, expired/.test(errText), 'a wrong token is refused with a message', errText);
    same((await context.cookies()).filter((c) => c.name === 'fs_hq').length, 0, 'no session cookie after a refused sign-in');

    /* ---- sign in ------------------------------------------------------ */
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
    const cookie = (await context.cookies()).find((c) => c.name === 'fs_hq');
    check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/',
      'signing in sets the fs_hq cookie, HttpOnly, SameSite=Strict', JSON.stringify(cookie));
    same(await page.evaluate(() => document.cookie.includes('fs_hq')), false, 'page scripts cannot read the session cookie');

    await page.goto(URL + '/?period=' + PERIOD + '#overview');
    await page.waitForSelector('body[data-loaded="yes"]');
    same(await page.getAttribute('body', 'data-page'), 'dashboard', 'with the session / is the dashboard');

    /* ---- overview ------------------------------------------------------ */
    const field = (sel) => page.textContent(sel).then((t) => t.trim());
    same(await field('[data-field="period.label"]'), report.period.label, 'overview: period label');
    same(await field('[data-field="as_of"]'), report.as_of, 'overview: as of');
    const sums = {};
    for (const k of ['visits', 'trips', 'models', 'models_stale', 'targets', 'targets_met',
      'open_conflicts', 'devices_not_synced']) {
      sums[k] = await field('#summary [data-field="summary.' + k + '"]');
    }
    const want = {};
    for (const k of Object.keys(sums)) want[k] = fmt(report.summary[k]);
    same(sums, want, 'overview: the six summary cards match summary');
    const rowFigures = (table, attr, key) => page.$$eval(
      '#' + table + ' tbody tr[data-' + attr + '="' + key + '"] td[data-field]',
      (tds) => tds.map((td) => [td.getAttribute('data-field'), td.textContent.trim()]));
    for (const p of report.by_province) {
      same(await rowFigures('province-table', 'province', p.province),
        FIGURES.map((f) => [f, fmt(p[f])]), 'overview: ' + p.province + ' row = by_province');
    }
    same(await page.$$eval('#province-table tr[data-total] td[data-field]', (tds) =>
      tds.map((td) => td.textContent.trim())), FIGURES.map((f) => fmt(report.totals[f])),
    'overview: province totals row = totals');
    let sectorsOk = true, sectorDetail = '';
    for (const s of report.by_sector) {
      const got = await rowFigures('sector-table', 'sector', s.sector);
      const w = FIGURES.map((f) => [f, fmt(s[f])]);
      if (JSON.stringify(got) !== JSON.stringify(w)) {
        sectorsOk = false;
        sectorDetail += s.sector + ': ' + JSON.stringify(got) + '\n';
      }
    }
    check(sectorsOk && report.by_sector.length === 13, 'overview: all ' + report.by_sector.length + ' sector rows = by_sector', sectorDetail);
    await page.screenshot({ path: path.join(SHOTS, 'overview.png'), fullPage: true });

    /* ---- models -------------------------------------------------------- */
    await page.click('#tabs a[data-tab="models"]');
    await page.waitForSelector('#page-models:not([hidden])');
    same(await page.getAttribute('body', 'data-current-page'), 'models', 'models page shown');
    const cards = await page.$$eval('#model-list article', (as) => as.map((a) => {
      const f = (n) => a.querySelector('[data-field="' + n + '"]').textContent.trim();
      const bars = a.querySelectorAll('progress');
      return { id: a.getAttribute('data-model-id'), stale: a.getAttribute('data-stale'),
        crop: f('crop'), sown_ha: f('sown_ha'), planned_ha: f('planned_ha'), percent: f('percent'),
        households: f('households'), planned_households: f('planned_households'),
        last_observation: f('last_observation'),
        bars: Array.prototype.map.call(bars, (b) => [b.value, b.max]) };
    }));
    same(cards, report.models.map((m) => ({ id: m.id, stale: m.stale ? 'yes' : 'no', crop: m.crop,
      sown_ha: fmt(m.sown_ha), planned_ha: fmt(m.planned_ha), percent: fmt(m.percent),
      households: fmt(m.households), planned_households: fmt(m.planned_households),
      last_observation: fmt(m.last_observation),
      bars: [[m.sown_ha || 0, m.planned_ha || 1], [m.households || 0, m.planned_households || 1]] })),
    'models: every card (figures, stale flag, two progress bars) = models');
    const maize = report.models.find((m) => m.sown_ha === 3.8);
    check(maize && maize.percent === 76 && cards.some((c) => c.id === maize.id && c.percent === '76'),
      'models: the Salavan sticky-maize card shows 3.8 of 5 ha, 76 %');
    await page.screenshot({ path: path.join(SHOTS, 'models.png'), fullPage: true });

    /* ---- visits and trips ---------------------------------------------- */
    await page.click('#tabs a[data-tab="activities"]');
    await page.waitForSelector('#page-activities:not([hidden])');
    const all = report.visits.map((v) => ['visit', v]).concat(report.trips.map((t) => ['trip', t]));
    all.sort((a, b) => a[1].start < b[1].start ? -1 : a[1].start > b[1].start ? 1 : a[1].id < b[1].id ? -1 : 1);
    same(await page.$$eval('#activity-list li', (ls) => ls.map((l) => [l.getAttribute('data-kind'), l.getAttribute('data-id')])),
      all.map((x) => [x[0], x[1].id]), 'activities: every visit and trip, dated, in date order');
    same(await field('#activity-count'), String(all.length), 'activities: the count shown');
    const tripFig = await page.$$eval('#activity-list li[data-kind="trip"]', (ls) => ls.map((l) =>
      ['expert_days', 'trained', 'patients'].map((n) => l.querySelector('[data-field="' + n + '"]').textContent.trim())));
    same(tripFig, all.filter((x) => x[0] === 'trip').map((x) => [fmt(x[1].expert_days), fmt(x[1].trained), fmt(x[1].patients)]),
      'activities: trips show expert-days, trained and patients of the report');
    const visitLeaders = await page.$$eval('#activity-list li[data-kind="visit"] [data-field="leader"]', (s) => s.map((x) => x.textContent));
    same(visitLeaders, all.filter((x) => x[0] === 'visit').map((x) => x[1].leader), 'activities: leaders in Vietnamese and Lao, byte for byte');
    const authors = await page.$$eval('#activity-list li [data-field="author"]', (s) => s.map((x) => x.textContent));
    same(authors, all.map((x) => x[1].author), 'activities: each visit and trip names its author (the roster name)');
    await page.selectOption('#filter-province', 'Salavan');
    const salavan = all.filter((x) => x[1].province === 'Salavan');
    same(await page.$$eval('#activity-list li', (ls) => ls.map((l) => l.getAttribute('data-id'))),
      salavan.map((x) => x[1].id), 'activities: filtered by province Salavan');
    same(await field('#activity-count'), String(salavan.length), 'activities: count after the province filter');
    await page.selectOption('#filter-province', '');
    await page.selectOption('#filter-sector', 'health');
    await page.selectOption('#filter-kind', 'trip');
    const healthTrips = all.filter((x) => x[0] === 'trip' && x[1].sector === 'health');
    same(await page.$$eval('#activity-list li', (ls) => ls.map((l) => l.getAttribute('data-id'))),
      healthTrips.map((x) => x[1].id), 'activities: filtered by sector health and kind trip');
    await page.selectOption('#filter-sector', '');
    await page.selectOption('#filter-kind', '');
    await page.screenshot({ path: path.join(SHOTS, 'activities.png'), fullPage: true });

    /* ---- targets -------------------------------------------------------- */
    await page.click('#tabs a[data-tab="targets"]');
    await page.waitForSelector('#page-targets:not([hidden])');
    same(await page.$$eval('#targets-table tbody tr', (rs) => rs.map((r) => [r.getAttribute('data-target'),
      r.getAttribute('data-status'),
      ...['expected', 'actual', 'status'].map((n) => r.querySelector('[data-field="' + n + '"]').textContent.trim())])),
    report.targets.items.map((t) => [t.name, t.status, fmt(t.expected), fmt(t.actual), t.status]),
    'targets: every target with expected, actual and status = targets.items');
    same(await field('[data-field="targets.year"]'), String(report.targets.year), 'targets: the year');
    await page.screenshot({ path: path.join(SHOTS, 'targets.png'), fullPage: true });

    /* ---- education and friendship works (hq_fixture_kinds) -------------- */
    await page.click('#tabs a[data-tab="education"]');
    await page.waitForSelector('#page-education:not([hidden])');
    const eduRows = () => page.$$eval('#education-table tbody tr', (rs) => rs.map((r) =>
      [r.getAttribute('data-year') || 'Total', r.getAttribute('data-province') || '',
        ...['awarded', 'enrolled', 'rate'].map((n) => r.querySelector('[data-field="' + n + '"]').textContent.trim())]));
    same(await eduRows(), report.education.map((e) => [e.academic_year, e.province, fmt(e.awarded), fmt(e.enrolled), fmt(e.rate)])
      .concat([['Total', '', fmt(report.education_totals.awarded), fmt(report.education_totals.enrolled), fmt(report.education_totals.rate)]]),
    'education: every academic year and province, and the totals = education');
    /* S1: Attapeu 2026-2027, 20 awarded, 17 enrolled -> 17/20 = 85 %. */
    same((await eduRows()).find((r) => r[0] === '2026-2027' && r[1] === 'Attapeu'),
      ['2026-2027', 'Attapeu', '20', '17', '85'], 'education: Attapeu 2026-2027 shows 20 awarded, 17 enrolled, 85 %');
    await page.screenshot({ path: path.join(SHOTS, 'education.png'), fullPage: true });

    await page.click('#tabs a[data-tab="works"]');
    await page.waitForSelector('#page-works:not([hidden])');
    const workRows = () => page.$$eval('#works-table tbody tr[data-work-id]', (rs) => rs.map((r) =>
      [r.getAttribute('data-work-id'), ...['name', 'province', 'sector', 'budget', 'disbursed', 'built_pct', 'status',
        'last_observation'].map((n) => r.querySelector('[data-field="' + n + '"]').textContent.trim())]));
    const workTotal = () => page.$$eval('#works-table tr[data-total] [data-field]', (es) =>
      es.map((e) => [e.getAttribute('data-field'), e.textContent.trim()]));
    same((await workRows()).map((r) => r[0]), report.works.map((w) => w.id), 'works: every work of the report, in its order');
    /* Worked out from hq_lib.sh: W1's latest observation on or before
     * 10-31 is 09-30 (2.5 billion, 40 %); W2 has none. */
    const W1 = report.works.find((w) => w.name.startsWith('Trường tiểu học'));
    const W2 = report.works.find((w) => w.name === 'Trạm y tế hữu nghị');
    same((await workRows()).find((r) => r[0] === (W1 || {}).id),
      [(W1 || {}).id, 'Trường tiểu học hữu nghị Việt - Lào', 'Attapeu', 'education and training',
        '15,000,000,000 VND', '2,500,000,000 VND', '40', 'under construction', '2026-09-30'],
      'works: W1 budget 15,000,000,000 VND, disbursed 2,500,000,000 VND, 40 %, under construction, 2026-09-30');
    same((await workRows()).find((r) => r[0] === (W2 || {}).id),
      [(W2 || {}).id, 'Trạm y tế hữu nghị', 'Sekong', 'health', '10,000,000,000,000 VND', '-', '-', '-', '-'],
      'works: W2 budget 10^13 exact, no observation yet');
    same(await page.textContent('#works-table tr[data-work-id="' + (W1 || {}).id + '"] [data-field="notes"]'),
      'Đã xong phần móng', 'works: the latest observation\'s notes, byte for byte');
    /* 15 x 10^9 + 10^13 = 10,015,000,000,000 = 10,015 billion; disbursed
     * 2,500,000,000 = 2.5 billion. */
    same(await workTotal(), [['works', '2'], ['budget', '10,015,000,000,000 VND'], ['budget_short', '10,015 billion VND'],
      ['disbursed', '2,500,000,000 VND'], ['disbursed_short', '2.5 billion VND']],
    'works: the totals, 2 works, long and short');
    await page.screenshot({ path: path.join(SHOTS, 'works.png'), fullPage: true });

    /* ---- conflicts ------------------------------------------------------ */
    await page.click('#tabs a[data-tab="conflicts"]');
    await page.waitForSelector('#page-conflicts:not([hidden])');
    same(await field('#conflicts-open'), String(conflicts.open), 'conflicts: the open count');
    /* The list comes in pages of 100 (/api/conflicts?after=&limit=): the
     * first page, then "Show more" until every one is shown. */
    same([await page.$$eval('#conflicts-table tbody tr', (rs) => rs.length),
      await page.isVisible('#conflicts-more')],
    [Math.min(100, conflicts.conflicts.length), conflicts.conflicts.length > 100],
    'conflicts: the first page holds 100 rows, "Show more" offers the rest');
    while (await page.isVisible('#conflicts-more')) {
      const n = await page.$$eval('#conflicts-table tbody tr', (rs) => rs.length);
      await page.click('#conflicts-more');
      await page.waitForFunction((k) => document.querySelectorAll('#conflicts-table tbody tr').length > k, n);
    }
    same(await page.$$eval('#conflicts-table tbody tr', (rs) => rs.map((r) => [r.getAttribute('data-conflict-id'),
      ...['field', 'winner_value', 'loser_value'].map((n) => r.querySelector('[data-field="' + n + '"]').textContent)])),
    conflicts.conflicts.map((c) => [String(c.id), c.field, JSON.stringify(c.winner_value), JSON.stringify(c.loser_value)]),
    'conflicts: each open conflict with both values');
    await page.screenshot({ path: path.join(SHOTS, 'conflicts.png'), fullPage: true });

    /* ---- devices -------------------------------------------------------- */
    await page.click('#tabs a[data-tab="devices"]');
    await page.waitForSelector('#page-devices:not([hidden])');
    same(await page.$$eval('#devices-table tbody tr', (rs) => rs.map((r) => [r.getAttribute('data-device-id'),
      r.getAttribute('data-not-synced'), r.querySelector('[data-field="name"]').textContent,
      r.querySelector('[data-field="last_sync"]').textContent,
      r.querySelector('[data-field="flags"]').textContent])),
    report.devices.map((d) => [d.id, d.not_synced ? 'yes' : 'no', d.name, d.last_sync ? d.last_sync : 'never',
      d.flags ? d.flags : '-']),
    'devices: every device, its last sync, the not-synced flag and HQ\'s flags (forked, restored)');
    await page.screenshot({ path: path.join(SHOTS, 'devices.png'), fullPage: true });

    /* ---- a filtered report through the URL ------------------------------ */
    await page.goto(URL + '/?period=' + PERIOD + '&province=Sekong#overview');
    await page.waitForSelector('body[data-loaded="yes"]');
    const sek = report.by_province.find((p) => p.province === 'Sekong');
    same(await page.$$eval('#province-table tbody tr[data-province]:not([data-total])', (rs) => rs.map((r) => r.getAttribute('data-province'))),
      ['Sekong'], 'province=Sekong in the URL: one province row');
    same(await page.$$eval('#province-table tr[data-total] td[data-field]', (tds) => tds.map((td) => td.textContent.trim())),
      FIGURES.map((f) => fmt(sek[f])), 'province=Sekong: totals are Sekong\'s figures');

    /* ---- languages: the switch, remembered; figures unchanged ---------- */
    await page.goto(URL + '/?period=' + PERIOD + '#overview');
    await page.waitForSelector('body[data-loaded="yes"]');
    const texts = () => page.evaluate(() => ({
      lang: document.documentElement.lang,
      tab: document.querySelector('#tabs a[data-tab="overview"]').textContent.trim(),
      agri: (document.querySelector('#sector-table tr[data-sector="agriculture"] th') || {}).textContent,
      salavan: (document.querySelector('#province-table tr[data-province="Salavan"] th') || {}).textContent,
      cards: document.querySelector('#summary .card').textContent.replace(/\s+/g, ' ').trim()
    }));
    const figuresNow = () => rowFigures('province-table', 'province', 'Salavan');
    const salavanFigures = report.by_province.find((p) => p.province === 'Salavan');
    same(await texts(), { lang: 'en', tab: 'Overview', agri: 'agriculture', salavan: 'Salavan',
      cards: fmt(report.summary.visits) + ' delegation visits' }, 'languages: the browser\'s English first');
    await page.selectOption('#lang', 'vi');
    same(await texts(), { lang: 'vi', tab: 'Tổng quan', agri: 'nông nghiệp', salavan: 'Salavan',
      cards: fmt(report.summary.visits) + ' chuyến thăm của đoàn' }, 'languages: switched to Vietnamese, labels and sector names change');
    same(await figuresNow(), FIGURES.map((f) => [f, fmt(salavanFigures[f])]), 'languages: the figures stay the same in Vietnamese');
    await page.screenshot({ path: path.join(SHOTS, 'overview-vi.png'), fullPage: true });
    /* Money and names in the page's language: "15.000.000.000 đ",
     * "2,5 tỷ đồng" (a decimal comma), the status "đang thi công". */
    const worksLang = () => page.evaluate((id) => {
      const r = document.querySelector('#works-table tr[data-work-id="' + id + '"]');
      const t = (s) => document.querySelector(s).textContent.trim();
      return [r.querySelector('[data-field="budget"]').textContent, r.querySelector('[data-field="status"]').textContent,
        t('#works-table tr[data-total] [data-field="disbursed_short"]'), t('#tabs a[data-tab="works"]'),
        t('#education-table thead th:nth-child(5)')];
    }, (W1 || {}).id);
    same(await worksLang(), ['15.000.000.000 đ', 'đang thi công', '2,5 tỷ đồng', 'Các công trình hữu nghị', 'Tỷ lệ nhập học %'],
      'languages: works and education in Vietnamese, money as Vietnamese write it');

    await page.reload();
    await page.waitForSelector('body[data-loaded="yes"]');
    same((await texts()).tab, 'Tổng quan', 'languages: the choice is remembered after a reload');
    await page.selectOption('#lang', 'lo');
    const lo = await texts();
    same([lo.lang, lo.tab, lo.agri, lo.salavan], ['lo', 'ພາບລວມ', 'ກະສິກຳ', 'ສາລະວັນ'], 'languages: Lao');
    same(await worksLang(), ['15.000.000.000 ດົ່ງ', 'ກຳລັງກໍ່ສ້າງ', '2,5 ຕື້ດົ່ງ', 'ສິ່ງປຸກສ້າງມິດຕະພາບ', 'ອັດຕາເຂົ້າຮຽນ %'],
      'languages: works and education in Lao, money in đồng written the Lao way');
    await page.screenshot({ path: path.join(SHOTS, 'overview-lo.png'), fullPage: true });
    await page.selectOption('#lang', 'en');
    same((await texts()).tab, 'Overview', 'languages: back to English');

    /* ---- a broken targets file (FS_TARGETS, the file beside the
     * database): the targets page shows the mistake, every other page its
     * figures; the file is put back after. */
    const tfile = process.env.FS_TARGETS;
    const goodTargets = fs.readFileSync(tfile);
    const badLine = goodTargets.toString().split('\n').length; /* the line appended */
    fs.appendFileSync(tfile, 'target broken-min count=trips per=year min=many\n');
    try {
      /* Only the hash differs from the page shown: goto alone would not
       * load the report again. */
      await page.goto(URL + '/?period=' + PERIOD + '#targets');
      await page.reload();
      await page.waitForSelector('body[data-loaded="yes"]');
      const tg = () => page.evaluate(() => {
        const e = document.getElementById('targets-error');
        return { shown: !!e && !e.hidden && e.offsetParent !== null, text: e ? e.textContent : '',
          table: !document.getElementById('targets-table').hidden,
          rows: document.querySelectorAll('#targets-table tbody tr').length };
      });
      const broken = await tg();
      check(broken.shown && broken.text === 'The targets file has a mistake, so no target is evaluated: ' +
        tfile + ':' + badLine + ':' + broken.text.split(':' + badLine + ':')[1].split(':')[0] +
        ': min must be a whole number from 1 to 10000000000000, not "many"',
      'broken targets file: the targets page shows the mistake (file, line, what is wrong and allowed)', JSON.stringify(broken));
      same([broken.table, broken.rows], [false, 0], 'broken targets file: no targets table, no rows');
      const sumsNow = {};
      for (const k of Object.keys(sums)) sumsNow[k] = await field('#summary [data-field="summary.' + k + '"]');
      same(sumsNow, Object.assign({}, want, { targets: '-', targets_met: '-' }),
        'broken targets file: the summary cards keep their figures, the target counts show "-"');
      const provNow = [];
      for (const p of report.by_province) provNow.push(await rowFigures('province-table', 'province', p.province));
      same(provNow, report.by_province.map((p) => FIGURES.map((f) => [f, fmt(p[f])])),
        'broken targets file: the province table as with a good file');
      same(await page.$$eval('#model-list article', (as) => as.map((a) => [a.getAttribute('data-model-id'),
        a.querySelector('[data-field="percent"]').textContent.trim()])),
      report.models.map((m) => [m.id, fmt(m.percent)]), 'broken targets file: every model card as with a good file');
      await page.screenshot({ path: path.join(SHOTS, 'targets-broken.png'), fullPage: true });
      await page.selectOption('#lang', 'vi');
      check((await tg()).text.startsWith('Tệp chỉ tiêu có lỗi nên không chỉ tiêu nào được đánh giá: ' + tfile + ':' + badLine + ':'),
        'broken targets file: the message in Vietnamese after the switch', (await tg()).text);
      await page.selectOption('#lang', 'en');
    } finally {
      fs.writeFileSync(tfile, goodTargets);
    }
    await page.reload();
    await page.waitForSelector('body[data-loaded="yes"]');
    const mended = await page.evaluate(() => [document.getElementById('targets-error').hidden,
      document.querySelectorAll('#targets-table tbody tr').length]);
    same(mended, [true, report.targets.items.length], 'the file mended: a reload shows every target again, no message');
    /* ---- HQ works in the page: downloads, a record, duplicates, a conflict
     * resolved (back in Vietnamese, the default) ------------------------ */
    await page.selectOption('#lang', 'vi');
    await page.goto(URL + '/?period=' + PERIOD + '#overview');
    await page.waitForSelector('body[data-loaded="yes"]');
    same(await page.textContent('#period-words'), '6 tháng, 01/05/2026 – 31/10/2026, hạn nộp 10/11/2026',
      'the period in words, with its dates and the deadline, in Vietnamese');
    for (const [fmtName, file, ctype] of [['docx', 'report.docx', 'wordprocessingml'], ['xlsx', 'report.xlsx', 'spreadsheetml']]) {
      const href = await page.getAttribute('#download-' + fmtName, 'href');
      const got = await page.evaluate(async (h) => {
        const r = await fetch(h, { credentials: 'same-origin' });
        const b = new Uint8Array(await r.arrayBuffer());
        let bin = '';
        for (let i = 0; i < b.length; i++) bin += String.fromCharCode(b[i]);
        return [r.status, r.headers.get('content-type') || '', r.headers.get('content-disposition') || '', btoa(bin)];
      }, href);
      fs.writeFileSync(path.join(process.env.FS_OUT, file), Buffer.from(got[3], 'base64'));
      check(got[0] === 200 && got[1].includes(ctype) && /attachment; filename="fieldsync-2026H2-vi\./.test(got[2]) &&
        /lang=vi/.test(href) && /period=2026H2/.test(href),
        'downloads: ' + fmtName.toUpperCase() + ' of the period shown, in the page\'s language, as a file', got.slice(0, 3).join(' | ') + ' ' + href);
    }
    const csv = await page.evaluate(async () => {
      document.getElementById('download-table').value = 'visits';
      document.getElementById('download-table').dispatchEvent(new Event('change'));
      const r = await fetch(document.getElementById('download-csv').getAttribute('href'), { credentials: 'same-origin' });
      return [r.status, await r.text()];
    });
    check(csv[0] === 200 && csv[1].split('\n').filter(Boolean).length === report.visits.length + 1,
      'downloads: the visits table as one CSV (a header and one row per visit)', csv.join(' | ').slice(0, 300));

    /* A model's page: its observations as a table and a chart. */
    const m1 = report.models.find((m) => /Ngô nếp/.test(m.crop));
    await page.click('#tabs a[data-tab="models"]');
    await page.waitForSelector('#page-models:not([hidden])');
    await page.click('#model-list article[data-model-id="' + m1.id + '"] a.record-link');
    await page.waitForSelector('#model-chart');
    const obs = report.observations.filter((o) => o.model === m1.id);
    same(await page.$$eval('#record-observations tbody tr', (rs) => rs.map((r) => r.getAttribute('data-date'))),
      obs.map((o) => o.date), 'record page: the model\'s observations in the period, as a table');
    same(await page.$$eval('#model-chart circle', (cs) => cs.length), obs.length,
      'record page: a chart with one point per observation');
    const fields = await page.$$eval('#record-fields tr', (rs) => rs.map((r) => [r.getAttribute('data-field'), r.querySelector('th').textContent, r.querySelector('td').textContent]));
    check(fields.some((f) => f[0] === 'planned_ha' && f[1] === 'Diện tích kế hoạch' && f[2] === '5') &&
      fields.some((f) => f[0] === 'province' && f[2] === 'Salavan') && fields.some((f) => f[0] === 'crop' && f[2] === m1.crop),
      'record page: every field, labelled in Vietnamese', JSON.stringify(fields));
    check((await page.textContent('#record-history')).includes('Chuyên gia An'),
      'record page: the history names the author', await page.textContent('#record-history'));
    await page.screenshot({ path: path.join(SHOTS, 'record.png'), fullPage: true });

    /* A visit recorded twice (A records B's V2 again): flagged, not merged. */
    const v2 = report.visits.find((v) => v.direction === 'in' && v.province === 'Salavan');
    execFileSync(process.env.FS_BIN, ['--dir', process.env.FS_DA, 'visit', 'add', '--direction', 'in',
      '--province', 'Salavan', '--leader', 'ທ່ານ ບຸນມີ ພົມມະວົງ', '--members', '4', '--sector', 'health',
      '--start', '2026-06-02'], { stdio: 'ignore' });
    execFileSync(process.env.FS_BIN, ['--dir', process.env.FS_DA, 'sync'], { stdio: 'ignore' });
    /* (a goto that changes only the hash would not load the page again) */
    await page.goto(URL + '/?period=' + PERIOD + '#overview');
    await page.reload();
    await page.waitForSelector('body[data-loaded="yes"]');
    const dup = await page.$$eval('#duplicate-list li', (ls) => ls.map((l) => [l.getAttribute('data-kind'), l.getAttribute('data-ids')]));
    check(dup.length === 1 && dup[0][0] === 'visit' && dup[0][1].split(' ').includes(v2.id),
      'duplicates: the same visit recorded by two devices is flagged (and both stay listed)', JSON.stringify(dup));
    await page.screenshot({ path: path.join(SHOTS, 'duplicates.png'), fullPage: true });

    /* The real conflict (M3's district: A's "Vapy" against HQ's
     * "Khongsedone"): named by what the record is, resolved from the page
     * keeping A's value. */
    const real = conflicts.conflicts.find((c) => c.field === 'district');
    await page.goto(URL + '/?period=' + PERIOD + '#conflicts');
    await page.waitForSelector('#conflicts-table tbody tr');
    const row = '#conflicts-table tr[data-conflict-id="' + real.id + '"]';
    while (!(await page.$(row)) && await page.isVisible('#conflicts-more')) await page.click('#conflicts-more');
    const name = await page.textContent(row + ' [data-field="record_name"]');
    check(/Thụ tinh nhân tạo bò Zebu/.test(name) && /Salavan/.test(name),
      'conflicts: the record named by what it is (crop and province), not its id', name);
    const keepA = await page.$$eval(row + ' .resolve button', (bs) => bs.map((b) => [b.className, b.textContent]));
    const which = keepA.find((b) => /Chuyên gia An/.test(b[1]));
    check(!!which, 'conflicts: a button keeps the value of the device, named', JSON.stringify(keepA));
    const before = Number(await page.textContent('#conflicts-open'));
    await page.click(row + ' .' + (which ? which[0] : 'keep-loser'));
    await page.waitForFunction((n) => Number(document.getElementById('conflicts-open').textContent) === n - 1, before);
    check(true, 'conflicts: resolved from the page, one fewer open');
    /* Without the page's CSRF token the same request is refused. */
    same(await page.evaluate(async (id) => (await fetch('/api/conflicts/resolve', { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id, keep: 'value:x' }) })).status, real.id),
    403, 'conflicts: a write without the CSRF token is refused (403)');

    same(foreign, [], 'the pages asked for nothing outside the server');
    same(consoleErrors, [], 'no script errors in the page');

    /* ---- sign out -------------------------------------------------------- */
    await Promise.all([page.waitForNavigation(), page.click('#logout')]);
    same(await page.getAttribute('body', 'data-page'), 'login', 'after signing out: the login page');
    same(await page.evaluate(async () => (await fetch('/api/report')).status), 401, 'after signing out /api/report is 401');
  } finally {
    await context.close();
  }
  /* A browser in Lao gets Lao; in a language the catalogs lack, Vietnamese. */
  for (const [locale, want, desc] of [['lo-LA', ['lo', 'ເຂົ້າສູ່ລະບົບ'], 'a Lao browser: the login page in Lao'],
    ['fr-FR', ['vi', 'Đăng nhập'], 'a French browser: the login page in Vietnamese, the default']]) {
    const c = await chromium.launchPersistentContext(process.env.FS_PROFILE + '-' + locale, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, locale,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 60000
    });
    try {
      const p = c.pages()[0] || await c.newPage();
      await p.goto(URL + '/');
      same(await p.evaluate(() => [document.documentElement.lang,
        document.getElementById('login-submit').textContent.trim()]), want, desc);
    } finally {
      await c.close();
    }
  }
}

main().then(() => process.exit(failed ? 1 : 0), (e) => {
  console.log('not ok - the browser test ran to its end');
  console.log('# ' + String(e && e.stack || e).replace(/\n/g, '\n# '));
  process.exit(1);
});
