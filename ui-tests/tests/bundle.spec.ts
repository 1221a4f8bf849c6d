import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';
// Fetching the bundle, making an environment and installing ipykernel's closure offline.
const CREATE_TIMEOUT = 240_000;
const PIP_TIMEOUT = 120_000;

test.describe('A kernel from a transfer bundle', () => {
  // The server keeps the active profile from test to test: each starts on the demo's.
  test.afterEach(async ({ request, baseURL }) => {
    const answer = await request.post(`${baseURL}/airlock/profiles/apply`, {
      data: { name: 'demo' }
    });
    expect(answer.ok(), await answer.text()).toBeTruthy();
  });

  test('the demo bundle becomes a kernel in the launcher, a cell runs in it, %pip install works there, and it can be removed', async ({
    page
  }, testInfo) => {
    test.setTimeout(CREATE_TIMEOUT + PIP_TIMEOUT);
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

    // %pip install as usual, through the index the bucket-index profile gives pip: the
    // read bucket, served by this Jupyter server.
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('airlock:open-panel')
    );
    await panel
      .getByRole('combobox', { name: 'Mirror profile' })
      .selectOption('demo-bucket-index');
    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo-bucket-index'
    );
    await page.notebook.activate('bundle-check.ipynb');
    await page.notebook.setCell(1, 'code', '%pip install airlock-demo-hello');
    await page.notebook.runCell(1);
    await expect
      .poll(async () => (await page.notebook.getCellTextOutput(1))?.join(''), {
        timeout: PIP_TIMEOUT
      })
      .toContain('Successfully installed airlock-demo-hello');
    await page.notebook.setCell(
      2,
      'code',
      'import airlock_demo_hello\nprint(airlock_demo_hello.greet())'
    );
    await page.notebook.runCell(2);
    expect(await page.notebook.getCellTextOutput(2)).toEqual([
      'Hello, air gap! The median of 1, 2 and 4 is 2.\n'
    ]);

    // Airlock made it, so Airlock can remove it: kernelspec and environment, as a job.
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('airlock:open-panel')
    );
    const kernelItem = panel.locator(`[data-kernel="${name}"]`);
    await kernelItem.locator('summary').click();
    await kernelItem.getByRole('button', { name: 'Remove kernel…' }).click();
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Remove' })
      .click();
    await expect(
      panel
        .getByTestId('airlock-job')
        .filter({ hasText: `Remove kernel ${name}` })
        .first()
    ).toHaveAttribute('data-job-state', 'succeeded');
    await expect(kernelItem).toHaveCount(0);
    const specs = await page.evaluate(() =>
      Object.keys(
        window.jupyterapp.serviceManager.kernelspecs.specs?.kernelspecs ?? {}
      )
    );
    expect(specs).not.toContain(name);
  });
});
