import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';

test('the Artifacts tab shows a folder as a table sorted by any column, walked by the keyboard', async ({
  page
}) => {
  await page.sidebar.openTab(PANEL_ID);
  await page
    .locator(`#${PANEL_ID}`)
    .getByRole('button', { name: 'Open Artifacts in a tab' })
    .click();
  const view = page.locator('.jp-Airlock-artifactsView');
  const table = view.getByTestId('airlock-table');
  const rows = table.getByTestId('airlock-table-row');
  await rows.filter({ hasText: 'wheels' }).first().click();
  await expect(rows.first()).toBeVisible();

  const names = async () =>
    (await rows.locator('.jp-Airlock-tableName').allInnerTexts()).map(name =>
      name.replace(/\s+/g, '')
    );
  const byName = await names();
  expect(byName).toEqual(
    [...byName].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
  );

  // Smallest first after a click on Size, largest first after a second; as shown.
  const sizes = async () =>
    (
      await rows.evaluateAll(elements =>
        elements.map(element => element.children[3]?.textContent ?? '')
      )
    ).map(text => {
      const [value, unit] = text.split(' ');
      return parseFloat(value) * 1000 ** ['B', 'kB', 'MB', 'GB'].indexOf(unit);
    });
  await table.getByRole('button', { name: 'Sort by Size' }).click();
  const up = await sizes();
  expect(new Set(up).size).toBeGreaterThan(2);
  expect(up).toEqual([...up].sort((a, b) => a - b));
  await table.getByRole('button', { name: 'Size, sorted ascending' }).click();
  const down = await sizes();
  expect(down).toEqual([...up].sort((a, b) => b - a));

  // One Tab stop: the arrow keys move and Enter shows the file, with its preview.
  await table.getByRole('listbox').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(rows.nth(1)).toHaveAttribute('aria-selected', 'true');
});
