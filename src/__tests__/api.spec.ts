/**
 * The REST client and the panel's model against a real Jupyter server with the Airlock
 * server extension loaded (started by @jupyterlab/testing; nothing is mocked).
 */
import { KernelSpecManager, ServerConnection } from '@jupyterlab/services';

import { AirlockClient } from '../api';
import { AirlockModel } from '../model';
import { AirlockRequestError } from '../request';

import { airlockServer } from './airlockServer';

airlockServer({
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
  // Nothing is applied here: this server runs with the developer's real HOME
  // (@jupyterlab/testing passes no HOME), so these tests only read and get refusals.
  active_profile: ''
});

describe('AirlockClient', () => {
  it('reads the status of the real server extension', async () => {
    const client = new AirlockClient(ServerConnection.makeSettings());

    const status = await client.getStatus();

    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
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
  it('loads the status and the profiles, and signals the change', async () => {
    const model = new AirlockModel(
      new AirlockClient(ServerConnection.makeSettings())
    );
    const seen: boolean[] = [];
    model.stateChanged.connect(() => seen.push(model.loading));

    await model.refresh();

    expect(seen[0]).toBe(true);
    expect(seen[seen.length - 1]).toBe(false);
    expect(model.error).toBeNull();
    expect(model.status?.version).toBeTruthy();
    const managed = model.profiles.state?.managed ?? [];
    expect(managed.map(profile => profile.name)).toEqual(['corp']);
    expect(managed[0].source).toMatchObject({ kind: 's3', bucket: 'read' });
    // Node's fetch parses the answer in Node's realm: not an instance of jsdom's Array.
    expect(Array.isArray(model.profiles.effective?.effective.pip)).toBe(true);
  });

  it('keeps the last status and shows a readable error when a refresh fails', async () => {
    const settings = ServerConnection.makeSettings();
    const model = new AirlockModel(new AirlockClient(settings));
    await model.refresh();

    // The session expires: the server no longer takes the page's token.
    (settings as { token: string }).token = 'expired';
    await model.refresh();

    expect(model.error).toContain('your session has expired');
    expect(model.status?.profiles).toEqual(['corp']);
    expect(model.loading).toBe(false);
  });

  it("offers the admin's profiles and the user's own, managed first", async () => {
    const model = new AirlockModel(
      new AirlockClient(ServerConnection.makeSettings())
    );
    await model.refresh();

    model.profiles.setUserProfiles([
      { name: 'mine', pip: { 'index-url': 'https://mine.example/simple/' } },
      {
        name: 'corp',
        description: 'a copy that must not shadow the managed one'
      }
    ]);

    expect(
      model.profiles.choices.map(c => [c.profile.name, c.managed])
    ).toEqual([
      ['corp', true],
      ['mine', false]
    ]);
  });

  it('shows why the server refused an invalid profile, and nothing is active', async () => {
    const model = new AirlockModel(
      new AirlockClient(ServerConnection.makeSettings())
    );
    await model.refresh();
    model.profiles.setUserProfiles([
      { name: 'bad', pip: { 'index-url': 'ftp://mirror.example/simple/' } }
    ]);

    const switched = await model.profiles.switchTo('bad');

    expect(switched).toBe(false);
    expect(model.profiles.error).toContain('index-url');
    expect(model.profiles.activeName).toBeNull();
  });

  it('says why the doctor cannot run while no profile is active', async () => {
    const model = new AirlockModel(
      new AirlockClient(ServerConnection.makeSettings())
    );
    await model.refresh();

    await model.profiles.runDoctor();

    expect(model.profiles.doctor).toBeNull();
    expect(model.profiles.doctoring).toBe(false);
    expect(model.profiles.error).toContain('No profile is active');
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
