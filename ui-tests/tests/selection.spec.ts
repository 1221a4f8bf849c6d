/**
 * The packages ticked for install are one selection, in sight wherever the user is: the
 * sidebar and the Artifacts tab share it, it survives a change of folder (and says what it
 * holds), Clear empties it, a profile switch drops it, and a new request never finds an
 * Install tab still holding the previous one.
 */
import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';

test.describe('The selection for install', () => {
  test.afterEach(async ({ request, baseURL }) => {
    const answer = await request.post(`${baseURL}/airlock/profiles/apply`, {
      data: { name: 'demo' }
    });
    expect(answer.ok(), await answer.text()).toBeTruthy();
  });

  test('is shared by the sidebar and the Artifacts tab, stays in sight, is cleared', async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');
    const selection = panel.getByTestId('airlock-ticked');
    await rows.filter({ hasText: 'wheels/' }).click();
    await rows
      .filter({ hasText: 'airlock_demo_hello' })
      .locator('.jp-Airlock-tick')
      .click();
    await expect(selection).toContainText('1 selected');

    await page.evaluate(() =>
      window.jupyterapp.commands.execute('airlock:open-view', {
        view: 'artifacts'
      })
    );
    const tab = page.locator('#jp-airlock-artifacts');
    const tableRows = tab.getByTestId('airlock-table-row');
    await expect(
      tableRows.filter({ hasText: 'airlock_demo_hello' })
    ).toHaveAttribute('aria-checked', 'true');
    await expect(tab.getByTestId('airlock-ticked')).toContainText('1 selected');
    await tableRows
      .filter({ hasText: 'airlock_demo_units' })
      .locator('.jp-Airlock-tick')
      .click();
    await expect(selection).toContainText('2 selected');

    // Another folder: the selection is still there, and says what it holds.
    await panel.getByRole('button', { name: 'root' }).click();
    await rows.filter({ hasText: 'datasets/' }).click();
    await expect(selection).toContainText('2 selected');
    await selection.locator('summary').click();
    await expect(selection).toContainText('wheels/airlock_demo_hello');
    await expect(selection).toContainText('wheels/airlock_demo_units');

    await selection.getByRole('button', { name: 'Clear' }).click();
    await expect(selection).toHaveCount(0);
    await expect(tab.getByTestId('airlock-ticked')).toHaveCount(0);
  });

  test('a profile switch drops it', async ({ page }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'wheels/' }).click();
    await rows
      .filter({ hasText: 'airlock_demo_hello' })
      .locator('.jp-Airlock-tick')
      .click();
    await expect(panel.getByTestId('airlock-ticked')).toContainText(
      '1 selected'
    );

    await panel
      .getByRole('combobox', { name: 'Mirror profile' })
      .selectOption('demo-folder');

    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo-folder'
    );
    await expect(panel.getByTestId('airlock-ticked')).toHaveCount(0);
  });

  test('a new request takes over an idle Install tab afresh, without the old one', async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const rows = panel.getByTestId('airlock-artifact-row');
    const selection = panel.getByTestId('airlock-ticked');
    await rows.filter({ hasText: 'wheels/' }).click();
    const tick = (name: string) =>
      rows.filter({ hasText: name }).locator('.jp-Airlock-tick').click();

    await tick('airlock_demo_hello');
    await selection.getByRole('button', { name: 'Install 1 package…' }).click();
    const dialog = page.getByTestId('airlock-install');
    await expect(dialog).toContainText('airlock_demo_hello');

    await page.sidebar.openTab(PANEL_ID);
    await selection.getByRole('button', { name: 'Clear' }).click();
    await tick('airlock_demo_units');
    await selection.getByRole('button', { name: 'Install 1 package…' }).click();

    await expect(dialog).toHaveCount(1);
    await expect(dialog).toContainText('airlock_demo_units');
    await expect(dialog).not.toContainText('airlock_demo_hello');
  });
});
