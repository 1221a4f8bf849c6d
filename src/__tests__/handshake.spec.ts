/**
 * The version handshake against a real Jupyter server with the Airlock server extension
 * (started by @jupyterlab/testing; nothing is mocked): the page and the server part are
 * built from the same package.json, so a mismatch is made by giving the page another
 * version. The comparison itself is tested on its own.
 */
import { Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';

import packageJson from '../../package.json';
import { AirlockClient } from '../api';
import { handshake, PAGE_VERSION, versionProblem } from '../handshake';

import { airlockServer } from './airlockServer';

const trans = nullTranslator.load('jupyterlab_airlock');

airlockServer();

beforeEach(() => Notification.dismiss());

function client(): AirlockClient {
  return new AirlockClient(ServerConnection.makeSettings());
}

describe('handshake', () => {
  it('says nothing when the server part is the page’s version', async () => {
    expect(PAGE_VERSION).toBe(packageJson.version);
    const status = await client().getStatus();
    expect(status.version).toBe(PAGE_VERSION);

    expect(await handshake(client(), trans)).toBeNull();

    expect(Notification.manager.count).toBe(0);
  });

  it('tells to restart after an upgrade when the server part is older', async () => {
    const { version } = await client().getStatus();

    const problem = await handshake(client(), trans, '99.0.0');

    expect(problem).toBe(
      `Airlock’s server part is ${version} but the page is 99.0.0: ` +
        'restart JupyterLab after `pip install -U jupyterlab_airlock`.'
    );
    const [notification] = Notification.manager.notifications;
    expect(notification.message).toBe(problem);
    expect(notification.type).toBe('warning');
    expect(notification.options.autoClose).toBe(false);
  });

  it('tells to reload the page when the server part is newer', async () => {
    const problem = await handshake(client(), trans, '0.0.1');

    expect(problem).toContain('but the page is 0.0.1: reload the page');
    expect(Notification.manager.count).toBe(1);
  });

  it('leaves an unreachable server to the panel', async () => {
    const unreachable = new AirlockClient(
      ServerConnection.makeSettings({ baseUrl: 'http://127.0.0.1:9/' })
    );

    expect(await handshake(unreachable, trans)).toBeNull();
    expect(Notification.manager.count).toBe(0);
  });
});

describe('versionProblem', () => {
  it('reads npm’s and Python’s spelling of a pre-release as one', () => {
    expect(versionProblem('0.2.0a1', trans, '0.2.0-alpha.1')).toBeNull();
    expect(versionProblem('1.0.0b2', trans, '1.0.0-beta.2')).toBeNull();
    expect(versionProblem('1.0.0rc1', trans, '1.0.0-rc.1')).toBeNull();
    expect(versionProblem('0.2.0a1', trans, '0.2.0-alpha.2')).not.toBeNull();
  });

  it('names both versions and what to do', () => {
    expect(versionProblem('0.1.0', trans, '0.2.0')).toBe(
      'Airlock’s server part is 0.1.0 but the page is 0.2.0: ' +
        'restart JupyterLab after `pip install -U jupyterlab_airlock`.'
    );
    expect(versionProblem('0.10.0', trans, '0.9.1')).toContain(
      'reload the page'
    );
  });
});
