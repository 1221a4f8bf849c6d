import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';

test.describe('Airlock panel', () => {
  test('opens from the left sidebar and shows the server status', async ({
    page
  }, testInfo) => {
    await page.sidebar.openTab(PANEL_ID);

    const panel = page.locator(`#${PANEL_ID}`);
    await expect(panel).toBeVisible();
    await expect(panel.getByTestId('airlock-version')).toHaveText(
      /server \d+\.\d+\.\d+/
    );
    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo'
    );
    await expect(panel.getByTestId('airlock-source')).toContainText(
      's3://airlock-demo/'
    );
    for (const section of ['Mirror', 'Artifacts', 'Kernels']) {
      await expect(panel.getByText(section, { exact: true })).toBeVisible();
    }
    await expect(
      panel.locator('[data-section="kernels"] [data-kernel]')
    ).not.toHaveCount(0);
    await expect(panel.getByRole('alert')).toHaveCount(0);

    await panel.screenshot({ path: testInfo.outputPath('airlock-panel.png') });
  });

  test('opens from the command palette', async ({ page }) => {
    await page.keyboard.press('Control+Shift+C');
    await page.locator('.lm-CommandPalette-input').fill('Open Airlock Panel');
    await page
      .locator('.lm-CommandPalette-item', { hasText: 'Open Airlock Panel' })
      .click();

    await expect(page.locator(`#${PANEL_ID}`)).toBeVisible();
    await expect(page.getByTestId('airlock-active-profile')).toHaveText('demo');
  });

  test('is restored where it was after a reload', async ({ page }) => {
    // The reload must follow the server's answer, not the request: a PUT still in flight
    // when the page goes away is lost.
    const layoutSaved = page.waitForResponse(
      response =>
        response.request().method() === 'PUT' &&
        response.url().includes('/api/workspaces') &&
        (response.request().postData() ?? '').includes(PANEL_ID) &&
        response.ok()
    );
    await page.sidebar.openTab(PANEL_ID);
    await expect(page.locator(`#${PANEL_ID}`)).toBeVisible();
    await layoutSaved;

    await page.reload({ waitForIsReady: true });

    await expect(page.locator(`#${PANEL_ID}`)).toBeVisible();
    await expect(page.getByTestId('airlock-active-profile')).toHaveText('demo');
  });

  test('shows a server error as a readable message, never a stack trace', async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    await expect(page.getByTestId('airlock-active-profile')).toHaveText('demo');

    // The only stand-in in this file: the browser is made to receive the error body the
    // server's base handler writes, because a real server fault cannot be ordered.
    await page.route(/\/airlock\/status(\?|$)/, route =>
      route.fulfill({
        status: 500,
        contentType: 'application/json',
        body: JSON.stringify({
          code: 'internal',
          message:
            'Airlock hit an unexpected error. The Jupyter server log has the details.'
        })
      })
    );
    await page.locator(`#${PANEL_ID}`).getByTitle('Refresh').click();

    const alert = page.locator(`#${PANEL_ID}`).getByRole('alert');
    await expect(alert).toHaveText(
      'Airlock hit an unexpected error. The Jupyter server log has the details.'
    );
    await expect(page.locator(`#${PANEL_ID}`)).not.toContainText('Traceback');
  });
});
