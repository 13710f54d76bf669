// Browser tests of the update page (components/softap_ota/web/index.html): Debian's
// Chromium, driven by playwright-core, against `sota sim` on a loopback port.
// Run through tests/integration/test_e2e.sh, which sets SOTA, SOTA_TESTDATA, SOTA_TMPDIR
// and SOTA_ROOT. Screenshots of the main states go to $SOTA_ROOT/build/screenshots.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run tests/integration/test_e2e.sh (ctest sets it)`);
  return v;
}
const SOTA = need('SOTA');
const TESTDATA = need('SOTA_TESTDATA');
const TMP = path.join(need('SOTA_TMPDIR'), 'e2e');
const ROOT = process.env.SOTA_ROOT || path.resolve(import.meta.dirname, '../..');
const SHOTS = path.join(ROOT, 'build', 'screenshots');

const SLOT = 0x100000; // ota_0/ota_1 in partitions.csv
const FACTORY = { project: 'softap-ota', version: '0.1.0', partition: 'factory', name: 'the updater (factory)' };
const NAMES = { factory: FACTORY.name, ota_0: 'slot A (ota_0)', ota_1: 'slot B (ota_1)' };
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const testdata = (name) => path.join(TESTDATA, 'images', name);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/* --- the simulator ---------------------------------------------------------------- */

const sims = new Set();

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function status(sim) {
  try {
    const r = await fetch(`${sim.url}api/status`, { signal: AbortSignal.timeout(2000) });
    return r.ok ? await r.json() : null;
  } catch {
    return null;
  }
}

