import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';

test.describe('Mirror profiles', () => {
  test('switching the profile in the panel changes what pip sees, and Revert undoes it', async ({
    page
  }, testInfo) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const effective = panel.getByTestId('airlock-effective');
    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo'
    );
    await expect(effective).toContainText('global.index-url');
    await expect(effective).toContainText('http://127.0.0.1:');
    await expect(effective).not.toContainText('global.no-index');

    await panel
      .getByRole('combobox', { name: 'Mirror profile' })
      .selectOption('demo-offline');

    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo-offline'
    );
    await expect(effective).toContainText('global.no-index');
    await expect(effective).not.toContainText('global.index-url');
    await expect(effective).toContainText('/.config/pip/pip.conf');
    await panel.screenshot({
      path: testInfo.outputPath('profile-switched.png')
    });

    await panel.getByRole('button', { name: 'Revert' }).click();

    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo'
    );
    await expect(effective).toContainText('global.index-url');
    await expect(effective).not.toContainText('global.no-index');
  });

  test("Revert goes back through the user's switches and stops at the admin's default profile", async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const active = panel.getByTestId('airlock-active-profile');
    const revert = panel.getByRole('button', { name: 'Revert' });
    const picker = panel.getByRole('combobox', { name: 'Mirror profile' });
    await picker.selectOption('demo-offline');
    await expect(active).toHaveText('demo-offline');
    await expect(revert).toBeEnabled();

    // However many switches earlier tests left, Revert undoes them one by one and is
    // then disabled: the managed default is never dropped.
    for (let step = 0; step < 20 && (await revert.isEnabled()); step++) {
      const before = await active.textContent();
      await revert.click();
      await expect(active).not.toHaveText(before!);
      await expect(picker).toBeEnabled(); // the switch has ended
    }
    await expect(revert).toBeDisabled();
    await expect(active).toHaveText('demo');
    await expect(panel.getByTestId('airlock-source')).toContainText(
      's3://airlock-demo/'
    );
  });

  test('the status bar shows the active profile and that its mirror answered', async ({
    page
  }) => {
    const item = page.getByTestId('airlock-status-item');

    await expect(item).toHaveText('Mirror: demo ✓');
    await item.click();

    await expect(page.locator(`#${PANEL_ID}`)).toBeVisible();
  });

  test('checking connectivity lists each endpoint of the profile', async ({
    page
  }) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);

    await panel.getByRole('button', { name: 'Check connectivity' }).click();

    const probes = panel.getByRole('list', { name: 'Connectivity' });
    await expect(probes).toContainText('pip index');
    await expect(probes).toContainText('artifact source');
    await expect(probes.locator('.jp-Airlock-failed')).toHaveCount(0);
  });

  test('the doctor asks each tool to reach the mirror and shows the command it ran', async ({
    page
  }, testInfo) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);

    await panel.getByRole('button', { name: 'Doctor' }).click();

    const doctor = panel.getByTestId('airlock-doctor');
    // pip resolves for real (a dry run), which takes a few seconds.
    await expect(doctor).toContainText('python -m pip install -vv --dry-run', {
      timeout: 120000
    });
    await expect(doctor).toContainText('echo pip | uv pip compile -');
    // The demo mirror carries the demo's packages, not pip: the tools reach it and say so.
    await expect(doctor).toContainText(
      "but the mirror has no package 'pip', so nothing was resolved"
    );
    await expect(doctor.locator('.jp-Airlock-failed')).toHaveCount(0);
    await panel.screenshot({ path: testInfo.outputPath('doctor.png') });
  });
});
