import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

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
      .poll(() => JSON.parse(saved() || '{}').profiles?.[0]?.source)
      .toEqual({ kind: 'folder', path: '/mnt/exchange' });
  });

  test('the active profile is picked from the profiles there are', async ({
    page
  }) => {
    const form = await openAirlockSettings(page);
    const picker = form.locator('select[id$="_activeProfile"]');

    await expect(picker.locator('option')).toHaveText([
      '',
      'demo',
      'demo-offline',
      'demo-bucket-index',
      'demo-folder'
    ]);
  });
});