async function waitFor(what, fn, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

// A simulator with a fresh flash file (factory app only), answering on a free port.
async function startSim(name, args = []) {
  const port = await freePort();
  const flash = path.join(TMP, `${name}.flash.bin`);
  for (const f of [flash, `${flash}.nvs`]) fs.rmSync(f, { force: true });
  const proc = spawn(SOTA, ['sim', '--flash', flash, '--port', String(port), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const sim = { name, port, url: `http://127.0.0.1:${port}/`, proc, log: [], exited: null };
  proc.stdout.on('data', (d) => sim.log.push(d));
  proc.stderr.on('data', (d) => sim.log.push(d));
  proc.on('exit', (code, sig) => { sim.exited = sig || code; });
  sims.add(sim);
  try {
    await waitFor(`the simulator on port ${port}`, async () => sim.exited === null ? status(sim) : true, 20000);
    if (sim.exited !== null) throw new Error(`the simulator exited (${sim.exited})`);
  } catch (e) {
    await stopSim(sim);
    throw new Error(`${e.message}; its output:\n${Buffer.concat(sim.log)}`);
  }
  return sim;
}

// Stop the simulator's process group (it re-executes itself in place on reboot).
async function stopSim(sim, signal = 'SIGTERM') {
  if (sim.exited === null) {
    try { process.kill(-sim.proc.pid, signal); } catch { /* already gone */ }
    const end = Date.now() + 3000;
    while (sim.exited === null && Date.now() < end) await sleep(50);
    if (sim.exited === null) {
      try { process.kill(-sim.proc.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  sims.delete(sim);
}

process.on('exit', () => {
  for (const sim of sims) {
    try { process.kill(-sim.proc.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

/* --- test files ------------------------------------------------------------------- */

function makeImage(name, { version, project = FACTORY.project, size = 300000, chip = 'esp32' }) {
  const out = path.join(TMP, name);
  execFileSync(SOTA, ['image', 'make', '-o', out, '--version', version, '--project', project,
    '--size', String(size), '--chip', chip], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

// An ESP image header whose first segment loads at addr (a bootloader loads into RAM).
function header(addr, chip = 0) {
  const h = Buffer.alloc(0x400, 0);
  h[0] = 0xE9;
  h[1] = 3;
  h[3] = 0x20;
  h.writeUInt32LE(0x40080400, 4);
  h[8] = 0xEE;
  h.writeUInt16LE(chip, 12);
  h.writeUInt32LE(addr, 24);
  h.writeUInt32LE(0x100, 28);
  return h;
}

// What `idf.py merge-bin` / esptool merge_bin make: bootloader, partition table and app
// in one file, padded with 0xFF, meant to be written at flash address 0.
function merged(app, bootloaderAt) {
  const m = Buffer.alloc(0x10000 + app.length, 0xFF);
  header(0x3FFF0000).copy(m, bootloaderAt);
  m[0x8000] = 0xAA;
  m[0x8001] = 0x50;
  app.copy(m, 0x10000);
  return m;
}

/* --- the browser ------------------------------------------------------------------ */

let browser;
let app; // a valid image of the factory's project, for the refusal table

before(async () => {
  fs.mkdirSync(TMP, { recursive: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const f of fs.readdirSync(SHOTS)) if (f.startsWith('failed-')) fs.rmSync(path.join(SHOTS, f));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  app = fs.readFileSync(makeImage('app_0.1.1.bin', { version: '0.1.1', size: 120000 }));
});

after(async () => {
  await browser?.close();
  for (const sim of [...sims]) await stopSim(sim);
});

// Runs body(page, sim) against a fresh simulator and page; always cleans up.
async function withDevice(name, body, { route, args } = {}) {
  const sim = await startSim(name, args);
  const ctx = await browser.newContext({ viewport: DESKTOP });
  const page = await ctx.newPage();
  page.posts = [];
  page.checks = [];
  // uploads; the pre-checks (POST /api/check) are counted apart
  page.on('request', (r) => { if (r.method() === 'POST') (new URL(r.url()).pathname === '/api/check' ? page.checks : page.posts).push(r.url()); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  try {
    if (route) await page.route('**/api/status', route);
    await page.goto(sim.url);
    await page.locator('#net', { hasText: 'online' }).waitFor({ timeout: 10000 });
    await body(page, sim);
    assert.deepEqual(errors, [], 'the page threw');
  } catch (e) {
    await page.screenshot({ path: path.join(SHOTS, `failed-${name}.png`), fullPage: true }).catch(() => {});
    if (errors.length) e.message += `\n--- page errors ---\n${errors.join('\n')}`;
    e.message += `\n--- simulator output ---\n${Buffer.concat(sim.log).toString().slice(-3000)}`;
    throw e;
  } finally {
    await ctx.close();
    await stopSim(sim);
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `desktop-${name}.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: path.join(SHOTS, `phone-${name}.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

const text = (page, sel) => page.locator(sel).innerText();

// The verdict the page shows for a file, once the device answered its check.
async function verdictFor(page, name) {
  const check = page.locator('#check:is(.ok, .wa, .bad)');
  await check.locator('b', { hasText: name }).waitFor({ timeout: 5000 });
  return { text: await check.innerText(), cls: await check.getAttribute('class'), go: await page.locator('#go').isEnabled() };
}

// Each slot as "name|summary|roles", as the page shows it.
function slotTexts(page) {
  return page.locator('#slots .sl').evaluateAll((ds) => ds.map((d) => [...d.querySelectorAll('b, p')].map((e) => e.textContent).join('|')));
}

// Drops a file on the page as a user dragging it from a file manager would.
async function dropFile(page, name, bytes) {
  const dt = await page.evaluateHandle(([b64, n]) => {
    const d = new DataTransfer();
    d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], n));
    return d;
  }, [Buffer.from(bytes).toString('base64'), name]);
  for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('#drop', type, { dataTransfer: dt });
}

// The page ended (installed, refused, failed, lost, rolled back): a new file is taken at
// once, the same file again by the picker, another one dropped.
// online: the device answers, so a valid file can be installed at once.
async function takesNewFiles(page, again, other, online = true) {
  assert.ok(await page.locator('#file').isEnabled(), 'the file picker is enabled');
  await page.setInputFiles('#file', again);
  await page.locator('#prog').waitFor({ state: 'hidden', timeout: 5000 });
  await verdictFor(page, path.basename(again));
  await dropFile(page, 'dropped.bin', fs.readFileSync(other));
  const v = await verdictFor(page, 'dropped.bin');
  if (online) assert.ok(v.go, `a valid file dropped after the end can be installed: ${v.text}`);
  else assert.match(v.text, /did not answer/);
}

// Records every value body[data-phase] takes, in order, from now on.
async function recordPhases(page) {
  await page.evaluate(() => {
    window.__mo?.disconnect();
    window.__olds = [];
    window.__mo = new MutationObserver((rs) => rs.forEach((r) => window.__olds.push(r.oldValue)));
    window.__mo.observe(document.body, { attributes: true, attributeFilter: ['data-phase'], attributeOldValue: true });
  });
  return async () => {
    const seq = await page.evaluate(() => {
      window.__mo.takeRecords().forEach((r) => window.__olds.push(r.oldValue));
      return window.__olds.length ? [...window.__olds.slice(1), document.body.dataset.phase] : [];
    });
    return seq.filter((p, i) => p !== seq[i - 1]);
  };
}

async function waitEnd(page, ms = 45000) {
  await page.waitForFunction(() => ['online', 'error'].includes(document.body.dataset.phase), null, { timeout: ms });
  return page.evaluate(() => document.body.dataset.phase);
}

// Installs what is selected and checks the page and the device agree on the result.
// A resumed upload may go back from verify to upload (the browser had handed over the whole
// body before the connection dropped): resumed allows upload, verify pairs to repeat.
async function installAndCheck(page, sim, { version, partition, start = () => page.click('#go'), resumed = false }) {
  const phases = await recordPhases(page);
  await start();
  assert.equal(await waitEnd(page), 'online', `the update did not end online: ${await text(page, '#msg')}`);
  const seen = await phases();
  if (resumed) assert.match(seen.join(','), /^upload(,verify,upload)*,verify,reboot,online$/);
  else assert.deepEqual(seen, ['upload', 'verify', 'reboot', 'online']);
  assert.equal(await page.locator('#bar').evaluate((b) => b.value), 100);
  assert.match(await text(page, '#nums'), /^100% · /);
  assert.ok((await text(page, '#msg')).includes(`Back online: now running ${version} from ${NAMES[partition]}.`), await text(page, '#msg'));
  assert.equal(await text(page, '#version'), version);
  assert.ok((await text(page, '#running')).startsWith(NAMES[partition]));
  assert.ok(await page.locator('#check').isHidden(), 'the installed file is cleared');
  assert.ok(await page.locator('#go').isDisabled());
  const s = await status(sim);
  assert.equal(s.version, version);
  assert.equal(s.running_partition, partition);
  assert.equal(s.last_update?.ok, true);
}

// Switches to the slot holding version from the slot list, confirming the question, and
// checks the page and the device agree on the result.
async function switchAndCheck(page, sim, version, partition) {
  const phases = await recordPhases(page);
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await page.getByRole('button', { name: `Switch back to ${version}` }).click();
  assert.equal(await waitEnd(page), 'online', `the switch did not end online: ${await text(page, '#msg')}`);
  assert.match(asked, new RegExp(`^Switch to .* ${version.replace(/\./g, '\\.')} in ${NAMES[partition].replace(/[()]/g, '\\$&')}\\? The device restarts into it\\.$`));
  assert.deepEqual(await phases(), ['verify', 'reboot', 'online']);
  assert.ok((await text(page, '#msg')).includes(`Back online: now running ${version} from ${NAMES[partition]}.`), await text(page, '#msg'));
  assert.ok(await page.locator('#bar').isHidden(), 'a switch shows no upload bar');
  assert.equal(await text(page, '#version'), version);
  const s = await status(sim);
  assert.equal(s.version, version);
  assert.equal(s.running_partition, partition);
  assert.equal(s.last_update?.ok, true);
}

/* --- the tests -------------------------------------------------------------------- */

test('shows the device and installs an update chosen with the file picker', async () => {
  await withDevice('picker', async (page, sim) => {
    const s = await status(sim);
    assert.equal(await text(page, '#project'), FACTORY.project);
    assert.equal(await text(page, '#version'), FACTORY.version);
    assert.match(await text(page, '#chip'), /^esp32 v\d+\.\d+$/);
    assert.equal(await text(page, '#running'), FACTORY.name);
    assert.equal(s.next_partition, 'ota_0');
    assert.equal(await text(page, '#target'), 'Installs to slot A (ota_0), up to 1.00 MB. The running app stays in the updater (factory).');
    assert.equal(await text(page, '#last'), 'none recorded');
    assert.equal(await text(page, '#wifi'), 'open network, no password');
    assert.equal(await text(page, '#auth'), 'no password: anyone on this Wi-Fi can update');
    assert.deepEqual(await slotTexts(page), [
      'the updater (factory)|softap-ota 0.1.0|runs now',
      'slot A (ota_0)|empty|the next upload goes here',
      'slot B (ota_1)|empty|',
    ]);
    assert.equal(await page.locator('#slots button').count(), 0, 'nothing to switch to yet');
    await shot(page, '1-idle');

    const img = makeImage('picker_0.2.0.bin', { version: '0.2.0' });
    await page.getByLabel(/Choose the app \.bin/).setInputFiles(img);
    const v = await verdictFor(page, 'picker_0.2.0.bin');
    assert.match(v.text, /This is an app image for esp32 \(project "softap-ota", version "0\.2\.0"\)\./);
    assert.equal(v.cls, 'n ok');
    assert.ok(v.go, 'Install is enabled for a valid image');
    await shot(page, '2-file-ok');

    await installAndCheck(page, sim, { version: '0.2.0', partition: 'ota_0' });
    assert.equal(page.posts.length, 1);
    await shot(page, '5-online');
  });
});

test('writes a LittleFS image from the page and shows it in the storage list; asks which of two fat partitions', async () => {
  const csv = path.join(TMP, 'fs.csv');
  fs.writeFileSync(csv, fs.readFileSync(path.join(ROOT, 'partitions.csv'), 'utf8') +
    'storage,  data, littlefs, 0x310000, 32K,\nfat1,     data, fat,      0x320000, 64K,\nfat2,     data, fat,      0x330000, 64K,\n');
  const fixture = (n) => path.join(ROOT, 'tests', 'fixtures', 'fs', n);
  await withDevice('storage', async (page, sim) => {
    const storageTexts = () => page.locator('#fs .sl').evaluateAll((ds) => ds.map((d) => [...d.querySelectorAll('b, p')].map((e) => e.textContent).join('|')));
    assert.deepEqual(await storageTexts(), [
      'storage (littlefs, 32 KB)|storage storage holds nothing (erased)',
      'fat1 (fat, 64 KB)|storage fat1 holds nothing (erased)',
      'fat2 (fat, 64 KB)|storage fat2 holds nothing (erased)',
    ]);
    const sent = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname === '/update') sent.push({ url: r.url(), sha: r.headers()['x-sota-sha256'] }); });

    const lfs = fixture('littlefs_32k.bin');
    await page.getByLabel(/Choose the app \.bin/).setInputFiles(lfs);
    const v = await verdictFor(page, 'littlefs_32k.bin');
    assert.match(v.text, /This is a LittleFS filesystem image \(4096-byte blocks, 8 blocks: 32 KiB, disk version 2\.1\), for a data partition\. It goes to the littlefs partition "storage" \(32 KiB\)\./);
    assert.ok(v.go, `Install is enabled for it: ${v.text}`);
    await page.click('#go');
    assert.equal(await waitEnd(page), 'online', `the update did not end online: ${await text(page, '#msg')}`);
    assert.match(await text(page, '#msg'), /Back online: storage holds the new image\./);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].sha, createHash('sha256').update(fs.readFileSync(lfs)).digest('hex'), 'X-Sota-SHA256 is the file\'s');
    await page.locator('#fs .sl', { hasText: 'a littlefs filesystem' }).waitFor({ timeout: 5000 });
    assert.match((await storageTexts())[0], /^storage \(littlefs, 32 KB\)\|storage storage holds a littlefs filesystem \(4096-byte blocks, 8 blocks: 32 KiB, disk version 2\.1\)$/);
    assert.equal(await text(page, '#version'), FACTORY.version, 'the app is unchanged');
    const s = await status(sim);
    assert.deepEqual(s.storage.map((x) => `${x.label} ${x.state} ${x.content}`), ['storage complete littlefs', 'fat1 complete erased', 'fat2 complete erased']);
    assert.match(s.last_update.message, /wrote the littlefs image \(32768 bytes/);
    await shot(page, '7-storage');

    // two fat partitions: the page asks which (?partition=), the device checks again
    let asked = '';
    page.once('dialog', (d) => { asked = d.message(); d.accept('fat2'); });
    await page.setInputFiles('#file', fixture('fat_64k.bin'));
    const f = await verdictFor(page, 'fat_64k.bin');
    assert.match(asked, /2 fat partitions \(fat1 and fat2\)/);
    assert.match(f.text, /It goes to the fat partition "fat2" \(64 KiB\)\./);
    await page.click('#go');
    assert.equal(await waitEnd(page), 'online', await text(page, '#msg'));
    assert.match(sent[1].url, /\/update\?partition=fat2$/);
    await page.locator('#fs .sl', { hasText: 'fat2 holds a fat filesystem' }).waitFor({ timeout: 5000 });
    assert.deepEqual((await status(sim)).storage.map((x) => x.content), ['littlefs', 'erased', 'fat']);

    // a filesystem upload the device refuses after writing (here its answer replaced by a
    // 422): the page does not only say the app is unchanged, it points to Storage
    await page.route('**/update*', (r) => r.fulfill({ status: 422, contentType: 'application/json',
      body: JSON.stringify({ error: 'verify_failed', message: 'The littlefs image read back differs.' }) }));
    await page.setInputFiles('#file', lfs);
    await verdictFor(page, 'littlefs_32k.bin');
    await page.click('#go');
    assert.equal(await waitEnd(page), 'error', await text(page, '#msg'));
    const failed = await text(page, '#msg');
    assert.match(failed, /^The device refused the update \(HTTP 422\)\./, failed);
    assert.match(failed, /The littlefs image read back differs\./, failed);
    assert.match(failed, /Storage shows its state\.$/, failed);
    await page.unroute('**/update*');
  }, { args: ['--ptable', csv] });
});

test('installs a file dropped on the page, started from the keyboard', async () => {
  await withDevice('drop', async (page, sim) => {
    const bytes = fs.readFileSync(testdata('c02_valid_esp32_100k.bin'));
    const dt = await page.evaluateHandle((b64) => {
      const d = new DataTransfer();
      d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'oracle_app.bin'));
      return d;
    }, bytes.toString('base64'));
    for (const type of ['dragenter', 'dragover']) await page.dispatchEvent('#drop', type, { dataTransfer: dt });
    assert.match(await page.locator('#drop').getAttribute('class'), /over/);
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
    const v = await verdictFor(page, 'oracle_app.bin');
    assert.match(v.text, /project "oracle_app", version "1\.0\.0"/);
    assert.match(v.text, /Project "oracle_app", but this device runs "softap-ota"/);
    assert.equal(v.cls, 'n wa');
    assert.ok(v.go);
    await shot(page, '3-file-warning');

    // keyboard only: the file input, then Install
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'file');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'go');
    await installAndCheck(page, sim, { version: '1.0.0', partition: 'ota_0', start: () => page.keyboard.press('Enter') });
  });
});

test('refuses before upload what the device would refuse, and says what to pick', async () => {
  await withDevice('refuse', async (page, sim) => {
    const file = (name) => fs.readFileSync(testdata(name));
    const pad = (n) => Buffer.concat([app, Buffer.alloc(n - app.length)]);
    const elf = Buffer.alloc(0x200);
    elf.write('\x7fELF\x01\x01\x01', 0, 'latin1');
    const table = Buffer.alloc(0xC00, 0xFF);
    table.write('\xaa\x50\x01\x02', 0, 'latin1');
    const cases = [
      // [name, bytes, what the page says, what it suggests]
      ['merged-esp32.bin', merged(app, 0x1000), /merged flash image for esp32 .*write_flash 0x0 FILE/, /only the app can be replaced.*without "factory" or "merged"/],
      ['merged-esp32-at0.bin', merged(app, 0), /merged flash image for esp32 .*write_flash 0x1000 FILE/, /only the app can be replaced/],
      ['part-esp32.bin', merged(Buffer.alloc(0), 0x1000), /bootloader and partition table without an app/, /only the app can be replaced/],
      ['boot_app0.bin', Buffer.alloc(0x2000, 0xFF), /otadata image/, /only the app can be replaced/],
      ['app.elf', elf, /This is an ELF file/, /Upload the \.bin made from it/],
      ['c27_wrong_chip_id.bin', file('c27_wrong_chip_id.bin'), /app image for esp32c3, but this device is an esp32\./, /idf\.py set-target esp32\)/],
      ['c03_valid_esp32s3_250k.bin', file('c03_valid_esp32s3_250k.bin'), /app image for esp32s3/, /set-target esp32\)/],
      ['c38_too_big_for_1M_slot.bin', file('c38_too_big_for_1M_slot.bin'), /The app is 1433712 bytes but the app slot holds 1048576 bytes/, /smaller/],
      ['slot-plus-1.bin', pad(SLOT + 1), /The app is 1048577 bytes but/, /smaller/],
      ['bootloader.bin', header(0x3FFF0000), /second-stage bootloader of esp32/, /only the app can be replaced/],
      ['partition-table.bin', table, /partition table/, /app image/],
      ['app.bin.gz', Buffer.from([0x1F, 0x8B, 8, 0, 0, 0, 0, 0]), /gzip/, /Decompress it/],
      ['c36_empty.bin', file('c36_empty.bin'), /The file is empty/, /app image/],
      ['c39_all_ff_64k.bin', file('c39_all_ff_64k.bin'), /all 0xFF/, /app image/],
      ['c10_bad_magic.bin', file('c10_bad_magic.bin'), /not an ESP app image: it starts with e8 05 02 20/, /app image/],
      ['c07_valid_esp32_nohash.bin', file('c07_valid_esp32_nohash.bin'), /no appended SHA-256/, /--dont-append-digest/],
    ];
    for (const [name, buffer, says, suggests] of cases) {
      await page.setInputFiles('#file', { name, mimeType: 'application/octet-stream', buffer });
      const v = await verdictFor(page, name);
      assert.equal(v.cls, 'n bad', `${name}: refused`);
      assert.match(v.text, says, name);
      assert.match(v.text, suggests, name);
      assert.equal(v.go, false, `${name}: Install stays disabled`);
      await page.click('#go', { force: true }); // a click on the disabled button sends nothing
      if (name === 'merged-esp32.bin') await shot(page, '4-refused-merged');
    }
    // an app without app description (Arduino-ESP32 1.x) is accepted, and said to carry no version
    await page.setInputFiles('#file', { name: 'arduino1.bin', mimeType: 'application/octet-stream', buffer: file('c08_bad_appdesc_magic.bin') });
    const a = await verdictFor(page, 'arduino1.bin');
    assert.equal(a.cls, 'n wa', a.text);
    assert.match(a.text, /no version information/);
    assert.ok(a.go);
    // the limit: a file exactly as large as the slot is accepted
    await page.setInputFiles('#file', { name: 'slot-exact.bin', mimeType: 'application/octet-stream', buffer: pad(SLOT) });
    const v = await verdictFor(page, 'slot-exact.bin');
    assert.notEqual(v.cls, 'n bad', v.text);
    assert.ok(v.go);

    await sleep(300);
    assert.deepEqual(page.posts, [], 'nothing was uploaded');
    assert.equal(page.checks.length, cases.length + 2, 'each file was checked by the device once');
    const s = await status(sim);
    assert.equal(s.received, 0, 'the device counts no upload');
    assert.equal(s.update_state, 'idle');
    assert.equal(s.last_update, null);
    assert.equal(s.version, FACTORY.version);
  });
});

test('shows the device\'s reason when it refuses an image; a valid upload then works', async () => {
  await withDevice('device-refuses', async (page, sim) => {
    const cases = [
      ['c14_flip_payload_byte.bin', /checksum/i],
      ['c18_flip_sha_byte.bin', /SHA-256|hash/i],
    ];
    for (const [name, reason] of cases) {
      await page.setInputFiles('#file', testdata(name));
      const v = await verdictFor(page, name);
      assert.ok(v.go, `${name} passes the page's checks (only the device sees the damage)`);
      const phases = await recordPhases(page);
      await page.click('#go');
      assert.equal(await waitEnd(page), 'error', name);
      assert.deepEqual(await phases(), ['upload', 'verify', 'error'], name);
      const s = await status(sim);
      assert.equal(s.last_update?.ok, false, name);
      assert.match(s.last_update.message, reason, name);
      const msg = await text(page, '#msg');
      assert.match(msg, /^The device refused the update \(HTTP 422\)\./, name);
      assert.ok(msg.includes(s.last_update.message), `${name}: the page shows the device's message:\n${msg}`);
      assert.match(msg, /build or download it again/, `${name}: the device says what to do`);
      assert.match(msg, /The running app is unchanged\.$/, name);
      assert.equal(s.version, FACTORY.version, name);
      assert.equal(s.running_partition, FACTORY.partition, name);
      await page.locator('#last', { hasText: s.last_update.message }).waitFor();
      assert.equal(await text(page, '#version'), FACTORY.version);
      if (name.startsWith('c14')) await shot(page, '6-device-refused');
    }
    await page.setInputFiles('#file', makeImage('after_refusal_0.3.0.bin', { version: '0.3.0' }));
    await verdictFor(page, 'after_refusal_0.3.0.bin');
    await installAndCheck(page, sim, { version: '0.3.0', partition: 'ota_0' });
  });
});

test('a device that goes away mid-upload: the page tries to resume, Cancel ends it with a clear message', async () => {
  await withDevice('lost', async (page, sim) => {
    // Slow the upload down so that the simulator can be killed in the middle of it.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions',
      { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 128 * 1024 });
    await page.setInputFiles('#file', testdata('c05_valid_esp32_1000k.bin'));
    await verdictFor(page, 'c05_valid_esp32_1000k.bin');
    await page.click('#go');
    await page.waitForFunction(() => document.getElementById('bar').value >= 20, null, { timeout: 20000 });
    assert.equal(await page.evaluate(() => document.body.dataset.phase), 'upload');
    assert.match(await text(page, '#nums'), /^\d+% · [\d.]+ KB of 968 KB · [\d.]+ KB\/s · \d+ s left$/);
    await shot(page, '7-uploading');

    await stopSim(sim, 'SIGKILL');
    // it tries to resume (for 90 s at most, with back-off) and says so; Cancel ends it
    await page.locator('#msg', { hasText: /^Connection lost at \d+%, resuming…/ }).waitFor({ timeout: 25000 });
    assert.match(await text(page, '#msg'), /Check that you are on the device's Wi-Fi\./);
    assert.equal(await page.evaluate(() => document.body.dataset.phase), 'upload');
    await page.waitForTimeout(2000); // a few status polls fail meanwhile
    assert.equal(await page.evaluate(() => document.body.dataset.phase), 'upload', 'still resuming');
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await waitEnd(page, 5000), 'error');
    const msg = await text(page, '#msg');
    assert.match(msg, /^Upload cancelled after [\d.]+ KB of 968 KB\./);
    assert.match(msg, /The running app is unchanged\. Press Install to retry\./);
    assert.ok(await page.locator('#stop').isHidden(), 'no Cancel once it ended');
    assert.equal(await page.locator('#steps li').first().getAttribute('class'), 'bad');
    assert.ok(await page.locator('#go').isEnabled(), 'Install is available again to retry');
    assert.doesNotMatch(await text(page, '#nums'), /left/, 'no time left is shown for a dead upload');
    await page.locator('#net', { hasText: 'not answering' }).waitFor({ timeout: 10000 });
    await shot(page, '8-connection-lost');
    // the device is gone: the file is still taken, and the page says the device did not answer
    await takesNewFiles(page, testdata('c05_valid_esp32_1000k.bin'), testdata('c02_valid_esp32_100k.bin'), false);
  });
});

// What the page computes as the resume proof is the SHA-256 Node computes.
test('the page\'s SHA-256 (plain http has no crypto.subtle) matches Node\'s', async () => {
  await withDevice('sha', async (page) => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 4095, 4096]) {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = (i * 131 + 7) & 255;
      const got = await page.evaluate((a) => sha256(new Uint8Array(a)), [...b]);
      assert.equal(got, createHash('sha256').update(b).digest('hex'), `${n} bytes`);
    }
  });
});

test('resumes an upload whose connection drops, again and again, and ends on the new version', async () => {
  // The simulator drops upload bodies after 300,000, then 200,000, then 100,000 bytes, as a
  // phone leaving the access point would. Chromium may itself send a request again once on
  // a new connection after a reset (then the device discards the kept upload and starts
  // over); whatever it does, the page resumes until the file is in.
  await withDevice('resume', async (page, sim) => {
    const heads = [];
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/update')) heads.push(r.headers()); });
    const seen = [];
    await page.exposeFunction('__msg', (t) => seen.push(t));
    await page.evaluate(() => new MutationObserver(() => window.__msg(document.getElementById('msg').innerText))
      .observe(document.getElementById('msg'), { childList: true, subtree: true }));
    const img = makeImage('resume_0.3.0.bin', { version: '0.3.0', size: 900000 });
    await page.setInputFiles('#file', img);
    await verdictFor(page, 'resume_0.3.0.bin');
    assert.ok(await page.locator('#stop').isHidden(), 'no Cancel before an upload');
    await installAndCheck(page, sim, { version: '0.3.0', partition: 'ota_0', resumed: true });
    const log = Buffer.concat(sim.log).toString();
    const cuts = (log.match(/simulated connection loss/g) || []).length;
    const resumed = (log.match(/resuming the interrupted upload at/g) || []).length;
    assert.equal(cuts, 3, 'all three cuts happened');
    assert.ok(resumed >= 1, `the device resumed the upload (${resumed} times)`);
    const ranges = heads.slice(1).map((h) => h['content-range']);
    assert.equal(heads[0]['content-range'], undefined, 'the first upload sends the whole file');
    assert.equal(ranges.length, resumed, `one ranged request per resume: ${ranges}`);
    const total = fs.statSync(img).size;
    const proof = createHash('sha256').update(fs.readFileSync(img).subarray(0, 4096)).digest('hex');
    for (const h of heads.slice(1)) {
      assert.match(h['content-range'], new RegExp(`^bytes [1-9]\\d*-${total - 1}/${total}$`));
      assert.equal(h['x-sota-head-sha256'], proof, 'the proof is the SHA-256 of the first 4096 bytes');
    }
    // (the browser counts bytes handed to the socket: the percentage shown can be past the cut)
    assert.equal(seen.filter((t) => /^Connection lost at \d+%, resuming…/.test(t)).length, resumed, seen.join(' | '));
    assert.ok(await page.locator('#stop').isHidden(), 'no Cancel once it ended');
    const slot = Buffer.alloc(total);
    const fd = fs.openSync(path.join(TMP, 'resume.flash.bin'), 'r');
    fs.readSync(fd, slot, 0, total, 0x110000); // ota_0 in partitions.csv
    fs.closeSync(fd);
    assert.ok(slot.equals(fs.readFileSync(img)), 'ota_0 holds exactly the uploaded file');
  }, { args: ['--cut-upload', '300000,200000,100000', '--health-delay', '100'] });
});

test('inserts device and file strings as text, and fits a 320 px screen', async () => {
  const evil = '<img id=x1 src=x onerror=window.__p=1>';
  const route = async (r) => {
    const res = await r.fetch();
    const j = await res.json();
    j.project = evil;
    j.last_update = { ok: false, message: '<b id=x2>not bold</b>' };
    await r.fulfill({ response: res, json: j });
  };
  await withDevice('text', async (page) => {
    assert.equal(await text(page, '#project'), evil);
    assert.match(await text(page, '#last'), /<b id=x2>not bold<\/b>/);
    const img = Buffer.from(app);
    img.fill(0, 0x50, 0x70);
    img.write('<img src=x onerror=__p=2>', 0x50, 'latin1');
    await page.setInputFiles('#file', { name: '<i>x</i>.bin', mimeType: 'application/octet-stream', buffer: img });
    const v = await verdictFor(page, '<i>x</i>.bin');
    assert.match(v.text, /Project "<img src=x onerror=__p=2>", but this device runs "softap-ota"/);
    assert.equal(await page.locator('img, #x1, #x2').count(), 0, 'no markup was created');
    assert.equal(await page.evaluate(() => window.__p), undefined);

    await page.setViewportSize({ width: 320, height: 640 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), 'no horizontal scrolling at 320 px');
    for (const sel of ['#drop', '#go']) {
      const box = await page.locator(sel).boundingBox();
      assert.ok(box.height >= 44 && box.width >= 200, `${sel} is a large touch target`);
    }
    const fontPx = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    assert.ok(fontPx >= 16);
  }, { route });
});

test('updates a second and a third time from the same page, then switches back and forth', async () => {
  await withDevice('again', async (page, sim) => {
    const img = (v) => makeImage(`again_${v}.bin`, { version: v });
    await page.setInputFiles('#file', img('0.2.0'));
    await verdictFor(page, 'again_0.2.0.bin');
    await installAndCheck(page, sim, { version: '0.2.0', partition: 'ota_0' });

    // a second file with the picker, at once
    await page.setInputFiles('#file', img('0.3.0'));
    assert.ok((await verdictFor(page, 'again_0.3.0.bin')).go, 'Install is enabled for the second file');
    assert.ok(await page.locator('#prog').isHidden(), 'the last result makes room for the new file');
    await installAndCheck(page, sim, { version: '0.3.0', partition: 'ota_1' });
    // a third, dropped
    await dropFile(page, 'again_0.4.0.bin', fs.readFileSync(img('0.4.0')));
    await verdictFor(page, 'again_0.4.0.bin');
    await installAndCheck(page, sim, { version: '0.4.0', partition: 'ota_0' });
    assert.equal(page.posts.length, 3, 'three uploads, no reload');

    // what is where, and the record once the app has confirmed: no "boots next"
    await page.locator('#last', { hasText: 'passed its health check' }).waitFor({ timeout: 12000 });
    assert.match(await text(page, '#last'), /^\u2713 installed softap-ota 0\.4\.0 \(\d+ bytes\), verified; now runs from slot A \(ota_0\); it passed its health check and is confirmed$/);
    assert.deepEqual(await slotTexts(page), [
      'the updater (factory)|softap-ota 0.1.0|',
      'slot A (ota_0)|softap-ota 0.4.0|runs now',
      'slot B (ota_1)|softap-ota 0.3.0|the next upload goes here',
    ]);
    assert.deepEqual(await page.locator('#slots button').allInnerTexts(), ['Switch back to 0.1.0', 'Switch back to 0.3.0']);
    await shot(page, '9-slots');

    // no switch without confirmation
    page.once('dialog', (d) => d.dismiss());
    await page.getByRole('button', { name: 'Switch back to 0.3.0' }).click();
    await sleep(500);
    assert.equal(page.posts.length, 3, 'a dismissed question sends nothing');
    assert.equal((await status(sim)).running_partition, 'ota_0');

    // back and forth, then to the updater
    await switchAndCheck(page, sim, '0.3.0', 'ota_1');
    await switchAndCheck(page, sim, '0.4.0', 'ota_0');
    await switchAndCheck(page, sim, '0.1.0', 'factory');
    assert.deepEqual(await page.locator('#slots button').allInnerTexts(), ['Switch back to 0.4.0', 'Switch back to 0.3.0']);
    // and a new file is taken at once after a switch
    await takesNewFiles(page, img('0.5.0'), img('0.6.0'));
  });
});

test('takes a new file at once after a refusal and after a rollback', async () => {
  const good = makeImage('end_0.2.0.bin', { version: '0.2.0' });
  // refused by the device (checksum)
  await withDevice('end-refused', async (page) => {
    await page.setInputFiles('#file', testdata('c14_flip_payload_byte.bin'));
    await verdictFor(page, 'c14_flip_payload_byte.bin');
    await page.click('#go');
    assert.equal(await waitEnd(page), 'error');
    await takesNewFiles(page, testdata('c14_flip_payload_byte.bin'), good);
  });
  // a new app that fails its health check: the device goes back to the updater
  await withDevice('end-rolled-back', async (page, sim) => {
    await page.setInputFiles('#file', good);
    await verdictFor(page, 'end_0.2.0.bin');
    await page.click('#go');
    assert.equal(await waitEnd(page, 60000), 'error');
    assert.match(await text(page, '#msg'), /^The device restarted but runs 0\.1\.0 from the updater \(factory\)\./);
    const s = await status(sim);
    assert.equal(s.running_partition, 'factory');
    await page.locator('#slots .sl', { hasText: 'failed or was rolled back' }).waitFor({ timeout: 10000 });
    await takesNewFiles(page, good, makeImage('end_0.3.0.bin', { version: '0.3.0' }));
  }, { args: ['--health', 'fail', '--health-delay', '300'] });
});

test('shows the device\'s JSON errors, those of its HTTP server included', async () => {
  await withDevice('json-errors', async (page, sim) => {
    const img = makeImage('json_0.2.0.bin', { version: '0.2.0' });
    await page.setInputFiles('#file', img);
    assert.ok((await verdictFor(page, 'json_0.2.0.bin')).go);
    // a cookie larger than the device's header limit: its HTTP server refuses every request (431)
    await page.context().addCookies([{ name: 'big', value: 'x'.repeat(1200), url: sim.url }]);
    await page.locator('#net', { hasText: 'headers are larger than this device takes' }).waitFor({ timeout: 10000 });
    await page.click('#go');
    assert.equal(await waitEnd(page), 'error');
    const msg = await text(page, '#msg');
    assert.match(msg, /^The device refused the update \(HTTP 431\)\./);
    assert.match(msg, /the request's headers are larger than this device takes \(1024 bytes\)/);
    await shot(page, '10-server-error');
    // the device's check of a file is refused the same way, and says so
    await page.setInputFiles('#file', img);
    const v = await verdictFor(page, 'json_0.2.0.bin');
    assert.match(v.text, /the request's headers are larger than this device takes/);
    assert.equal(v.go, false);
    await page.context().clearCookies();
    await page.locator('#net', { hasText: 'online' }).waitFor({ timeout: 10000 });
    assert.equal((await status(sim)).received, 0, 'nothing was received');
  });
});

test('uses the width of a desktop and keeps one column on a phone', async () => {
  await withDevice('layout', async (page) => {
    const box = (id) => page.locator(`section[aria-labelledby=${id}]`).boundingBox();
    let [dev, slots, upload] = [await box('hd'), await box('hs'), await box('hf')];
    assert.ok(upload.x >= dev.x + dev.width, 'the upload is beside the device');
    assert.ok(Math.abs(upload.y - dev.y) < 2, 'both start at the same height');
    assert.equal(slots.x, dev.x, 'the slots are under the device');
    assert.ok(slots.y > dev.y);
    assert.ok(dev.width > 500, 'the columns use the width');
    for (const width of [375, 320]) {
      await page.setViewportSize({ width, height: 740 });
      [dev, slots, upload] = [await box('hd'), await box('hs'), await box('hf')];
      assert.equal(upload.x, dev.x, `${width} px: one column`);
      assert.ok(upload.y > slots.y && slots.y > dev.y, `${width} px: device, slots, then the upload`);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `${width} px: no horizontal scrolling`);
    }
  });
});
