/**
 * Playwright configuration: Galata's defaults, Debian's Chromium, no video.
 *
 * No browser is ever downloaded (./chromium.js). Galata's default video recording needs
 * Playwright's own ffmpeg download, so it is off; screenshots work.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

module.exports = {
  ...baseConfig,
  // The tests; bench/ holds the rendering benchmark, which `python -m bench` runs.
  testDir: './tests',
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    video: 'off',
    launchOptions: require('./chromium')
  },
  // The views' looks first, on the fresh demo (tests/views.*), then the demo's journeys,
  // then an outage of the demo's bucket (tests/outage.*), and the demo under a policy that
  // requires signed files (tests/signed.*).
  // `--no-deps` runs a demo test without the views first.
  projects: [
    { name: 'views', testMatch: /views\.spec\.ts$/ },
    {
      name: 'demo',
      testIgnore: /(signed|views|outage)\.spec\.ts$/,
      dependencies: ['views']
    },
    // The read bucket's server stopped and started again: after every other demo test.
    {
      name: 'outage',
      testMatch: /outage\.spec\.ts$/,
      dependencies: ['demo']
    },
    {
      name: 'require-signed',
      testMatch: /signed\.spec\.ts$/,
      use: { baseURL: 'http://localhost:8889' }
    }
  ],
  webServer: [
    {
      command: 'jlpm start',
      url: 'http://localhost:8888/lab',
      timeout: 180 * 1000,
      reuseExistingServer: !process.env.CI
    },
    {
      command: 'jlpm start:signed',
      url: 'http://localhost:8889/lab',
      timeout: 180 * 1000,
      reuseExistingServer: !process.env.CI
    }
  ]
};
