/**
 * The Airlock sidebar at JupyterLab's default width and each main-area view, in the
 * light and the dark theme: axe-core finds no serious or critical violation in Airlock's
 * own nodes, and each looks as its committed screenshot.
 *
 * This file runs first, on a fresh demo (the `views` project, which the `demo` project
 * depends on), so the Jobs and Activity views hold exactly what it did: one copy and the
 * plans. `jlpm test:views:update` writes the screenshots again after a deliberate change;
 * `AIRLOCK_DOCS_SCREENSHOTS=1 jlpm test:views` (or `make screenshots`) also writes the
 * README's pictures into docs/.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as path from 'path';

import { demoKernel, expectAccessible } from './helpers';

const PANEL_ID = 'jp-airlock-panel';
// JupyterLab's default width of the left sidebar's panel.
const SIDEBAR_WIDTH = 250;
const DOCS = path.resolve(__dirname, '..', '..', 'docs');
const WRITE_DOCS = process.env.AIRLOCK_DOCS_SCREENSHOTS === '1';
// The copy whose job and audit record the Jobs and Activity views show.
const COPIED = 'datasets/stations.json';
const COPY_DESTINATION = 'airlock-views/stations.json';
const PLAN_TIMEOUT = 120_000;

test.use({
  // Room for a main-area view beside the sidebar, the same on every machine.
  viewport: { width: 1280, height: 800 },
  // The demo's times and ids are masked; the locale fixes how the rest is written.
  locale: 'en-GB',
  timezoneId: 'UTC'
});

/**
 * What changes from run to run, masked in every screenshot: times, dates and durations, the
 * server's version, user names, absolute paths of this machine, and the versions of the
 * packages the demo kernel borrows from the Python that runs the demo.
 */
function changing(page: IJupyterLabPageFixture): Locator[] {
  return [
    '.jp-Airlock-version',
    '.jp-Airlock-latency',
    '.jp-Airlock-jobTime',
    '.jp-Airlock-modified',
    '.jp-Airlock-activityWho',
    '.jp-Airlock-environments .jp-Airlock-facts .jp-Airlock-url',
    '.jp-Airlock-packageVersion',
    '.jp-Airlock-kernel .jp-Airlock-url',
    '.jp-Airlock-install .jp-Airlock-url'
  ].map(selector => page.locator(selector));
}

/**
 * Open a main-area view through Airlock's command, and wait until its tab is current.
 */
async function openView(
  page: IJupyterLabPageFixture,
  view: string,
  args: Record<string, unknown> = {}
): Promise<Locator> {
  await page.evaluate(
    ([command, commandArgs]) =>
      window.jupyterapp.commands.execute(command, commandArgs),
    ['airlock:open-view', { view, ...args }] as const
  );
  const widget = page.locator(`#jp-airlock-${view}`);
  await expect(widget).toBeVisible();
  return widget;
}

/**
 * Check, picture and, when asked, write into docs/ what `locator` shows.
 */
async function look(
  page: IJupyterLabPageFixture,
  locator: Locator,
  selector: string,
  name: string,
  theme: string
): Promise<void> {
  await expectAccessible(page, selector);
  const mask = changing(page);
  await expect(locator).toHaveScreenshot(`${name}-${theme}.png`, {
    mask,
    maxDiffPixelRatio: 0.01
  });
  if (WRITE_DOCS && theme === 'light') {
    // For people: the real times and paths, unmasked.
    await locator.screenshot({ path: path.join(DOCS, `airlock-${name}.png`) });
  }
}

