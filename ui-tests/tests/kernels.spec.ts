import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';

test('the Kernels section shows the environment behind each kernel, and its packages open in the Environments view', async ({
  page
}) => {
  await page.sidebar.openTab(PANEL_ID);
  const kernels = page.locator(`#${PANEL_ID}`).getByTestId('airlock-kernels');
  const python = kernels.locator('[data-kernel="python3"]');

  await expect(python).toContainText('Python 3 (ipykernel)');
  await expect(python).toContainText(/virtual environment · Python 3\.\d+/);
  await python.locator('summary').click();
  await expect(python).toContainText('/.venv');
  await python.getByRole('button', { name: /^Show \d+ packages…$/ }).click();

  const view = page.getByTestId('airlock-environments');
  await expect(view.getByRole('combobox', { name: 'Kernel' })).toHaveValue(
    'python3'
  );
  const table = view.getByRole('table', { name: 'Packages' });
  await expect(table).toContainText('ipykernel');
  const filter = view.getByRole('searchbox', { name: 'Filter packages' });
  await filter.fill('ipyk');
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(table.locator('tbody tr')).toContainText('ipykernel');

  // Sorting by a column says so to assistive technology.
  const version = table.getByRole('columnheader', { name: 'Version' });
  await version.getByRole('button').click();
  await expect(version).toHaveAttribute('aria-sort', 'ascending');

  // The sidebar's other entry points bring the same tab back.
  await page.sidebar.openTab(PANEL_ID);
  await page
    .locator(`#${PANEL_ID}`)
    .getByRole('button', { name: 'Open Environments in a tab' })
    .click();
  await expect(
    page.locator('#jp-main-dock-panel .lm-TabBar-tab', {
      hasText: 'Environments'
    })
  ).toHaveCount(1);
});

test('Jobs and Activity open in the main area, with the record of what this page did', async ({
  page,
  tmpPath
}) => {
  await page.sidebar.openTab(PANEL_ID);
  const panel = page.locator(`#${PANEL_ID}`);
  // Something of this user's for the trail: a copy.
  const rows = panel.getByTestId('airlock-artifact-row');
  await rows.filter({ hasText: 'datasets/' }).click();
  await rows.filter({ hasText: 'stations.json' }).click();
  const destination = `${tmpPath}/stations.json`;
  await panel
    .getByRole('textbox', { name: 'Copy to (path in the workspace)' })
    .fill(destination);
  await panel.getByRole('button', { name: 'Copy to workspace' }).click();
  await expect(panel.getByTestId('airlock-copy-job')).toContainText(
    'copied and verified'
  );

  await panel.getByRole('button', { name: 'Open Jobs in a tab' }).click();
  const jobs = page.locator('#jp-airlock-jobs');
  await expect(jobs).toBeVisible();
  await expect(jobs.getByTestId('airlock-job').first()).toContainText(
    'stations.json'
  );

  await page.sidebar.openTab(PANEL_ID);
  await panel.locator('[data-section="activity"] > summary').click();
  await panel.getByRole('button', { name: 'Open Activity in a tab' }).click();
  const activity = page.locator('#jp-airlock-activity');
  await expect(activity).toBeVisible();
  const copy = activity
    .getByTestId('airlock-activity-record')
    .filter({ hasText: destination });
  await expect(copy).toHaveCount(1);
});

test('the demo kernel is a clean environment: ipykernel and what it needs, nothing of the development environment', async ({
  page
}) => {
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('airlock:open-view', {
      view: 'environments',
      kernel: 'airlock-demo'
    })
  );
  const view = page.getByTestId('airlock-environments');
  const table = view.getByRole('table', { name: 'Packages' });
  await expect(table).toContainText('ipykernel');
  for (const borrowed of ['jupyterlab', 'moto', 'mypy', 'boto3']) {
    await expect(
      table.locator('tbody td:first-child', {
        hasText: new RegExp(`^${borrowed}$`)
      })
    ).toHaveCount(0);
  }
});
