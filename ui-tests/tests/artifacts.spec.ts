import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';

test.describe('Artifact browser', () => {
  test('browses the demo bucket, previews the CSV and copies it into the workspace', async ({
    page,
    tmpPath
  }, testInfo) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');

    await expect(panel.getByTestId('airlock-source')).toContainText(
      's3://airlock-demo/'
    );
    await rows.filter({ hasText: 'datasets/' }).click();
    const csv = rows.filter({ hasText: 'sensor-readings.csv' });
    await expect(csv).toContainText('dataset');
    await expect(csv).toContainText('sha256');
    await csv.click();

    const preview = panel.getByTestId('airlock-preview');
    await expect(preview.locator('th').first()).toHaveText('timestamp');
    await expect(preview.locator('tbody tr')).not.toHaveCount(0);
    await panel.screenshot({
      path: testInfo.outputPath('artifacts-preview.png')
    });

    await panel
      .getByRole('textbox', { name: 'Copy to (path in the workspace)' })
      .fill(`${tmpPath}/sensor-readings.csv`);
    await panel.getByRole('button', { name: 'Copy to workspace' }).click();

    await expect(panel.getByTestId('airlock-copy-job')).toContainText(
      'copied and verified'
    );
    await expect(csv).toContainText('verified');

    // A second copy to the same place asks before replacing.
    await panel.getByRole('button', { name: 'Copy to workspace' }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('already exists in the workspace');
    await dialog.getByRole('button', { name: 'Replace' }).click();
    await expect(panel.getByTestId('airlock-copy-job')).toContainText(
      'copied and verified'
    );

    await page.sidebar.openTab('filebrowser');
    await expect(
      page.locator('.jp-DirListing-item', { hasText: 'sensor-readings.csv' })
    ).toBeVisible();
  });

  test('recognises wheels and says whether they fit the chosen kernel', async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'wheels/' }).click();

    await panel
      .getByRole('combobox', { name: 'Kernel to check packages against' })
      .selectOption({ index: 1 });

    const hello = rows.filter({ hasText: 'airlock_demo_hello' });
    await expect(hello).toContainText('wheel');
    await expect(hello).toContainText('fits');
  });

  test('pages a 2,000-file mounted folder in, rendering only the visible rows', async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const picker = panel.getByRole('combobox', { name: 'Mirror profile' });
    await picker.selectOption('demo-folder');
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'bulk/' }).click();
    await expect(rows.first()).toContainText('reading-00000.csv');
    const list = panel.getByTestId('airlock-artifacts');

    // Scroll to the end of what is loaded until every page has arrived.
    await expect(async () => {
      await list.evaluate(
        element => (element.scrollTop = element.scrollHeight)
      );
      await expect(rows.last()).toHaveAttribute('aria-setsize', '2000', {
        timeout: 500
      });
    }).toPass();
    await list.evaluate(element => (element.scrollTop = element.scrollHeight));

    await expect(rows.filter({ hasText: 'reading-01999.csv' })).toBeVisible();
    expect(await rows.count()).toBeLessThan(200);

    await picker.selectOption('demo');
    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo'
    );
  });
});
