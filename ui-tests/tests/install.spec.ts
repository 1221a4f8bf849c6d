import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import { DEMO_KERNEL, demoKernel } from './helpers';

const PANEL_ID = 'jp-airlock-panel';
const INSTALL_TIMEOUT = 120_000;
// The wheels `jlpm start` built for the demo (its --state-dir).
const DEMO_WHEELS = path.resolve(
  __dirname,
  '..',
  '..',
  '.demo',
  'ui-tests',
  'wheels'
);

test.describe('Offline install into a kernel', () => {
  test('installs a demo wheel and its dependency from the bucket, imports it, then rolls back', async ({
    page
  }, testInfo) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'wheels/' }).click();
    const statsRow = rows.filter({ hasText: /^airlock_demo_stats-.*\.whl/ });
    await statsRow.locator('.jp-Airlock-tick').click();
    await expect(statsRow).toHaveAttribute('aria-checked', 'true');
    await panel
      .locator('[data-section="artifacts"]')
      .screenshot({ path: testInfo.outputPath('install-selected.png') });
    await panel.getByRole('button', { name: 'Install 1 package…' }).click();

    const dialog = page.getByTestId('airlock-install');
    await expect(dialog).toContainText('airlock_demo_stats-');
    const kernelPicker = dialog.getByRole('combobox', {
      name: 'Kernel to install into'
    });
    const kernel = await kernelPicker
      .locator('option:not([disabled])', { hasText: DEMO_KERNEL })
      .first()
      .getAttribute('value');
    expect(kernel).toBeTruthy();
    await kernelPicker.selectOption(kernel!);

    // Nothing is installed before the plan is read and confirmed.
    await dialog.getByRole('button', { name: 'Plan' }).click();
    const plan = dialog.getByTestId('airlock-plan');
    const stats = plan.locator('[data-package="airlock-demo-stats"]');
    const units = plan.locator('[data-package="airlock-demo-units"]');
    // pip resolves the plan against the bucket: seconds on a busy machine.
    await expect(stats).toContainText('requested', {
      timeout: INSTALL_TIMEOUT
    });
    await expect(stats).toContainText('install');
    // The demo's scanner signed wheels/: the plan says who vouches for the file.
    await expect(stats).toContainText('signed by scanner@demo');
    await expect(units).toContainText('dependency');
    await expect(plan.getByTestId('airlock-plan-missing')).toHaveCount(0);
    await dialog.screenshot({ path: testInfo.outputPath('install-plan.png') });

    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    const job = dialog.getByTestId('airlock-install-job');
    await expect(job.getByTestId('airlock-job-state')).toHaveText('succeeded', {
      timeout: INSTALL_TIMEOUT
    });
    await expect(job).toContainText('airlock-demo-stats');
    await expect(job.getByTestId('airlock-job-log')).not.toBeEmpty();
    await expect(
      page.locator('.jp-Notification-Toast-success', {
        hasText: /Installed 2 packages into .*demo/i
      })
    ).toBeVisible();
    await dialog.screenshot({ path: testInfo.outputPath('install-done.png') });

    // The kernel imports what was installed.
    await page.notebook.createNew('install-check.ipynb', { kernel });
    await page.notebook.setCell(
      0,
      'code',
      'import airlock_demo_stats\nprint(airlock_demo_stats.mean([1, 2, 6]))'
    );
    await page.notebook.runCell(0);
    expect(await page.notebook.getCellTextOutput(0)).toEqual(['3.0\n']);

    // The Jobs section keeps the install; rolling it back removes both packages, and the
    // notebook's kernel is offered a restart so that it sees the change.
    await page.sidebar.openTab(PANEL_ID);
    // Newest first: this test's install.
    const installJob = panel
      .getByTestId('airlock-job')
      .filter({ hasText: /^Install airlock-demo-stats/ })
      .first();
    await expect(installJob).toHaveAttribute('data-job-state', 'succeeded');
    await installJob.getByText('Log', { exact: true }).click();
    // uv's own summary of what it linked into the environment.
    await expect(installJob.getByTestId('airlock-job-log')).toContainText(
      /Installed \d+ packages?/
    );
    await installJob.getByRole('button', { name: 'Roll back' }).click();
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Roll back' })
      .click();
    const rollback = panel
      .getByTestId('airlock-job')
      .filter({ hasText: /^Roll back: Install airlock-demo-stats/ })
      .first();
    await expect(rollback).toHaveAttribute('data-job-state', 'succeeded', {
      timeout: INSTALL_TIMEOUT
    });
    await panel
      .locator('[data-section="jobs"]')
      .screenshot({ path: testInfo.outputPath('install-jobs.png') });
    const rolledBack = page.locator('.jp-Notification-Toast-success', {
      hasText: /Rolled back the install into .*demo/i
    });
    await rolledBack.getByRole('button', { name: 'Restart kernel' }).click();
    // The install no longer offers Roll back, and its tab says it was rolled back.
    await expect(
      installJob.getByRole('button', { name: 'Roll back' })
    ).toHaveCount(0);
    await expect(installJob.getByTestId('airlock-job-state')).toHaveText(
      'rolled back'
    );
    await expect(
      dialog.getByTestId('airlock-install-rolled-back')
    ).toContainText('Rolled back');

    await page.notebook.activate('install-check.ipynb');
    await expect(async () => {
      await page.notebook.runCell(0);
      expect((await page.notebook.getCellTextOutput(0))?.join('')).toContain(
        "No module named 'airlock_demo_stats'"
      );
    }).toPass({ timeout: 30_000 });
  });

  test('a wheel in the file browser offers "Install into kernel…", and plans with its dependencies from the bucket', async ({
    page,
    tmpPath
  }) => {
    const wheel = fs
      .readdirSync(DEMO_WHEELS)
      .find(name => name.startsWith('airlock_demo_hello-'));
    expect(wheel).toBeTruthy();
    await page.contents.uploadFile(
      path.join(DEMO_WHEELS, wheel!),
      `${tmpPath}/${wheel}`
    );
    await page.contents.uploadContent('notes', 'text', `${tmpPath}/notes.txt`);
    await page.filebrowser.refresh();
    const item = (name: string) =>
      page.locator('.jp-DirListing-item', { hasText: name });
    const menuItem = page
      .locator('.lm-Menu')
      .getByText('Install into kernel…', { exact: true });

    // Only packages are offered.
    await item('notes.txt').click({ button: 'right' });
    await expect(page.locator('.lm-Menu').first()).toBeVisible();
    await expect(menuItem).toBeHidden();
    await page.keyboard.press('Escape');

    await item(wheel!).click({ button: 'right' });
    await menuItem.click();

    const dialog = page.getByTestId('airlock-install');
    await expect(dialog).toContainText('From the workspace');
    await expect(dialog).toContainText(`${tmpPath}/${wheel}`);
    await dialog
      .getByRole('combobox', { name: 'Kernel to install into' })
      .selectOption(await demoKernel(page));
    await dialog.getByRole('button', { name: 'Plan' }).click();
    const plan = dialog.getByTestId('airlock-plan');
    // pip resolves the plan against the bucket: seconds on a busy machine.
    await expect(
      plan.locator('[data-package="airlock-demo-hello"]')
    ).toContainText('requested', { timeout: INSTALL_TIMEOUT });
    await expect(
      plan.locator('[data-package="airlock-demo-stats"]')
    ).toContainText('dependency');
    await expect(
      plan.locator('[data-package="airlock-demo-units"]')
    ).toContainText('dependency');
    await expect(
      dialog.getByRole('button', { name: 'Install', exact: true })
    ).toBeEnabled();
  });

  test("the palette opens the install dialog for the current notebook's kernel", async ({
    page
  }) => {
    const kernel = await demoKernel(page);
    await page.notebook.createNew('palette-check.ipynb', { kernel });
    // A cell that ran means the notebook's session has its kernel (it starts lazily).
    await page.notebook.setCell(0, 'code', 'print("ready")');
    await page.notebook.runCell(0);
    expect(await page.notebook.getCellTextOutput(0)).toEqual(['ready\n']);

    await page.keyboard.press('Control+Shift+C');
    await page
      .locator('.lm-CommandPalette-input')
      .fill('Install packages into kernel');
    await page.keyboard.press('Enter');

    const dialog = page.getByTestId('airlock-install');
    await expect(
      dialog.getByRole('combobox', { name: 'Kernel to install into' })
    ).toHaveValue(kernel);
    // Nothing to install yet: planning waits for a requirement.
    await expect(dialog.getByRole('button', { name: 'Plan' })).toBeDisabled();
    await dialog
      .getByRole('textbox', { name: /Requirements, one per line/ })
      .fill('airlock-demo-units');
    await expect(dialog.getByRole('button', { name: 'Plan' })).toBeEnabled();

    // Asking again for the same kernel, for nothing new, brings back the same tab with
    // what it held (a request for something takes it over afresh: selection.spec.ts).
    await page.notebook.activate('palette-check.ipynb');
    await page.keyboard.press('Control+Shift+C');
    await page
      .locator('.lm-CommandPalette-input')
      .fill('Install packages into kernel');
    await page.keyboard.press('Enter');
    await expect(
      page.locator('#jp-main-dock-panel .lm-TabBar-tab', {
        hasText: /^Install into /
      })
    ).toHaveCount(1);
    await expect(dialog).toBeVisible();
    await expect(
      dialog.getByRole('textbox', { name: /Requirements, one per line/ })
    ).toHaveValue('airlock-demo-units');
  });
});