test.describe('Airlock at the default sidebar width', () => {
  test.beforeAll(async ({ request, baseURL }) => {
    // One copy out of the bucket, through the API, so that Jobs and Activity have it
    // (once: a worker that starts again after a failure finds it done).
    const { jobs } = await (
      await request.get(`${baseURL}/airlock/jobs`)
    ).json();
    if (jobs.some((job: { title: string }) => job.title.includes(COPIED))) {
      return;
    }
    const answer = await request.post(`${baseURL}/airlock/artifacts/copy`, {
      data: { key: COPIED, destination: COPY_DESTINATION, overwrite: true }
    });
    expect(answer.ok(), await answer.text()).toBeTruthy();
    const { id } = await answer.json();
    await expect
      .poll(
        async () =>
          (await (await request.get(`${baseURL}/airlock/jobs/${id}`)).json())
            .state,
        { timeout: 30_000 }
      )
      .toBe('succeeded');
  });

  for (const theme of ['light', 'dark']) {
    test(`the sidebar and every view, ${theme}`, async ({ page }) => {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      await page.sidebar.openTab(PANEL_ID);
      const panel = page.locator(`#${PANEL_ID}`);
      expect((await panel.boundingBox())?.width).toBe(SIDEBAR_WIDTH);
      await expect(panel.getByTestId('airlock-active-profile')).toHaveText(
        'demo'
      );
      await expect(
        panel.locator('[data-section="kernels"] [data-kernel]')
      ).not.toHaveCount(0);
      await expect(
        panel.getByTestId('airlock-artifact-row').filter({ hasText: 'wheels/' })
      ).toBeVisible();
      await expect(panel.getByTestId('airlock-job')).not.toHaveCount(0);
      // Scanned open too.
      for (const section of ['activity', 'policy']) {
        await panel.locator(`[data-section="${section}"] > summary`).click();
      }
      await expect(
        panel.getByTestId('airlock-activity-record')
      ).not.toHaveCount(0);
      await expect(panel.getByTestId('airlock-policy')).toBeVisible();
      // Opening the last sections scrolled the panel down: the picture is of its top.
      await panel.evaluate(node =>
        [node, ...node.querySelectorAll('*')].forEach(element => {
          element.scrollTop = 0;
        })
      );
      await look(page, panel, `#${PANEL_ID}`, 'panel', theme);

      const artifacts = await openView(page, 'artifacts');
      const rows = artifacts.getByTestId('airlock-table-row');
      await rows.filter({ hasText: 'datasets/' }).click();
      await rows.filter({ hasText: 'stations.json' }).click();
      await expect(artifacts.getByTestId('airlock-preview')).toBeVisible();
      await look(page, artifacts, '#jp-airlock-artifacts', 'artifacts', theme);

      const kernel = await demoKernel(page);
      const environments = await openView(page, 'environments', { kernel });
      await expect(
        environments
          .getByRole('table', { name: 'Packages' })
          .locator('tbody tr')
      ).not.toHaveCount(0);
      await look(
        page,
        environments,
        '#jp-airlock-environments',
        'environments',
        theme
      );

      const jobs = await openView(page, 'jobs');
      await expect(
        jobs.getByTestId('airlock-job').filter({ hasText: COPIED })
      ).toHaveAttribute('data-job-state', 'succeeded');
      await look(page, jobs, '#jp-airlock-jobs', 'jobs', theme);

      await page.evaluate(
        ([command, args]) => window.jupyterapp.commands.execute(command, args),
        [
          'airlock:install',
          { kernel, requirements: ['airlock-demo-stats'] }
        ] as const
      );
      const install = page.getByTestId('airlock-install');
      await install.getByRole('button', { name: 'Plan' }).click();
      await expect(
        install.locator('[data-package="airlock-demo-units"]')
      ).toContainText('dependency', { timeout: PLAN_TIMEOUT });
      await look(
        page,
        install,
        '[data-testid="airlock-install"]',
        'install',
        theme
      );

      const activity = await openView(page, 'activity');
      const records = activity.getByTestId('airlock-activity-record');
      await expect(records.filter({ hasText: COPIED })).toHaveCount(1);
      await expect(
        records.filter({ hasText: 'airlock-demo-stats' })
      ).not.toHaveCount(0);
      await look(page, activity, '#jp-airlock-activity', 'activity', theme);
    });
  }
});
