/**
 * Each journey's main control is enabled, and its button styled as the primary one
 * (JupyterLab's jp-mod-accept), when it can act, and disabled when it cannot.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import { demoKernel } from './helpers';

const PANEL_ID = 'jp-airlock-panel';
const PLAN_TIMEOUT = 120_000;
const PRIMARY = /\bjp-mod-accept\b/;

async function openPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.sidebar.openTab(PANEL_ID);
  const panel = page.locator(`#${PANEL_ID}`);
  await expect(panel.getByTestId('airlock-active-profile')).toHaveText('demo');
  return panel;
}

test.describe("The journeys' main buttons", () => {
  test('Switch: the profile picker acts when idle and waits while a switch runs', async ({
    page
  }) => {
    const panel = await openPanel(page);
    const picker = panel.getByRole('combobox', { name: 'Mirror profile' });
    await expect(picker).toBeEnabled();

    // The switch's answer is held until the picker was seen disabled (no timing).
    let release: () => void = () => undefined;
    const held = new Promise<void>(resolve => (release = resolve));
    await page.route(/\/airlock\/profiles\/apply(\?|$)/, async route => {
      await held;
      await route.continue();
    });
    await picker.selectOption('demo-offline');
    await expect(picker).toBeDisabled();
    await expect(panel.getByRole('button', { name: 'Revert' })).toBeDisabled();
    release();
    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo-offline'
    );
    await expect(picker).toBeEnabled();
    await page.unroute(/\/airlock\/profiles\/apply(\?|$)/);

    await panel.getByRole('button', { name: 'Revert' }).click();
    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo'
    );
  });

  test('Copy to workspace: primary with a destination, disabled without one', async ({
    page
  }) => {
    const panel = await openPanel(page);
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'datasets/' }).click();
    await rows.filter({ hasText: 'stations.json' }).click();
    const copy = panel.getByRole('button', { name: 'Copy to workspace' });
    const destination = panel.getByRole('textbox', {
      name: 'Copy to (path in the workspace)'
    });

    await expect(destination).toHaveValue('stations.json');
    await expect(copy).toBeEnabled();
    await expect(copy).toHaveClass(PRIMARY);

    await destination.fill('  ');
    await expect(copy).toBeDisabled();
    await destination.fill('copies/stations.json');
    await expect(copy).toBeEnabled();
  });

  test('Plan, then Install: each primary in its turn; Install disabled while a requirement is missing', async ({
    page
  }) => {
    const kernel = await demoKernel(page);
    await page.evaluate(
      ([command, args]) => window.jupyterapp.commands.execute(command, args),
      ['airlock:install', { kernel }] as const
    );
    const dialog = page.getByTestId('airlock-install');
    const plan = dialog.getByRole('button', { name: 'Plan' });
    const install = dialog.getByRole('button', {
      name: 'Install',
      exact: true
    });
    const requirements = dialog.getByRole('textbox', {
      name: /Requirements, one per line/
    });

    await expect(plan).toBeDisabled();
    await requirements.fill('airlock-demo-units');
    await expect(plan).toBeEnabled();
    await expect(plan).toHaveClass(PRIMARY);
    await plan.click();
    await expect(
      dialog.locator('[data-package="airlock-demo-units"]')
    ).toContainText('requested', { timeout: PLAN_TIMEOUT });
    // With a plan, Install is the main action and Plan steps back.
    await expect(install).toBeEnabled();
    await expect(install).toHaveClass(PRIMARY);
    await expect(plan).not.toHaveClass(PRIMARY);

    await requirements.fill('airlock-absent-package');
    await plan.click();
    await expect(dialog.getByTestId('airlock-plan-missing')).toContainText(
      'airlock-absent-package',
      { timeout: PLAN_TIMEOUT }
    );
    await expect(install).toBeDisabled();
  });

  test('Create kernel: primary for a bundle, and disabled in the dialog while a name is not valid', async ({
    page
  }) => {
    const panel = await openPanel(page);
    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'bundles/' }).click();
    await rows.filter({ hasText: 'demo-analysis/' }).click();
    const fromBundle = panel
      .getByTestId('airlock-bundle')
      .getByRole('button', { name: 'Create kernel from bundle…' });
    await expect(fromBundle).toBeEnabled();
    await expect(fromBundle).toHaveClass(PRIMARY);

    await fromBundle.click();
    const dialog = page.locator('.jp-Dialog');
    const create = dialog.getByRole('button', { name: 'Create kernel' });
    await expect(create).toBeEnabled();
    await expect(create).toHaveClass(PRIMARY);
    await dialog.getByLabel(/^Kernel name/).fill('Not A Name');
    await expect(create).toBeDisabled();
    await dialog.getByLabel(/^Kernel name/).fill('fine-name');
    await dialog.getByLabel('Name in the launcher').fill('');
    await expect(create).toBeDisabled();
    await dialog.getByLabel('Name in the launcher').fill('Fine name');
    await expect(create).toBeEnabled();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
  });
});
