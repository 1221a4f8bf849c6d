import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';
// Fetching the bundle, making an environment and installing ipykernel's closure offline.
const CREATE_TIMEOUT = 240_000;

test.describe('A kernel from a transfer bundle', () => {
  test('the demo bundle becomes a kernel in the launcher, and a cell runs in it', async ({
    page
  }, testInfo) => {
    // Unique per run: a reused local demo keeps the kernels made before.
    const suffix = Date.now().toString(36);
    const name = `bundle-${suffix}`;
    const displayName = `Bundle ${suffix}`;

    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'bundles/' }).click();
    await rows.filter({ hasText: 'demo-analysis/' }).click();
    const bundle = panel.getByTestId('airlock-bundle');
    await expect(bundle).toContainText('demo-analysis');
    await expect(bundle).toContainText('ipykernel');
    await bundle
      .getByRole('button', { name: 'Create kernel from bundle…' })
      .click();

    const dialog = page.locator('.jp-Dialog');
    await dialog.getByLabel('Name in the launcher').fill(displayName);
    await dialog.getByLabel(/^Kernel name/).fill(name);
    await dialog.getByRole('button', { name: 'Create kernel' }).click();

    const job = panel
      .getByTestId('airlock-job')
      .filter({ hasText: `Create kernel ${displayName}` })
      .first();
    await expect(job).toHaveAttribute('data-job-state', 'succeeded', {
      timeout: CREATE_TIMEOUT
    });
    await panel
      .locator('[data-section="jobs"]')
      .screenshot({ path: testInfo.outputPath('bundle-kernel-job.png') });

    // In the launcher without a reload, and its interpreter has the bundle's packages.
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('launcher:create');
    });
    await expect(
      page.locator('.jp-LauncherCard:visible', { hasText: displayName }).first()
    ).toBeVisible();
    await page.notebook.createNew('bundle-check.ipynb', { kernel: name });
    await page.notebook.setCell(
      0,
      'code',
      'import airlock_demo_stats\nprint(airlock_demo_stats.mean([1, 2, 6]))'
    );
    await page.notebook.runCell(0);
    expect(await page.notebook.getCellTextOutput(0)).toEqual(['3.0\n']);
  });
});
