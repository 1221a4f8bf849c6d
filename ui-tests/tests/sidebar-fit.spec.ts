/**
 * The Airlock sidebar at JupyterLab's default width (250 px), in each section and state the
 * README shows, in both themes: nothing is wider than the panel (no sideways scroll), no
 * text is cut (unless it ends in an ellipsis and its whole text is the tooltip), and no
 * text is smaller than JupyterLab's small font size. With a folder of wheels open and a
 * selection made, axe-core finds no serious violation, in the sidebar and the Artifacts tab.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import { expectAccessible } from './helpers';

const PANEL_ID = 'jp-airlock-panel';
const SIDEBAR_WIDTH = 250;
const DOCTOR_TIMEOUT = 120_000;

test.use({ viewport: { width: 1440, height: 900 } });

/**
 * What does not fit in the panel, each in words (an empty list when all fits).
 */
async function misfits(panel: Locator): Promise<string[]> {
  return panel.evaluate((root: HTMLElement) => {
    const problems: string[] = [];
    const name = (element: Element) =>
      `${element.tagName.toLowerCase()}.${[...element.classList].join('.')} "${(
        element.textContent ?? ''
      )
        .trim()
        .slice(0, 40)}"`;
    if (root.scrollWidth > root.clientWidth) {
      problems.push(
        `the panel scrolls sideways (${root.scrollWidth} > ${root.clientWidth} px)`
      );
    }
    const probe = document.createElement('span');
    probe.style.fontSize = 'var(--jp-ui-font-size0)';
    root.appendChild(probe);
    const smallest = parseFloat(getComputedStyle(probe).fontSize);
    probe.remove();
    const box = root.getBoundingClientRect();
    const scrollsSideways = (style: CSSStyleDeclaration) =>
      ['auto', 'scroll'].includes(style.overflowX);
    for (const element of root.querySelectorAll<HTMLElement>('*')) {
      const rect = element.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) {
        continue; // not shown
      }
      // A deliberate sideways scroller (a preview table, a log) may hold wider content.
      let scroller = element.parentElement;
      while (
        scroller &&
        scroller !== root &&
        !scrollsSideways(getComputedStyle(scroller))
      ) {
        scroller = scroller.parentElement;
      }
      const inScroller = scroller !== null && scroller !== root;
      if (
        !inScroller &&
        (rect.right > box.right + 1 || rect.left < box.left - 1)
      ) {
        problems.push(
          `${name(element)} reaches past the panel (${Math.round(rect.left)}–${Math.round(rect.right)}, the panel ${Math.round(box.left)}–${Math.round(box.right)})`
        );
      }
      const style = getComputedStyle(element);
      const ownText = [...element.childNodes].some(
        node =>
          node.nodeType === Node.TEXT_NODE && node.textContent!.trim() !== ''
      );
      if (ownText && parseFloat(style.fontSize) < smallest - 0.1) {
        problems.push(
          `${name(element)} is set in ${style.fontSize}, under JupyterLab's small size (${smallest}px)`
        );
      }
      if (
        element.scrollWidth > element.clientWidth + 1 &&
        element.clientWidth > 0 &&
        !scrollsSideways(style) &&
        !(style.textOverflow === 'ellipsis' && element.closest('[title]'))
      ) {
        problems.push(
          `${name(element)} cuts its content (${element.scrollWidth} > ${element.clientWidth} px)`
        );
      }
    }
    return problems;
  });
}

async function expectFits(panel: Locator, state: string): Promise<void> {
  expect(await misfits(panel), `at 250 px: ${state}`).toEqual([]);
}

async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.sidebar.openTab(PANEL_ID);
  const panel = page.locator(`#${PANEL_ID}`);
  expect((await panel.boundingBox())?.width).toBe(SIDEBAR_WIDTH);
  await expect(panel.getByTestId('airlock-active-profile')).toHaveText('demo');
  return panel;
}

