import AxeBuilder from '@axe-core/playwright';
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';

// The demo's kernel runs in an environment of its own (never the one JupyterLab runs in):
// its display name says "demo".
export const DEMO_KERNEL = /demo/i;

/**
 * The kernelspec name of the demo kernel.
 */
export async function demoKernel(
  page: IJupyterLabPageFixture
): Promise<string> {
  const names = await page.evaluate(() =>
    Object.values(
      window.jupyterapp.serviceManager.kernelspecs.specs?.kernelspecs ?? {}
    ).map(spec => [spec!.name, spec!.display_name])
  );
  const found = names.find(([, displayName]) => DEMO_KERNEL.test(displayName));
  expect(
    found,
    `a kernel named like ${DEMO_KERNEL} among ${names}`
  ).toBeTruthy();
  return found![0];
}

/**
 * No serious or critical accessibility violation (axe-core) inside `selector`.
 */
export async function expectAccessible(
  page: IJupyterLabPageFixture,
  selector: string
): Promise<void> {
  const results = await new AxeBuilder({ page }).include(selector).analyze();
  const serious = results.violations
    .filter(violation => ['serious', 'critical'].includes(violation.impact!))
    .map(violation => ({
      rule: violation.id,
      help: violation.help,
      nodes: violation.nodes.map(node => node.target.join(' '))
    }));
  expect(serious, `axe-core in ${selector}`).toEqual([]);
}
