import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';

test('the Kernels section shows the environment behind each kernel and its packages', async ({
  page
}) => {
  await page.sidebar.openTab(PANEL_ID);
  const kernels = page.locator(`#${PANEL_ID}`).getByTestId('airlock-kernels');
  const python = kernels.locator('[data-kernel="python3"]');

  await expect(python).toContainText('Python 3 (ipykernel)');
  await expect(python).toContainText(/virtual environment · Python 3\.\d+/);
  await python.locator('summary').click();

  await expect(python.getByRole('table', { name: 'Packages' })).toContainText(
    'jupyterlab'
  );
  await expect(python).toContainText('/.venv');
});
