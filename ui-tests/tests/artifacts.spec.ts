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

  test('says who vouches for a file: the demo scanner signs wheels/, datasets/ is checksum only', async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'wheels/' }).click();
    const stats = rows.filter({ hasText: /^airlock_demo_stats-.*\.whl/ });
    await expect(stats.getByTestId('airlock-trust')).toHaveText('signed');
    await expect(stats.getByTestId('airlock-trust')).toHaveAttribute(
      'title',
      /signed by scanner@demo/
    );

    await panel.getByRole('button', { name: 'root', exact: true }).click();
    await rows.filter({ hasText: 'datasets/' }).click();
    const csv = rows.filter({ hasText: 'sensor-readings.csv' });
    // Its checksum speaks for it (sha256, or verified once copied); no signer does.
    await expect(csv).toContainText(/sha256|verified/);
    await expect(csv.getByTestId('airlock-trust')).toHaveCount(0);
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

  test('the list is one Tab stop that the keyboard walks: arrows move, Enter opens, Space ticks', async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const list = panel.getByRole('listbox', { name: 'Files and folders' });
    const rows = panel.getByTestId('airlock-artifact-row');
    await expect(rows.filter({ hasText: 'wheels/' })).toBeVisible();

    // One Tab stop: from the kernel picker, Tab lands on the list, and the next Tab leaves.
    await panel
      .getByRole('combobox', { name: 'Kernel to check packages against' })
      .focus();
    await page.keyboard.press('Tab');
    await expect(list).toBeFocused();
    const activeRow = async () =>
      panel.locator(`#${await list.getAttribute('aria-activedescendant')}`);

    while (!(await (await activeRow()).textContent())?.includes('wheels/')) {
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    await expect(
      panel.getByRole('navigation', { name: 'Folder' })
    ).toContainText('wheels');
    await expect(rows.filter({ hasText: 'airlock_demo_hello' })).toBeVisible();
    await expect(list).toBeFocused();

    await page.keyboard.press('Home');
    while (
      !(await (await activeRow()).textContent())?.includes('airlock_demo_hello')
    ) {
      await page.keyboard.press('ArrowDown');
    }
    const hello = await activeRow();
    await page.keyboard.press(' ');
    await expect(hello).toHaveAttribute('aria-checked', 'true');
    await expect(
      panel.getByRole('button', { name: 'Install 1 package…' })
    ).toBeVisible();
    await page.keyboard.press('Enter');
    await expect(panel.getByTestId('airlock-selected')).toContainText(
      'airlock_demo_hello'
    );
    await expect(hello).toHaveAttribute('aria-selected', 'true');

    await page.keyboard.press('Backspace');
    await expect(rows.filter({ hasText: 'wheels/' })).toBeVisible();
  });

  test('rows read whole at the default sidebar width', async ({ page }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'wheels/' }).click();
    await panel
      .getByRole('combobox', { name: 'Kernel to check packages against' })
      .selectOption({ index: 1 });
    const hello = rows.filter({ hasText: 'airlock_demo_hello' });
    await expect(hello).toContainText('fits');

    const width = (await panel.boundingBox())!.width;
    expect(width).toBeLessThan(300); // the sidebar as JupyterLab opens it
    const list = (await panel.getByTestId('airlock-artifacts').boundingBox())!;
    for (const row of await rows.all()) {
      // The whole name shows (wrapped, never clamped) ...
      const name = row.locator('.jp-Airlock-artifactName');
      const clamped = await name.evaluate(
        element => element.scrollHeight > element.clientHeight + 1
      );
      expect(clamped).toBe(false);
      // ... and every fact is inside the list, not cut off at its right edge.
      for (const fact of await row
        .locator('.jp-Airlock-artifactFacts > *')
        .all()) {
        const box = (await fact.boundingBox())!;
        expect(box.x + box.width).toBeLessThanOrEqual(list.x + list.width);
      }
    }
  });
});

test.describe('Filtering a folder', () => {
  test('keeps the names that contain the text, whatever its case, and says when none does', async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'wheels/' }).click();
    await expect(rows.filter({ hasText: 'airlock_demo_hello' })).toBeVisible();
    const filter = panel.getByRole('searchbox', { name: 'Filter by name' });

    // Inside the name, in capitals: airlock_demo_stats-1.0.0-py3-none-any.whl.
    await filter.fill('DEMO_STATS');
    await expect(rows).toHaveCount(1);
    await expect(rows).toContainText('airlock_demo_stats');

    await filter.fill('no-such-name');
    await expect(rows).toHaveCount(0);
    const section = panel.locator('[data-section="artifacts"]');
    await expect(section).toContainText(
      'No match for “no-such-name” in this folder.'
    );
    await expect(section).not.toContainText('This folder is empty');

    await filter.fill('');
    await expect(rows.filter({ hasText: 'airlock_demo_hello' })).toBeVisible();

    // A match far past the first page of a 2,000-file folder is found too.
    const picker = panel.getByRole('combobox', { name: 'Mirror profile' });
    await picker.selectOption('demo-folder');
    await rows.filter({ hasText: 'bulk/' }).click();
    await expect(rows.first()).toContainText('reading-00000.csv');
    await filter.fill('READING-01999');
    await expect(rows).toHaveCount(1);
    await expect(rows).toContainText('reading-01999.csv');

    await filter.fill('');
    await picker.selectOption('demo');
    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo'
    );
  });
});
