/**
 * The read bucket's server stops and comes back (the demo's S3 server, stopped and started
 * through the demo's outage signals, demo/outage.py). Runs last (the `outage` project).
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

const PANEL_ID = 'jp-airlock-panel';
// Where the demo `jlpm start` runs writes its process id.
const PID_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  '.demo',
  'ui-tests',
  'demo.pid'
);
// Starting the S3 server again and seeding its bucket.
const RESTART_TIMEOUT = 60_000;
// The probe's own retries after a failure: 5, 10, 20, then every 30 s.
const RECOVERY_TIMEOUT = 45_000;

/**
 * Stop (`SIGUSR1`) or start again (`SIGUSR2`) the demo's S3 server.
 */
function s3(signal: 'SIGUSR1' | 'SIGUSR2'): void {
  process.kill(Number(fs.readFileSync(PID_FILE, 'utf-8').trim()), signal);
}

/**
 * Whether the server lists the bucket's root now (stopped: no; back: its folders).
 */
async function bucketAnswers(
  request: APIRequestContext,
  baseURL: string
): Promise<boolean> {
  const answer = await request.get(`${baseURL}/airlock/artifacts`);
  return answer.ok() && (await answer.json()).folders.includes('wheels/');
}

test.describe('An outage of the read bucket', () => {
  test.afterAll(async ({ request, baseURL }) => {
    s3('SIGUSR2'); // whatever happened, the bucket is back for whoever comes next
    await expect
      .poll(() => bucketAnswers(request, baseURL!), {
        timeout: RESTART_TIMEOUT
      })
      .toBe(true);
  });

  test('one message per cause, the status bar and Mirror follow, the probe and Refresh recover', async ({
    page,
    request,
    baseURL
  }) => {
    test.setTimeout(RESTART_TIMEOUT * 2 + RECOVERY_TIMEOUT + 60_000);
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const artifacts = panel.locator('[data-section="artifacts"]');
    const rows = panel.getByTestId('airlock-artifact-row');
    const status = page.getByTestId('airlock-status-item');
    const health = panel.getByTestId('airlock-mirror-health');
    await expect(rows.filter({ hasText: 'wheels/' })).toBeVisible();
    await expect(status).toHaveText('Mirror: demo ✓');

    s3('SIGUSR1');
    await expect.poll(() => bucketAnswers(request, baseURL!)).toBe(false);
    await panel.getByTitle('Refresh').click();

    const errors = artifacts.locator('.jp-Airlock-error');
    await expect(errors).toHaveCount(1);
    await expect(errors).toContainText(
      'refused the connection: nothing listens there. Is the server running?'
    );
    await expect(artifacts).not.toContainText('This folder is empty');
    await expect(status).toHaveText('Mirror: demo ✗');
    await expect(health).toContainText('1 of 2 unreachable');
    // The probe's cause gives the same advice as the folder's error.
    await expect(
      panel.getByRole('list', { name: 'Connectivity' })
    ).toContainText(
      'refused the connection: nothing listens there. Is the server running?'
    );

    // Back, without a click: the probe tries again on its own and the folder returns.
    s3('SIGUSR2');
    await expect
      .poll(() => bucketAnswers(request, baseURL!), {
        timeout: RESTART_TIMEOUT
      })
      .toBe(true);
    await expect(status).toHaveText('Mirror: demo ✓', {
      timeout: RECOVERY_TIMEOUT
    });
    await expect(health).toContainText('All 2 endpoints answered');
    await expect(rows.filter({ hasText: 'wheels/' })).toBeVisible();
    await expect(errors).toHaveCount(0);

    // Down and back again: Refresh probes at once.
    s3('SIGUSR1');
    await expect.poll(() => bucketAnswers(request, baseURL!)).toBe(false);
    await panel.getByTitle('Refresh').click();
    await expect(status).toHaveText('Mirror: demo ✗');
    s3('SIGUSR2');
    await expect
      .poll(() => bucketAnswers(request, baseURL!), {
        timeout: RESTART_TIMEOUT
      })
      .toBe(true);
    const probed = page.waitForRequest(
      sent =>
        sent.method() === 'POST' &&
        sent.url().includes('/airlock/profiles/check')
    );
    await panel.getByTitle('Refresh').click();
    await probed;
    await expect(status).toHaveText('Mirror: demo ✓');
    await expect(rows.filter({ hasText: 'wheels/' })).toBeVisible();
    await expect(errors).toHaveCount(0);
  });
});
