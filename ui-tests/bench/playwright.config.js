/**
 * Playwright configuration of the rendering benchmark, which `python -m bench render` runs
 * (`make bench` too). `make test-ui` never runs it: ../playwright.config.js looks in
 * ../tests only (and this spec is named render.bench.ts besides).
 *
 * The benchmark starts its own Jupyter server (a free port, a token) and says where through
 * the environment; there is no webServer here. The token goes in a header of every request,
 * the browser's and those of Galata's `request` fixture. Debian's Chromium, no video, as in
 * ../playwright.config.js.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const url = process.env.AIRLOCK_BENCH_URL;
const token = process.env.AIRLOCK_BENCH_TOKEN;
if (!url || !token) {
  throw new Error(
    'AIRLOCK_BENCH_URL and AIRLOCK_BENCH_TOKEN are unset: run `python -m bench render`, ' +
      'which starts the servers and sets them'
  );
}

module.exports = {
  ...baseConfig,
  testDir: '.',
  testMatch: 'render.bench.ts',
  outputDir: process.env.AIRLOCK_BENCH_OUTPUT_DIR || '../test-results/bench',
  reporter: [['list']],
  // Walking 100,000 objects on moto page by page takes minutes.
  timeout: 30 * 60 * 1000,
  retries: 0,
  workers: 1,
  use: {
    ...baseConfig.use,
    baseURL: url,
    extraHTTPHeaders: { Authorization: `token ${token}` },
    trace: 'off',
    video: 'off',
    launchOptions: require('../chromium')
  }
};
