import { expect, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';

test.describe('Activity and policy', () => {
  test('a copy out of the bucket appears in the Activity section, with what it copied', async ({
    page,
    tmpPath
  }, testInfo) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
      'demo'
    );
    const section = panel.locator('[data-section="activity"]');
    // Looked at now and then: closed until opened.
    await expect(section).not.toHaveAttribute('open');
    await section.locator('summary').first().click();
    const activity = panel.getByTestId('airlock-activity');
    const destination = `${tmpPath}/stations.json`;
    const copies = activity
      .getByTestId('airlock-activity-record')
      .filter({ hasText: `datasets/stations.json → ${destination}` });
    await expect(activity).toBeVisible();
    await expect(copies).toHaveCount(0);

    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'datasets/' }).click();
    await rows.filter({ hasText: 'stations.json' }).click();
    await panel
      .getByRole('textbox', { name: 'Copy to (path in the workspace)' })
      .fill(destination);
    await panel.getByRole('button', { name: 'Copy to workspace' }).click();
    await expect(panel.getByTestId('airlock-copy-job')).toContainText(
      'copied and verified'
    );

    // The section reads the trail again when the job ends: no refresh by hand.
    await expect(copies).toHaveCount(1);
    const copy = copies.first();
    await expect(copy).toHaveAttribute('data-action', 'copy');
    await expect(copy).toHaveAttribute('data-result', 'succeeded');
    await expect(copy).toContainText('copy');
    await copy.locator('summary').click();
    const json = copy.locator('pre');
    await expect(json).toContainText('"sha256"');
    await expect(json).toContainText('"destination"');
    await section.screenshot({ path: testInfo.outputPath('activity.png') });

    // Filters: by action, then by the user who copied.
    const action = activity.getByRole('combobox', { name: 'Action to show' });
    await action.selectOption('copy');
    const records = activity.getByTestId('airlock-activity-record');
    await expect(copies).toHaveCount(1);
    await expect(
      records.and(page.locator(':not([data-action="copy"])'))
    ).toHaveCount(0);
    const user = activity.getByRole('combobox', { name: 'User to show' });
    // Who copied, by the identity provider's name; the id in the tooltip.
    const { user: userId, user_name: userName } = JSON.parse(
      (await json.textContent()) ?? '{}'
    );
    expect(userName).toBeTruthy();
    const who = copy.locator('.jp-Airlock-activityWho');
    await expect(who).toContainText(userName);
    await expect(who).not.toContainText(userId);
    await expect(who).toHaveAttribute('title', userId);
    await expect(user.locator('option')).toContainText(['All users', userName]);
    await user.selectOption(userId);
    await expect(copies).toHaveCount(1);

    await action.selectOption('');
    await user.selectOption('');
  });

  test("the Policy section lists the demo's rule, and the denied package cannot be ticked", async ({
    page
  }, testInfo) => {
    await page.sidebar.openTab(PANEL_ID);
    const panel = page.locator(`#${PANEL_ID}`);
    const section = panel.locator('[data-section="policy"]');
    await expect(section).not.toHaveAttribute('open');

    await section.locator('summary').first().click();

    const policy = panel.getByTestId('airlock-policy');
    await expect(policy).toContainText('These packages are never installed:');
    await expect(policy.getByRole('list', { name: 'Denied' })).toHaveText(
      'airlock-demo-legacy'
    );
    await expect(policy).toContainText('cannot be changed here');
    await expect(panel.getByTestId('airlock-policy-broken')).toHaveCount(0);

    const rows = panel.getByTestId('airlock-artifact-row');
    await rows.filter({ hasText: 'wheels/' }).click();
    const legacy = rows.filter({ hasText: 'airlock_demo_legacy' });
    await expect(legacy.getByTestId('airlock-not-allowed')).toBeVisible();
    await expect(legacy).not.toHaveAttribute('aria-checked');
    await expect(legacy.locator('.jp-Airlock-tick')).toHaveClass(
      /jp-mod-disabled/
    );
    await section.screenshot({ path: testInfo.outputPath('policy.png') });
  });
});
