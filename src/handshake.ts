import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import packageJson from '../package.json';
import { AirlockClient, IStatus } from './api';
import { AirlockRequestError } from './request';

/**
 * The version of this page's part of Airlock: the npm package's.
 */
export const PAGE_VERSION: string = packageJson.version;

/**
 * Pre-release tags as npm and Python spell them; the Python package takes its version
 * from package.json through hatch-nodejs-version (0.2.0-alpha.1 becomes 0.2.0a1).
 */
const PRE_RELEASE: { [tag: string]: string } = {
  alpha: 'a',
  a: 'a',
  beta: 'b',
  b: 'b',
  rc: 'rc'
};

/**
 * A version in one spelling, npm's or Python's, so that the two can be compared.
 */
function normalize(version: string): string {
  return version
    .trim()
    .toLowerCase()
    .replace(
      /-?(alpha|beta|rc|a|b)\.?(\d+)$/,
      (_, tag: string, number: string) => `${PRE_RELEASE[tag]}${number}`
    );
}

/**
 * Whether `a` is an older release than `b`, judged on their numbers (x.y.z); null when
 * the numbers are the same or cannot be read.
 */
function older(a: string, b: string): boolean | null {
  const numbers = (version: string) =>
    (version.match(/^\d+(\.\d+)*/)?.[0] ?? '').split('.').map(Number);
  const [left, right] = [numbers(a), numbers(b)];
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (Number.isNaN(difference)) {
      return null;
    }
    if (difference !== 0) {
      return difference < 0;
    }
  }
  return null;
}

/**
 * What the user must do when the server part is another version than this page, or
 * null when they are the same.
 */
export function versionProblem(
  serverVersion: string,
  trans: TranslationBundle,
  pageVersion: string = PAGE_VERSION
): string | null {
  if (normalize(serverVersion) === normalize(pageVersion)) {
    return null;
  }
  if (older(pageVersion, serverVersion)) {
    // The server part was upgraded and restarted: the page is an old one.
    return trans.__(
      'Airlock’s server part is %1 but the page is %2: reload the page. If this stays, an older copy of the labextension is installed elsewhere (`jupyter labextension list` shows where).',
      serverVersion,
      pageVersion
    );
  }
  // Most often the labextension was upgraded and the server not restarted.
  return trans.__(
    'Airlock’s server part is %1 but the page is %2: restart JupyterLab after `pip install -U jupyterlab_airlock`.',
    serverVersion,
    pageVersion
  );
}

/**
 * What the user must do when the labextension is there but the server part is not.
 */
export function notLoadedProblem(trans: TranslationBundle): string {
  return trans.__(
    'Airlock’s server part is not loaded in this Jupyter server, so the Airlock panel cannot work. Run `jupyter server extension enable jupyterlab_airlock` (after `pip install jupyterlab_airlock` if it is not installed), then restart JupyterLab.'
  );
}

/**
 * Check once that the server part is loaded and is the page's version; when not, say
 * what to do in a notification that stays until dismissed. Resolves to that message,
 * or null when all is well (or when the server cannot be reached at all: the panel
 * says so, and no version is involved).
 */
export async function handshake(
  client: AirlockClient,
  trans: TranslationBundle,
  pageVersion: string = PAGE_VERSION
): Promise<string | null> {
  let status: IStatus;
  try {
    status = await client.getStatus();
  } catch (reason) {
    if (reason instanceof AirlockRequestError && reason.code === 'not-loaded') {
      const problem = notLoadedProblem(trans);
      Notification.error(problem, { autoClose: false });
      return problem;
    }
    return null;
  }
  const problem = versionProblem(status.version, trans, pageVersion);
  if (problem) {
    Notification.warning(problem, { autoClose: false });
  }
  return problem;
}
