/**
 * The REST client and the panel's model against a real Jupyter server with the Airlock
 * server extension loaded (started by @jupyterlab/testing; nothing is mocked).
 */
import { KernelSpecManager, ServerConnection } from '@jupyterlab/services';
import { JupyterServer } from '@jupyterlab/testing';

import { AirlockClient } from '../api';
import { AirlockModel } from '../model';
import { AirlockRequestError } from '../request';

const server = new JupyterServer();

beforeAll(async () => {
  await server.start({
    configData: {
      ServerApp: {
        allow_root: true,
        jpserver_extensions: { jupyterlab_airlock: true }
      },
      Airlock: {
        profiles: [
          {
            name: 'corp',
            description: 'Corporate Nexus',
            pip: { 'index-url': 'https://nexus.corp.example/simple/' },
            source: {
              kind: 's3',
              endpoint_url: 'http://minio:9000',
              bucket: 'read'
            }
          },
          { name: 'broken', pip_index: 'https://typo.example/simple/' }
        ],
        active_profile: 'corp'
      }
    }
  });
}, 60000);

afterAll(async () => {
  await server.shutdown();
});

describe('AirlockClient', () => {
  it('reads the status of the real server extension', async () => {
    const client = new AirlockClient(ServerConnection.makeSettings());

    const status = await client.getStatus();

    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.active_profile?.name).toBe('corp');
    expect(status.active_profile?.pip?.['index-url']).toBe(
      'https://nexus.corp.example/simple/'
    );
    expect(status.profiles).toEqual(['corp']);
    expect(status.problems).toEqual([
      expect.stringContaining("Profile 'broken' has unknown keys: pip_index")
    ]);
  });

  it('turns a refused token into a message about the session', async () => {
    const client = new AirlockClient(
      ServerConnection.makeSettings({ token: 'not-the-token' })
    );

    const failure = client.getStatus();

    await expect(failure).rejects.toBeInstanceOf(AirlockRequestError);
    await expect(failure).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('Reload the page and log in again')
    });
  });

  it('says so plainly when the server cannot be reached', async () => {
    const client = new AirlockClient(
      ServerConnection.makeSettings({ baseUrl: 'http://127.0.0.1:9/' })
    );

    await expect(client.getStatus()).rejects.toMatchObject({
      code: 'unreachable',
      status: 0,
      message: expect.stringContaining('Cannot reach the Jupyter server')
    });
  });
});

describe('AirlockModel', () => {
  it('loads the status and signals the change', async () => {
    const model = new AirlockModel(
      new AirlockClient(ServerConnection.makeSettings())
    );
    const seen: boolean[] = [];
    model.stateChanged.connect(() => seen.push(model.loading));

    await model.refresh();

    expect(seen).toEqual([true, false]);
    expect(model.error).toBeNull();
    expect(model.status?.active_profile?.source?.bucket).toBe('read');
  });

  it('keeps the last status and shows a readable error when a refresh fails', async () => {
    const settings = ServerConnection.makeSettings();
    const model = new AirlockModel(new AirlockClient(settings));
    await model.refresh();

    (
      model.client as { serverSettings: ServerConnection.ISettings }
    ).serverSettings = ServerConnection.makeSettings({ token: 'expired' });
    await model.refresh();

    expect(model.error).toContain('your session has expired');
    expect(model.status?.active_profile?.name).toBe('corp');
    expect(model.loading).toBe(false);
  });

  it('lists the kernels of the server', async () => {
    const specs = new KernelSpecManager({
      serverSettings: ServerConnection.makeSettings()
    });
    await specs.ready;
    const model = new AirlockModel(
      new AirlockClient(ServerConnection.makeSettings()),
      specs
    );

    const names = model.kernels.map(kernel => kernel.name);

    expect(names).toEqual(expect.arrayContaining(['echo', 'ipython']));
    expect(model.kernels[0].displayName).toBeTruthy();
    specs.dispose();
  });
});
