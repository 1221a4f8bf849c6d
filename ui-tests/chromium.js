/**
 * How Playwright starts Debian's Chromium, for the UI tests and the rendering benchmark.
 *
 * No browser is ever downloaded: Playwright drives /usr/bin/chromium (or CHROMIUM_PATH).
 */
module.exports = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync'
  ]
};
