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
