/**
 * The audit trail's model (the Activity section's) against a real Jupyter server with the Airlock server
 * extension (started by @jupyterlab/testing, with a fresh data folder, so its audit trail
 * starts empty; nothing is mocked). The one action recorded here is a refused profile
 * switch: it writes nothing but the audit line. The pure parts (the one-line summary of
 * a record, the names suggested for a new kernel) are tested on their own.
 */
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';

import { AirlockClient, IAuditRecord } from '../api';
import { actionLabel, AuditModel, resultKind, summarizeRecord } from '../audit';
import {
  archiveOrigin,
  bundleOrigin,
  kernelNameProblem,
  suggestDisplayName,
  suggestKernelName
} from '../model';

import { airlockServer } from './airlockServer';

const trans = nullTranslator.load('jupyterlab_airlock');

airlockServer();

function record(fields: Partial<IAuditRecord>): IAuditRecord {
  return {
    time: '2025-01-31T12:00:00+00:00',
    user: 'ada',
    action: 'copy',
    result: 'succeeded',
    ...fields
  };
}

describe('AuditModel', () => {
  // In file order: the trail is empty until the refused switch below.
  it('says that nothing is recorded on a new server', async () => {
    const activity = new AuditModel(
      new AirlockClient(ServerConnection.makeSettings())
    );
    const loading: boolean[] = [];
    activity.changed.connect(() => loading.push(activity.loading));
    expect(activity.loaded).toBe(false);

    await activity.refresh();

    expect(loading).toEqual([true, false]);
    expect(activity.loaded).toBe(true);
    expect(activity.error).toBeNull();
    expect(activity.records).toEqual([]);
    expect(activity.total).toBe(0);
    expect(activity.actions).toEqual([]);
  });

  it('lists a refused profile switch, and filters by action and user', async () => {
    const client = new AirlockClient(ServerConnection.makeSettings());
    await expect(
      client.applyProfile({ name: 'no-such-profile' })
    ).rejects.toThrow('no-such-profile');
    const activity = new AuditModel(client);

    await activity.refresh();

    expect(activity.error).toBeNull();
    expect(activity.total).toBe(1);
    const [refused] = activity.records;
    expect(refused.action).toBe('profile-apply');
    expect(resultKind(refused.result)).toBe('failed');
    expect(summarizeRecord(refused, trans)).toBe('to no-such-profile');
    expect(activity.actions).toEqual(['profile-apply']);
    expect(activity.users).toEqual([refused.user]);
    // Shown by the name the server recorded with the id, not by the id.
    expect(refused.user_name).toBeTruthy();
    expect(refused.user_name).not.toBe(refused.user);
    expect(activity.nameOf(refused.user)).toBe(refused.user_name);

    await activity.setAction('copy');
    expect(activity.records).toEqual([]);
    expect(activity.total).toBe(0);
    // The choices stay: they come from the whole trail.
    expect(activity.actions).toEqual(['profile-apply']);

    await activity.setAction('');
    await activity.setUser(refused.user);
    expect(activity.records).toHaveLength(1);
    await activity.setUser('nobody-here');
    expect(activity.records).toEqual([]);
  });

  it('keeps only the answer to the last question', async () => {
    const activity = new AuditModel(
      new AirlockClient(ServerConnection.makeSettings())
    );

    // The first answer (every action) arrives after the second was asked for.
    await Promise.all([activity.refresh(), activity.setAction('copy')]);

    expect(activity.action).toBe('copy');
    expect(activity.records).toEqual([]);
    expect(activity.loading).toBe(false);
  });

  it('says why the trail cannot be read', async () => {
    const activity = new AuditModel(
      new AirlockClient(
        ServerConnection.makeSettings({ baseUrl: 'http://127.0.0.1:9/' })
      )
    );

    await activity.refresh();

    expect(activity.error).toContain('Cannot reach the Jupyter server');
    expect(activity.loaded).toBe(true);
  });
});

