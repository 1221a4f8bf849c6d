/**
 * The install dialog's model against a real Jupyter server with the
 * Airlock server extension (started by @jupyterlab/testing; nothing is mocked). That server
 * has no artifact source, so every plan is refused: the tests check that the user reads
 * why. The pure parts (what a step does, what can be installed) are tested on their own.
 */
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';

import { AirlockClient, IInstallJob } from '../api';
import {
  describeAction,
  installResult,
  InstallModel,
  isInstallable,
  parseRequirements
} from '../install';
import { JobsModel } from '../jobs';

import { airlockServer } from './airlockServer';

const trans = nullTranslator.load('jupyterlab_airlock');

// No profile, hence no artifact source: nothing here can be installed.
airlockServer();

function models(): { jobs: JobsModel; client: AirlockClient } {
  const client = new AirlockClient(ServerConnection.makeSettings());
  return { client, jobs: new JobsModel(client) };
}

describe('InstallModel', () => {
  it('shows why the server cannot plan without an artifact source', async () => {
    const { client, jobs } = models();
    const install = new InstallModel(client, jobs, {
      kernel: 'ipython',
      keys: ['wheels/airlock_demo_units-1.0.0-py3-none-any.whl']
    });
    const planning: boolean[] = [];
    install.changed.connect(() => planning.push(install.planning));

    const plan = await install.makePlan();

    expect(plan).toBeNull();
    expect(planning).toEqual([true, false]);
    expect(install.error).toContain('names no artifact source');
    expect(install.canInstall).toBe(false);
    expect(await install.install()).toBeNull();
    install.dispose();
    jobs.dispose();
  });

  it('says the same for requirements typed by the user', async () => {
    const { client, jobs } = models();
    const install = new InstallModel(client, jobs, {
      kernel: 'ipython',
      requirements: ['airlock-demo-units>=1']
    });

    await install.makePlan();

    expect(install.plan).toBeNull();
    expect(install.error).toContain('names no artifact source');
    expect(install.planning).toBe(false);
    install.dispose();
    jobs.dispose();
  });

  it('names a kernel that does not exist', async () => {
    const { client, jobs } = models();
    const install = new InstallModel(client, jobs, {
      kernel: 'no-such-kernel',
      requirements: ['airlock-demo-units']
    });

    await install.makePlan();

    expect(install.error).toContain('no-such-kernel');
    install.dispose();
    jobs.dispose();
  });

  it('asks for nothing until there is a kernel and something to install', async () => {
    const { client, jobs } = models();
    const install = new InstallModel(client, jobs, { kernel: null });
    install.setRequirements('  \n# only a comment\n');

    expect(install.request).toBeNull();
    expect(await install.makePlan()).toBeNull();
    expect(install.error).toBeNull();

    install.setKernel('ipython');
    expect(install.request).toBeNull();
    install.setRequirements('airlock-demo-stats\n');
    expect(install.request).toEqual({
      kernel: 'ipython',
      requirements: ['airlock-demo-stats'],
      keys: [],
      paths: []
    });
    install.dispose();
    jobs.dispose();
  });

  it('forgets a refusal once the choice changes', async () => {
    const { client, jobs } = models();
    const install = new InstallModel(client, jobs, {
      kernel: 'ipython',
      paths: ['exchange/airlock_demo_units-1.0.0-py3-none-any.whl']
    });
    await install.makePlan();
    expect(install.error).not.toBeNull();

    install.remove('exchange/airlock_demo_units-1.0.0-py3-none-any.whl');

    expect(install.error).toBeNull();
    expect(install.paths).toEqual([]);
    expect(install.request).toBeNull();
    install.dispose();
    jobs.dispose();
  });
});

describe('the pure parts', () => {
  it('reads requirements one a line, without blanks or comments', () => {
    expect(
      parseRequirements('pandas>=2\n\n  numpy  # for pandas\n# all done\n')
    ).toEqual(['pandas>=2', 'numpy']);
  });

  it('says what a step does to the installed version', () => {
    const step = (action: any, installed: string | null) => ({
      action,
      installed,
      version: '2.0'
    });
    expect(describeAction(step('install', null), trans)).toBe('install');
    expect(describeAction(step('upgrade', '1.0'), trans)).toBe(
      'upgrade 1.0 → 2.0'
    );
    expect(describeAction(step('downgrade', '3.1'), trans)).toBe(
      'downgrade 3.1 → 2.0'
    );
    expect(describeAction(step('reinstall', '2.0'), trans)).toBe(
      'reinstall 2.0'
    );
  });

  it('offers installs for wheels, sdists and conda packages only', () => {
    expect(isInstallable('exchange/pkg-1.0-py3-none-any.whl')).toBe(true);
    expect(isInstallable('pkg-1.0.tar.gz')).toBe(true);
    expect(isInstallable('pkg-1.0.zip')).toBe(true);
    expect(isInstallable('conda/noarch/pkg-1.0-py_0.tar.bz2')).toBe(true);
    expect(isInstallable('pkg-1.0-h0_0.CONDA')).toBe(true);
    expect(isInstallable('datasets/readings.csv')).toBe(false);
    expect(isInstallable('notes.txt')).toBe(false);
  });

  it('finds the result of a succeeded install, and of nothing else', () => {
    const job: IInstallJob = {
      id: '1',
      kind: 'install',
      title: 'Install a into Demo',
      queue: 'env:/x',
      state: 'succeeded',
      progress: 1,
      log: [],
      created: '2025-01-01T00:00:00+00:00',
      finished: '2025-01-01T00:00:05+00:00',
      result: {
        kernel: 'demo',
        prefix: '/x',
        python: '/x/bin/python',
        changes: [],
        files: [],
        kernels: ['demo'],
        can_roll_back: false
      },
      error: null
    };

    expect(installResult(job)?.kernels).toEqual(['demo']);
    const copied = {
      path: 'a',
      files: 1,
      size: 1,
      sha256: null,
      verified: false
    };
    expect(installResult({ ...job, kind: 'copy', result: copied })).toBeNull();
    expect(installResult({ ...job, state: 'failed' })).toBeNull();
  });
});
