/*
 * Browser test of the field app (`fieldsync ui`), run by tests/e2e/ui_browser.t
 * against a live `fieldsync ui` on a fresh data directory and a live
 * fieldsyncd. Debian's Chromium, headless, driven by playwright-core, plays
 * an agronomist in Salavan: opens the app in Vietnamese, sets the device up,
 * enrolls by pasting the link HQ gave, records the sticky-maize model (5 ha,
 * 42 households) and two observations (one typed "3,8"), meets a bad form
 * with every fault shown at once, edits, deletes, searches, syncs with the
 * progress bar, and switches to Lao and English.
 *
 * Environment: FS_APP (the URL the app printed, with its secret), FS_LINK
 * (the enrollment link), FS_SHOTS (screenshot directory), FS_PROFILE (a
 * fresh --user-data-dir), FS_OUT (a JSON file this test writes: the ids it
 * made, for the wrapper's CLI check), CHROMIUM.
 *
 * Output: "ok - DESC" / "not ok - DESC" lines; the wrapper counts them.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const APP = process.env.FS_APP;
const BASE = new URL(APP).origin;
const SHOTS = process.env.FS_SHOTS;
const LINK = process.env.FS_LINK;

let failed = 0;
let lastPage = null; /* for the diagnosis when a step fails */
function check(cond, desc, detail) {
  if (cond) console.log('ok - ' + desc);
  else {
    failed++;
    console.log('not ok - ' + desc);
    if (detail !== undefined) console.log('# ' + String(detail).replace(/\n/g, '\n# '));
  }
}