describe('AuditModel.nameOf', () => {
  it('shows a user id by the name the identity provider gave it, others as they are', () => {
    const activity = new AuditModel(
      new AirlockClient(ServerConnection.makeSettings())
    );
    let changes = 0;
    activity.changed.connect(() => (changes += 1));

    activity.setName('0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'Ada Lovelace');

    expect(activity.nameOf('0a1b2c3d4e5f60718293a4b5c6d7e8f9')).toBe(
      'Ada Lovelace'
    );
    expect(activity.nameOf('grace')).toBe('grace');
    expect(changes).toBe(1);
  });
});

describe('summarizeRecord', () => {
  it('says what each action did, on one line', () => {
    const cases: [Partial<IAuditRecord>, string][] = [
      [{ action: 'profile-apply', profile: 'corp' }, 'to corp'],
      [{ action: 'profile-revert', profile: null }, 'back to no profile'],
      [
        {
          action: 'copy',
          key: 'datasets/sensor-readings.csv',
          destination: 'data/readings.csv'
        },
        'datasets/sensor-readings.csv → data/readings.csv'
      ],
      [
        {
          action: 'plan',
          kernel: 'python3',
          requirements: ['pandas>=2'],
          keys: ['wheels/units-1.0-py3-none-any.whl'],
          paths: []
        },
        'pandas>=2, wheels/units-1.0-py3-none-any.whl into python3'
      ],
      [
        {
          action: 'install',
          kernel: 'airlock-demo',
          files: [
            { name: 'units', version: '1.0', file: 'u.whl', sha256: 'ab' },
            { name: 'stats', version: '2.1', file: 's.whl', sha256: 'cd' }
          ]
        },
        'units 1.0, stats 2.1 into airlock-demo'
      ],
      [{ action: 'rollback', prefix: '/envs/demo' }, 'in /envs/demo'],
      [
        { action: 'create-kernel', kernel: 'analysis', key: 'bundles/a/' },
        'analysis from bundles/a/'
      ]
    ];
    for (const [fields, summary] of cases) {
      expect(summarizeRecord(record(fields), trans)).toBe(summary);
    }
  });

  it('names the profile a refused switch asked for', () => {
    expect(
      summarizeRecord(
        record({
          action: 'profile-apply',
          result: 'refused: profile-locked',
          request: { profile: { name: 'mine' } }
        }),
        trans
      )
    ).toBe('to mine');
  });

  it('shows the plain inputs of an action it does not know', () => {
    const summary = summarizeRecord(
      record({ action: 'purge', kernel: 'old', count: 3, files: ['x'] }),
      trans
    );

    expect(summary).toBe('kernel=old count=3');
    expect(actionLabel('purge', trans)).toBe('purge');
    expect(actionLabel('profile-apply', trans)).toBe('profile switch');
  });

  it('tells results that worked from those that did not', () => {
    expect(resultKind('succeeded')).toBe('ok');
    expect(resultKind('ok')).toBe('ok');
    expect(resultKind('cancelled')).toBe('other');
    expect(resultKind('failed')).toBe('failed');
    expect(resultKind('refused: policy-broken')).toBe('failed');
  });
});

describe('the names of a new kernel', () => {
  it('suggests a valid name that no kernel has', () => {
    expect(suggestKernelName('Analysis 2025', [])).toBe('analysis-2025');
    expect(suggestKernelName('analysis', ['analysis', 'analysis-2'])).toBe(
      'analysis-3'
    );
    expect(suggestKernelName('__pandas env.', [])).toBe('pandas-env');
    expect(suggestKernelName('…', [])).toBe('kernel');
  });

  it('suggests a launcher name that no kernel shows', () => {
    expect(suggestDisplayName('demo-analysis', ['Python 3'])).toBe(
      'demo-analysis'
    );
    expect(
      suggestDisplayName('demo-analysis', ['demo-analysis', 'Python 3'])
    ).toBe('demo-analysis (2)');
  });

  it('starts from the bundle’s name, or the archive’s without its extension', () => {
    const bundle = bundleOrigin(
      {
        key: 'bundles/demo-analysis/',
        name: 'analysis',
        python_version: '3.11',
        platform: 'linux_x86_64',
        requirements: ['ipykernel'],
        files: 31
      },
      trans
    );
    expect(bundle).toEqual({
      key: 'bundles/demo-analysis/',
      label: 'analysis',
      details: 'Python 3.11 · linux_x86_64 · 31 files',
      base: 'analysis'
    });
    // A conda bundle: its platform is a conda subdir.
    expect(
      bundleOrigin(
        {
          key: 'bundles/conda-analysis/',
          kind: 'conda',
          name: 'conda-analysis',
          python_version: '3.11',
          platform: 'linux-64',
          files: 33
        },
        trans
      ).details
    ).toBe('Python 3.11 · conda linux-64 · 33 files');
    // An older bundle.json may lack a name: the folder names it.
    expect(bundleOrigin({ key: 'bundles/stats/' }, trans).base).toBe('stats');
    // The base drops the ending the server recognised, whichever it is.
    for (const format of ['tar.gz', 'tar.xz', 'TAR']) {
      expect(
        archiveOrigin({
          key: `envs/tools-env.${format}`,
          name: `tools-env.${format}`,
          size: 1,
          modified: null,
          etag: null,
          artifact: { kind: 'env-archive', format: format.toLowerCase() },
          checksum: 'not-listed',
          sha256: null,
          trust: { state: 'unverified', principal: null, reason: null },
          advisories: null,
          fit: null,
          policy: null
        }).base
      ).toBe('tools-env');
    }
  });

  it('says why the server would refuse a name, by the rule the server publishes', async () => {
    const client = new AirlockClient(ServerConnection.makeSettings());
    const rule = (await client.getStatus()).rules.kernel_name;
    const problem = (
      name: string,
      displayName = 'Shown',
      taken: string[] = []
    ) => kernelNameProblem(name, displayName, taken, trans, rule);

    expect(problem('analysis-2025')).toBeNull();
    expect(problem('a'.repeat(64))).toBeNull();
    for (const name of ['Analysis', '-x', 'a b', 'a'.repeat(65), 'python3\n']) {
      expect(problem(name)).toBe(rule.message);
    }
    expect(rule.message).toContain('lower-case');
    expect(problem('python3', 'Python', ['python3'])).toContain(
      'already a kernel named python3'
    );
    expect(problem('analysis', '  ')).toContain('launcher');
    // Before the status came, the server alone judges the name.
    expect(kernelNameProblem('Analysis', 'A', [], trans, undefined)).toBeNull();
  });
});
