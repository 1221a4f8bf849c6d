/**
 * The first open of the panel: a short guide and a Help link to the user guide; Got it
 * puts the guide away for good (the setting showGuide), also after a reload.
 */
import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';
const USER_GUIDE =
  'https://github.com/airlock/jupyterlab-airlock/blob/main/docs/user-guide.md#user-guide';

test('the first-run guide and the Help link', async ({ page }) => {
  await page.sidebar.openTab(PANEL_ID);
  const panel = page.locator(`#${PANEL_ID}`);
  const guide = panel.getByTestId('airlock-guide');

  await expect(guide).toContainText('Getting started');
  await expect(guide).toContainText('Mirror');
  await expect(guide.getByRole('link', { name: 'User guide' })).toHaveAttribute(
    'href',
    USER_GUIDE
  );
  await expect(panel.getByRole('link', { name: 'Help' })).toHaveAttribute(
    'href',
    USER_GUIDE
  );

  await guide.getByRole('button', { name: 'Got it' }).click();
  await expect(guide).toHaveCount(0);

  await page.reload({ waitForIsReady: false });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('airlock:open-panel')
  );
  await expect(panel.getByTestId('airlock-active-profile')).toBeVisible();
  await expect(panel.getByTestId('airlock-guide')).toHaveCount(0);
  await expect(panel.getByRole('link', { name: 'Help' })).toBeVisible();
});