async function shot(page, name) {
  for (const [w, h] of [[1280, 900], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(100);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${w}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function main() {
  const context = await chromium.launchPersistentContext(process.env.FS_PROFILE, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    locale: 'vi-VN',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--lang=vi-VN'],
    viewport: { width: 1280, height: 900 },
    timeout: 60000
  });
  const out = {};
  try {
    const foreign = [];
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith(BASE + '/')) return route.continue();
      foreign.push(u);
      return route.abort();
    });
    const page = context.pages()[0] || await context.newPage();
    lastPage = page;
    page.setDefaultTimeout(20000);
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));

    /* ---- first start: Vietnamese, set up, enroll ---------------------- */
    await page.goto(APP);
    await page.waitForSelector('#setup-name');
    check(await page.evaluate(() => document.documentElement.lang) === 'vi', 'the app opens in Vietnamese for a Vietnamese browser');
    const h1 = await page.textContent('h1');
    check(/Thiết lập/.test(h1), 'the first page is the set-up page, in Vietnamese', h1);
    await shot(page, 'setup');
    await page.fill('#setup-name', 'Nguyễn Văn Hùng');
    await page.click('button[type=submit]');
    await page.waitForSelector('#enroll-link');
    await shot(page, 'enroll');
    await page.fill('#enroll-link', LINK);
    await page.click('#enroll-go');
    await page.waitForSelector('#enroll-ok, #enroll-error');
    const enrolled = await page.$('#enroll-ok');
    check(enrolled !== null, 'enrolling by pasting the link succeeds',
      enrolled ? '' : await page.textContent('#enroll-error'));

    /* ---- a bad form: every fault at once, in Vietnamese, nothing saved - */
    await page.goto(BASE + '/#/new/model');
    await page.waitForSelector('#f-crop');
    const labels = await page.$$eval('label[for^="f-"]', (ls) => ls.map((l) => l.textContent.trim()));
    check(labels.some((l) => /Tỉnh/.test(l)) && labels.some((l) => /ha|Diện tích/i.test(l)),
      'the model form is labelled in Vietnamese', labels.join(' | '));
    check(await page.$('#f-province option[value="Salavan"]') !== null, 'the province is a choice list');
    check(await page.getAttribute('#f-start', 'type') === 'date', 'dates use a date picker');
    check(await page.$$eval('label .req', (r) => r.length) >= 4, 'required fields are marked');
    await page.fill('#f-planned_ha', '5,x');
    await page.fill('#f-planned_households', '-3');
    await page.click('#save');
    await page.waitForSelector('#form-errors');
    const bad = await page.$$eval('.field.bad', (fs) => fs.map((f) => f.id.replace(/^f-|-wrap$/g, '')));
    check(['crop', 'province', 'planned_ha', 'planned_households'].every((f) => bad.includes(f)),
      'every invalid field is marked at once', bad.join(','));
    const msgs = await page.$$eval('.field .error', (es) => es.map((e) => e.textContent).filter(Boolean));
    check(msgs.length >= 4 && msgs.every((m) => /[àáảãạăâđêôơưệốờữịọ]/i.test(m)),
      'each fault has its message next to the field, in Vietnamese', msgs.join(' | '));
    await shot(page, 'form-errors');

    /* ---- the Salavan sticky-maize model -------------------------------- */
    await page.goto(BASE + '/#/');
    await page.waitForSelector('#home-holds');
    await page.goto(BASE + '/#/new/model');
    await page.waitForSelector('#f-crop');
    await page.fill('#f-crop', 'Ngô nếp');
    await page.selectOption('#f-province', 'Salavan');
    await page.fill('#f-district', 'Lao Ngam');
    await page.fill('#f-village', 'Ban Nong Bua');
    await page.fill('#f-planned_ha', '5');
    await page.fill('#f-planned_households', '42');
    await page.fill('#f-season', 'Vụ mùa 2026');
    await page.click('#save');
    await page.waitForURL(/#\/record\/[0-9a-f]{32}$/);
    await page.waitForSelector('table.kv');
    out.model = page.url().split('/').pop();
    const t1 = await page.textContent('h1');
    check(t1.includes('Ngô nếp') && t1.includes('Salavan') && t1.includes('Lao Ngam'),
      'the model is named by what it is, not by its id', t1);

    /* ---- two observations, one typed with a decimal comma -------------- */
    const observe = async (date, ha, hh) => {
      await page.click('#add-observation');
      await page.waitForSelector('#f-sown_ha');
      await page.fill('#f-date', date);
      await page.fill('#f-sown_ha', ha);
      await page.fill('#f-households', hh);
      await page.click('#save');
    };
    await observe('2026-06-05', '1,5', '20');
    await page.waitForURL(new RegExp(out.model + '$'));
    await observe('2026-06-20', '3,8', '42');
    await page.waitForURL(new RegExp(out.model + '$'));
    await page.waitForSelector('#observations');
    const cells = await page.$$eval('#observations tr', (rs) => rs.slice(1).map((r) => r.textContent));
    check(cells.length === 2 && cells[1].includes('3,8') && cells[1].includes('42'),
      'both observations are in the table, "3,8" read as 3.8 ha', cells.join(' | '));
    const pts = await page.$$eval('#chart polyline', (ps) => ps.map((p) => p.getAttribute('points').split(' ').length));
    check(pts.length >= 2 && pts.every((n) => n === 2), 'the chart draws hectares and households over time', JSON.stringify(pts));
    await shot(page, 'model');

    /* ---- a soft warning asks before saving ----------------------------- */
    await page.click('#add-observation');
    await page.waitForSelector('#f-sown_ha');
    await page.fill('#f-date', '2026-06-10');
    await page.fill('#f-sown_ha', '6');
    await page.fill('#f-households', '42');
    await page.click('#save');
    await page.waitForSelector('#form-warnings');
    const warn = await page.textContent('#form-warnings');
    check(/5/.test(warn), 'sown above planned and an older date ask for confirmation', warn);
    await shot(page, 'form-warning');
    await page.goto(BASE + '/#/record/' + out.model);
    await page.waitForSelector('#observations');
    check((await page.$$('#observations tr')).length === 3, 'a form left at the warning saved nothing');

    /* ---- edit ------------------------------------------------------------ */
    await page.click('#edit');
    await page.waitForSelector('#f-district');
    await page.fill('#f-village', 'Ban Nong Bua Thong');
    await page.click('#save');
    await page.waitForURL(new RegExp('#/record/' + out.model + '$'));
    await page.waitForSelector('table.kv');
    check((await page.textContent('table.kv')).includes('Ban Nong Bua Thong'), 'the edit is saved and shown');

    /* ---- a visit, then delete it with a confirmation ------------------- */
    await page.goto(BASE + '/#/new/visit');
    await page.waitForSelector('#f-leader');
    await page.selectOption('#f-direction', 'in');
    await page.selectOption('#f-province', 'Sekong');
    await page.fill('#f-leader', 'ທ່ານ ສົມພອນ');
    await page.fill('#f-members', '8');
    await page.selectOption('#f-sector', 'agriculture');
    await page.fill('#f-start', '2026-04-10');
    await page.click('#save');
    await page.waitForURL(/#\/record\/[0-9a-f]{32}$/);
    out.visit = page.url().split('/').pop();
    await page.click('#delete');
    await page.waitForSelector('#dialog:not([hidden])');
    /* a delete carries a reason (SPEC 9.3): no reason, no delete */
    check(await page.isDisabled('#dialog-yes'), 'delete is not possible before a reason is typed');
    await page.fill('#dialog-reason', 'nhập trùng');
    await shot(page, 'delete');
    await page.click('#dialog-yes');
    await page.waitForURL(/#\/list\/visit/);
    await page.waitForSelector('#results p');
    check(!(await page.textContent('#results')).includes('ສົມພອນ'), 'the deleted visit is gone from its list');

    /* ---- search: words without their marks, province ------------------ */
    const search = async (hash) => {
      await page.goto(BASE + '/' + hash);
      const h = await page.evaluate(() => location.hash);
      await page.waitForSelector(`#results[data-loaded="${h}"]`);
      return page.textContent('#results');
    };
    let found = await search('#/list/model?q=' + encodeURIComponent('ngo nep'));
    check(found.includes('Ngô nếp — Salavan, Lao Ngam'), 'search "ngo nep" (no marks) finds the model', found);
    await shot(page, 'list');
    found = await search('#/list/model?province=Attapeu');
    check(!found.includes('Ngô nếp'), 'search by another province does not', found);
    /* ---- sync with the progress bar -------------------------------------- */
    await page.goto(BASE + '/#/sync');
    await page.waitForSelector('#sync-now');
    await page.click('#sync-now');
    await page.waitForSelector('#sync-outcome');
    check(await page.getAttribute('#sync-outcome', 'data-outcome') === 'synced', 'sync succeeds',
      await page.textContent('#sync-outcome'));
    const width = await page.$eval('#sync-bar', (b) => b.style.width);
    check(width === '100%', 'the progress bar is full', width);
    const line = await page.textContent('#sync-line');
    check(/\d/.test(line), 'entries and bytes are shown', line);
    await shot(page, 'sync');
    await page.goto(BASE + '/#/');
    await page.waitForSelector('#home-holds');
    await shot(page, 'home');
    const holds = await page.textContent('#home-holds');
    check(/1/.test(holds), 'the home page says what HQ holds', holds);

    /* ---- HQ corrects the model: a notice on the home page ----------------- */
    execFileSync(process.env.FIELDSYNCD_BIN, ['records', 'correct', '--db', process.env.FS_SDB,
      out.model, '--season', 'Đông xuân 2026–2027', '--reason', 'sửa mùa vụ'], { stdio: 'ignore' });
    await page.goto(BASE + '/#/sync');
    await page.waitForSelector('#sync-now');
    await page.click('#sync-now');
    await page.waitForSelector('#sync-outcome');
    await page.goto(BASE + '/#/');
    await page.waitForSelector('#home-holds');
    const news = await page.textContent('#notices').catch(() => '');
    check(/HQ đã sửa Ngô nếp — Salavan, Lao Ngam: .*Đông xuân 2026–2027.*sửa mùa vụ/.test(news),
      'after the sync the home page shows HQ\'s correction, the model named by crop and place, in Vietnamese', news);
    await shot(page, 'home-notice');
    await page.click('#notices button');
    await page.waitForFunction(() => !document.querySelector('#notices'));
    await page.reload();
    await page.waitForSelector('#home-holds');
    check(await page.$('#notices') === null, 'marked read (a CSRF-checked POST), it is not shown again');
    await page.goto(BASE + '/#/record/' + out.model);
    await page.waitForSelector('#history');
    const hist = await page.textContent('#history');
    check(/Nguyễn Văn Hùng/.test(hist) && /do HQ sửa/.test(hist) && /→ Đông xuân 2026–2027/.test(hist) &&
      /đã xác minh chữ ký và chuỗi/.test(hist),
      'the record page shows its history: the author by name, HQ\'s correction, verified', hist);
    await shot(page, 'history');

    /* ---- other languages --------------------------------------------------- */
    await page.goto(BASE + '/#/new/model');
    await page.waitForSelector('#f-crop');
    const vi = await page.textContent('label[for="f-province"]');
    await page.selectOption('#lang', 'lo');
    await page.waitForFunction((v) => document.querySelector('label[for="f-province"]') &&
      document.querySelector('label[for="f-province"]').textContent !== v, vi);
    const lo = await page.textContent('label[for="f-province"]');
    check(/[\u0e80-\u0eff]/.test(lo), 'switching to Lao changes the labels', lo);
    await shot(page, 'form-lo');
    await page.selectOption('#lang', 'en');
    await page.waitForFunction(() => /Province/.test(document.querySelector('label[for="f-province"]').textContent));
    check(true, 'switching to English changes the labels');
    await page.reload();
    await page.waitForSelector('#f-crop');
    check(await page.$eval('#lang', (s) => s.value) === 'en', 'the language choice is remembered');

    check(foreign.length === 0, 'nothing was loaded from another host', foreign.join('\n'));
    check(pageErrors.length === 0, 'no script errors', pageErrors.join('\n'));
  } catch (e) {
    if (lastPage) {
      const where = lastPage.url();
      const text = await lastPage.textContent('main').catch(() => '?');
      console.log('# at ' + where + ': ' + String(text).slice(0, 600));
      await lastPage.screenshot({ path: path.join(SHOTS, 'failure.png') }).catch(() => {});
    }
    throw e;
  } finally {
    fs.writeFileSync(process.env.FS_OUT, JSON.stringify(out));
    await context.close();
  }
  process.exit(failed ? 1 : 0);
}

main().catch(async (e) => {
  console.log('not ok - the browser test ran to its end');
  console.log('# ' + String(e.stack || e).replace(/\n/g, '\n# '));
  process.exit(1);
});