for (const theme of ['light', 'dark']) {
  test.describe(`The sidebar fits its default width, ${theme}`, () => {
    test.beforeEach(async ({ page }) => {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
    });

    test('the Mirror section: profile, health, connectivity, doctor and settings', async ({
      page
    }) => {
      test.setTimeout(DOCTOR_TIMEOUT + 60_000);
      const panel = await openPanel(page);
      await expect(panel.getByTestId('airlock-mirror-health')).toContainText(
        '✓'
      );
      await expectFits(panel, 'the panel as it opens');
      await page.screenshot({ path: test.info().outputPath('panel.png') });

      await panel.getByRole('button', { name: 'Check connectivity' }).click();
      await expect(
        panel.getByRole('list', { name: 'Connectivity' })
      ).toContainText('artifact source');
      await panel.getByRole('button', { name: 'Doctor' }).click();
      const doctor = panel.getByTestId('airlock-doctor');
      await expect(doctor).toContainText('pip', { timeout: DOCTOR_TIMEOUT });
      for (const details of await doctor.locator('details > summary').all()) {
        await details.click();
      }
      await panel
        .getByText('What pip, uv, conda, npm and JupyterLab now see')
        .click();
      await expect(panel.getByTestId('airlock-effective')).toBeVisible();
      await expectFits(
        panel,
        'connectivity, the doctor and the settings shown'
      );
    });

    test('the Artifacts section: a folder of wheels with a selection, a dataset, a bundle', async ({
      page
    }) => {
      const panel = await openPanel(page);
      const rows = panel.getByTestId('airlock-artifact-row');
      await rows.filter({ hasText: 'wheels/' }).click();
      await panel
        .getByRole('combobox', { name: 'Kernel to check packages against' })
        .selectOption({ index: 1 });
      await expect(
        rows.filter({ hasText: 'airlock_demo_hello' })
      ).toContainText('fits');
      for (const wheel of ['airlock_demo_hello', 'airlock_demo_units']) {
        await rows
          .filter({ hasText: wheel })
          .locator('.jp-Airlock-tick')
          .click();
      }
      await expect(panel.getByTestId('airlock-ticked')).toContainText(
        '2 selected'
      );
      await expectFits(panel, 'wheels/ with two packages selected');
      await expectAccessible(page, `#${PANEL_ID}`);

      // The same folder and selection in the Artifacts tab's table.
      await page.evaluate(() =>
        window.jupyterapp.commands.execute('airlock:open-view', {
          view: 'artifacts'
        })
      );
      const table = page.locator('#jp-airlock-artifacts');
      await expect(
        table
          .getByTestId('airlock-table-row')
          .filter({ hasText: 'airlock_demo_hello' })
      ).toBeVisible();
      await expectAccessible(page, '#jp-airlock-artifacts');

      await panel.getByRole('button', { name: 'root' }).click();
      await rows.filter({ hasText: 'datasets/' }).click();
      await rows.filter({ hasText: 'stations.json' }).click();
      await expect(panel.getByTestId('airlock-preview')).toBeVisible();
      await expectFits(panel, 'a dataset with its preview and copy');

      await panel.getByRole('button', { name: 'root' }).click();
      await rows.filter({ hasText: 'bundles/' }).click();
      await rows.filter({ hasText: 'demo-analysis/' }).click();
      await expect(panel.getByTestId('airlock-bundle')).toBeVisible();
      await expectFits(panel, 'a transfer bundle');
    });

    test('the Kernels, Jobs, Activity and Policy sections opened', async ({
      page
    }) => {
      const panel = await openPanel(page);
      for (const kernel of await panel
        .locator('[data-section="kernels"] [data-kernel] > summary')
        .all()) {
        await kernel.click();
      }
      const log = panel.getByTestId('airlock-job').first().locator('summary');
      if (await log.count()) {
        await log.click();
      }
      for (const section of ['activity', 'policy']) {
        await panel.locator(`[data-section="${section}"] > summary`).click();
      }
      await panel
        .getByTestId('airlock-activity-record')
        .first()
        .locator('summary')
        .click();
      await expectFits(panel, 'every section open');
    });
  });
}
