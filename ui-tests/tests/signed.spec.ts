import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import { demoKernel } from './helpers';

// These run against the second server (`jlpm start:signed`, project require-signed): the
// demo under a policy that requires signed files. The demo's scanner signs wheels/ only.
const PANEL_ID = 'jp-airlock-panel';
const PLAN_TIMEOUT = 120_000;
const DEMO_WHEELS = path.resolve(
  __dirname,
  '..',
  '..',
  '.demo',
  'ui-tests-signed',
  'wheels'
);

test.describe('Under require_signed', () => {
  test('a wheel the scanner signed plans, and says who vouches for it', async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'wheels/' }).click();
    const stats = rows.filter({ hasText: /^airlock_demo_stats-.*\.whl/ });
    await expect(stats.getByTestId('airlock-trust')).toHaveText('signed');
    await stats.locator('.jp-Airlock-tick').click();
    await panel.getByRole('button', { name: 'Install 1 package…' }).click();

    const dialog = page.getByTestId('airlock-install');
    await dialog
      .getByRole('combobox', { name: 'Kernel to install into' })
      .selectOption(await demoKernel(page));
    await dialog.getByRole('button', { name: 'Plan' }).click();
    const plan = dialog.getByTestId('airlock-plan');
    await expect(
      plan.locator('[data-package="airlock-demo-stats"]')
    ).toContainText('signed by scanner@demo', { timeout: PLAN_TIMEOUT });
    await expect(plan.getByTestId('airlock-plan-refused')).toHaveCount(0);
    await expect(
      dialog.getByRole('button', { name: 'Install', exact: true })
    ).toBeEnabled();
  });

  test('an unsigned wheel is refused at the plan, with the rule and the reason', async ({
    page,
    tmpPath
  }) => {
    // The same wheel, but from the workspace: no signed manifest lists it there.
    const wheel = fs
      .readdirSync(DEMO_WHEELS)
      .find(name => name.startsWith('airlock_demo_hello-'));
    expect(wheel).toBeTruthy();
    await page.contents.uploadFile(
      path.join(DEMO_WHEELS, wheel!),
      `${tmpPath}/${wheel}`
    );
    await page.filebrowser.refresh();
    await page
      .locator('.jp-DirListing-item', { hasText: wheel! })
      .click({ button: 'right' });
    await page
      .locator('.lm-Menu')
      .getByText('Install into kernel…', { exact: true })
      .click();

    const dialog = page.getByTestId('airlock-install');
    await dialog
      .getByRole('combobox', { name: 'Kernel to install into' })
      .selectOption(await demoKernel(page));
    await dialog.getByRole('button', { name: 'Plan' }).click();
    const refused = dialog
      .getByTestId('airlock-plan')
      .getByTestId('airlock-plan-refused');
    await expect(refused.first()).toContainText(
      'is not listed in a manifest signed by a trusted signer',
      { timeout: PLAN_TIMEOUT }
    );
    await expect(refused.first()).toContainText("rule 'require_signed'");
    await expect(
      dialog.getByRole('button', { name: 'Install', exact: true })
    ).toBeDisabled();
  });
});
