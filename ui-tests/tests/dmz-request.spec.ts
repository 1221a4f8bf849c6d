import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';

import { demoKernel } from './helpers';

const PANEL_ID = 'jp-airlock-panel';
const PLAN_TIMEOUT = 120_000;
const COMMAND =
  /^jupyter airlock bundle dmz-bundle-([0-9a-f]{8}) --from-request dmz-request-\1\.json$/;

test.describe('Request from the DMZ', () => {
  test('a plan that lacks a package writes the request: the command to copy, the document to download, its life in Activity', async ({
    page
  }, testInfo) => {
    const kernel = await demoKernel(page);
    await page.evaluate(
      ([command, args]) => window.jupyterapp.commands.execute(command, args),
      ['airlock:install', { kernel }] as const
    );
    const dialog = page.getByTestId('airlock-install');
    await dialog
      .getByRole('textbox', { name: /Requirements, one per line/ })
      .fill('airlock-absent-package>=1');
    await dialog.getByRole('button', { name: 'Plan' }).click();
    await expect(dialog.getByTestId('airlock-plan-missing')).toContainText(
      'airlock-absent-package>=1',
      { timeout: PLAN_TIMEOUT }
    );

    const request = dialog.getByTestId('airlock-dmz-request');
    await request.getByRole('button', { name: 'Request from the DMZ' }).click();
    // The demo configures no request location: the user downloads the request.
    await expect(request).toContainText(
      /Request [0-9a-f]{8} is ready: download it and take it to the DMZ\./
    );
    const command = request.getByTestId('airlock-dmz-command');
    await expect(command).toHaveText(COMMAND);
    const id = COMMAND.exec((await command.textContent())!)![1];
    await request.screenshot({ path: testInfo.outputPath('dmz-request.png') });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      request
        .getByRole('button', { name: `Download dmz-request-${id}.json` })
        .click()
    ]);
    expect(download.suggestedFilename()).toBe(`dmz-request-${id}.json`);
    const saved = testInfo.outputPath('request.json');
    await download.saveAs(saved);
    const written = JSON.parse(fs.readFileSync(saved, 'utf-8'));
    expect(written.id.startsWith(id)).toBe(true);
    expect(written.kernel.name).toBe(kernel);
    expect(written.requested).toEqual(['airlock-absent-package>=1']);
    expect(written.missing).toEqual([
      { requirement: 'airlock-absent-package>=1', needed_by: null }
    ]);
    expect(written.target.implementation).toBe('cp');
    expect(written.target.platforms.length).toBeGreaterThan(0);

    // The Activity section: the request asked, not yet delivered.
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const section = panel.locator('[data-section="activity"]');
    await section.locator('summary').first().click();
    const activity = panel.getByTestId('airlock-activity');
    // Activity read the trail with the plan; choosing a filter reads it again.
    const action = activity.getByRole('combobox', { name: 'Action to show' });
    await action.selectOption('plan');
    await action.selectOption('dmz-request');
    const life = activity.locator(
      `[data-testid="airlock-request-life"][data-request="${written.id}"]`
    );
    await expect(life).toHaveAttribute('data-stage', 'asked');
    await expect(life).toContainText('airlock-absent-package>=1');
    await expect(life).toContainText('not delivered yet');
    await expect(
      activity
        .getByTestId('airlock-activity-record')
        .filter({ hasText: 'airlock-absent-package>=1' })
        .first()
    ).toHaveAttribute('data-action', 'dmz-request');
  });
});
