import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

const PANEL_ID = 'jp-airlock-panel';

/**
 * JupyterLab's Settings Editor (its form, rjsf) at Airlock's settings.
 */
async function openAirlockSettings(page: IJupyterLabPageFixture) {
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('settingeditor:open', {
      query: 'Airlock'
    })
  );
  const form = page.locator('.jp-SettingsPanel');
  await expect(
    form.getByText('Mirror profiles', { exact: true })
  ).toBeVisible();
  return form;
}

async function openPanel(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('airlock:open-panel')
  );
}

/**
 * Saved settings as an object: their text is JSON with the schema's `//` comments.
 */
function parseSaved(raw: string): Record<string, any> {
  return JSON.parse(raw.replace(/^\s*\/\/.*$/gm, '') || '{}');
}

/**
 * The user's Airlock settings as the Settings Editor last saved them.
 */
function savedSettings(page: IJupyterLabPageFixture): () => string {
  const saves: string[] = [];
  page.on('request', request => {
    if (
      request.method() === 'PUT' &&
      request.url().includes('/lab/api/settings/jupyterlab-airlock')
    ) {
      saves.push(JSON.parse(request.postData() ?? '{}').raw ?? '');
    }
  });
  return () => saves.at(-1) ?? '';
}

test.describe('Airlock in the Settings Editor', () => {
  // The server keeps the active profile from test to test: each starts on the demo's.
  test.afterEach(async ({ request, baseURL }) => {
    const answer = await request.post(`${baseURL}/airlock/profiles/apply`, {
      data: { name: 'demo' }
    });
    expect(answer.ok(), await answer.text()).toBeTruthy();
  });

  test('"Add item" under Mirror profiles adds a profile to fill in, saved as typed', async ({
    page
  }) => {
    const saved = savedSettings(page);
    const form = await openAirlockSettings(page);

    await form.getByRole('button', { name: 'Add item' }).first().click();

    const name = form.locator('input[id$="_profiles_0_name"]');
    await expect(name).toHaveValue('my-mirror');
    await name.fill('corp');
    await expect(name).toHaveValue('corp');
    await expect.poll(saved).toContain('"corp"');
  });

  test("the artifact source shows the S3 fields for a bucket and the folder's for a folder", async ({
    page
  }) => {
    const saved = savedSettings(page);
    const form = await openAirlockSettings(page);
    await form.getByRole('button', { name: 'Add item' }).first().click();
    const field = (name: string) =>
      form.locator(`input[id$="_profiles_0_source_${name}"]`);
    const kind = form.getByRole('combobox').filter({
      has: page.getByRole('option', { name: 'Local or mounted folder' })
    });

    await expect(kind).toHaveValue('0');
    await expect(field('bucket')).toBeVisible();
    await expect(field('endpoint_url')).toBeVisible();
    await expect(field('path')).toHaveCount(0);

    await kind.selectOption({ label: 'Local or mounted folder' });
    await expect(field('path')).toBeVisible();
    await expect(field('bucket')).toHaveCount(0);
    await expect(field('endpoint_url')).toHaveCount(0);
    await field('path').fill('/mnt/exchange');
    await expect
      .poll(() => parseSaved(saved()).profiles?.[0]?.source)
      .toEqual({ kind: 'folder', path: '/mnt/exchange' });
  });

  test("the active profile is picked from the admin's profiles and the user's own", async ({
    page
  }) => {
    const form = await openAirlockSettings(page);
    const picker = form.locator('select[id$="_activeProfile"]');
    await expect(picker).toHaveValue('demo');
    await expect(picker.locator('option')).toHaveText([
      'demo (managed)',
      'demo-offline (managed)',
      'demo-bucket-index (managed)',
      'demo-folder (managed)'
    ]);

    await form.getByRole('button', { name: 'Add item' }).first().click();
    await form.locator('input[id$="_profiles_0_name"]').fill('corp');

    await expect(picker.locator('option').last()).toHaveText('corp');
  });

  test('choosing a profile in the Settings Editor switches to it, also after a reload', async ({
    page
  }) => {
    const saved = savedSettings(page);
    const form = await openAirlockSettings(page);
    const picker = form.locator('select[id$="_activeProfile"]');
    const status = page.getByTestId('airlock-status-item');
    const active = page
      .locator(`#${PANEL_ID}`)
      .getByTestId('airlock-active-profile');
    await expect(picker).toHaveValue('demo');

    await picker.selectOption('demo-folder');

    await expect(status).toContainText('Mirror: demo-folder');
    await expect
      .poll(() => parseSaved(saved()).activeProfile)
      .toBe('demo-folder');
    await expect(page.locator('.jp-Dialog')).toHaveCount(0); // no "Error saving"
    await openPanel(page);
    await expect(active).toHaveText('demo-folder');

    await page.reload({ waitForIsReady: false });
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });

    await expect(status).toContainText('Mirror: demo-folder');
    await openPanel(page);
    await expect(active).toHaveText('demo-folder');
    await expect(
      (await openAirlockSettings(page)).locator('select[id$="_activeProfile"]')
    ).toHaveValue('demo-folder');
  });

  test('choosing a profile in the JSON settings editor switches to it', async ({
    page
  }) => {
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('settingeditor:open-json')
    );
    const editor = page.locator('.jp-SettingEditor');
    await editor
      .locator('.jp-PluginList-entry')
      .filter({ hasText: 'Airlock' })
      .click();
    const user = editor.locator('.jp-SettingsRawEditor-user .cm-content');
    await user.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('{"activeProfile": "demo-offline"}');
    await expect(editor).toContainText('No errors found');
    await page.keyboard.press('ControlOrMeta+s');

    await expect(page.getByTestId('airlock-status-item')).toContainText(
      'Mirror: demo-offline'
    );
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  });

  test('a switch in the panel is saved as the active profile of the settings', async ({
    page
  }) => {
    const saved = savedSettings(page);
    await openPanel(page);
    const panel = page.locator(`#${PANEL_ID}`);

    await panel
      .getByRole('combobox', { name: 'Mirror profile' })
      .selectOption('demo-offline');

    await expect
      .poll(() => parseSaved(saved()).activeProfile)
      .toBe('demo-offline');
    await expect(
      (await openAirlockSettings(page)).locator('select[id$="_activeProfile"]')
    ).toHaveValue('demo-offline');
    await expect(page.getByTestId('airlock-status-item')).toContainText(
      'Mirror: demo-offline'
    );
  });
});
