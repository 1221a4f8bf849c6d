/// <reference types="node" />
/**
 * Airlock's plugins in a real JupyterLab application object, against a real Jupyter server
 * with the Airlock server extension (started by @jupyterlab/testing; nothing is mocked): an
 * extension of someone else's that requires IAirlock sees the active profile, its switches
 * and the read bucket's catalog.
 *
 * The profile only names an artifact source (a folder): switching to it writes no tool's
 * file (pip, conda, npm, uv), only Airlock's state in the server's temporary data folder,
 * so the developer's own configuration is never touched.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
  JupyterFrontEndPlugin,
  JupyterLab,
  LabShell,
  LayoutRestorer
} from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { StateDB } from '@jupyterlab/statedb';

import plugins, { IAirlock } from '../index';
import type { InstallWidget } from '../components/InstallDialog';
import { IAirlockModel } from '../tokens';

import { airlockServer } from './airlockServer';

const exchange = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-exchange-'));
fs.writeFileSync(path.join(exchange, 'notes.csv'), 'a,b\n1,2\n');

airlockServer({
  profiles: [
    {
      name: 'exchange',
      description: 'The mounted exchange folder',
      source: { kind: 'folder', path: exchange }
    }
  ],
  active_profile: ''
});

afterAll(() => fs.rmSync(exchange, { recursive: true, force: true }));

/**
 * Another extension's plugin: it keeps the IAirlock it was given and every profile name
 * the signal brought.
 */
function consumerPlugin(): {
  plugin: JupyterFrontEndPlugin<void>;
  seen: (string | null)[];
  airlock: () => IAirlock;
} {
  const seen: (string | null)[] = [];
  let given: IAirlock | null = null;
  const plugin: JupyterFrontEndPlugin<void> = {
    id: 'another-extension:plugin',
    description: 'An extension that follows the mirror profile.',
    autoStart: true,
    requires: [IAirlock],
    activate: (_, airlock: IAirlock) => {
      given = airlock;
      airlock.activeProfileChanged.connect((_, name) => seen.push(name));
    }
  };
  return {
    plugin,
    seen,
    airlock: () => {
      if (!given) {
        throw new Error('the plugin was not activated');
      }
      return given;
    }
  };
}

describe('IAirlock', () => {
  let app: JupyterLab;

  beforeEach(() => {
    app = new JupyterLab();
  });

  it('gives another extension the active profile, its switches and the catalog', async () => {
    const consumer = consumerPlugin();
    app.registerPlugins([...plugins, consumer.plugin]);

    await app.activatePlugin(consumer.plugin.id);

    const airlock = consumer.airlock();
    // What the panel's picker does: the model the Airlock plugins share switches.
    const model = await app.resolveRequiredService(IAirlockModel);
    await model.refresh();
    expect(airlock.activeProfile).toBeNull();

    expect(await model.profiles.switchTo('exchange')).toBe(true);

    expect(consumer.seen).toEqual(['exchange']);
    expect(airlock.activeProfile).toBe('exchange');
    const page = await airlock.catalog.list({});
    expect(page.entries.map(entry => entry.name)).toEqual(['notes.csv']);

    expect(await model.profiles.revert()).toBe(true);

    expect(consumer.seen).toEqual(['exchange', null]);
    expect(airlock.activeProfile).toBeNull();
    await expect(airlock.catalog.list({})).rejects.toThrow();
  });

  it('opens the install dialog, its plan to review, for another extension', async () => {
    const consumer = consumerPlugin();
    app.registerPlugins([...plugins, consumer.plugin]);
    // No status bar nor Settings Editor in this application: their plugins stay off.
    await app.start({
      ignorePlugins: [
        'jupyterlab-airlock:status-bar',
        'jupyterlab-airlock:profile-field'
      ]
    });
    // The shell takes main-area tabs once a layout is restored (here an empty one).
    await (app.shell as LabShell).restoreLayout(
      'multiple-document',
      new LayoutRestorer({
        connector: new StateDB(),
        first: app.started,
        registry: app.commands
      })
    );

    await consumer.airlock().install({
      kernel: 'echo',
      requirements: ['pandas>=2', 'pyarrow']
    });

    const tabs = Array.from(app.shell.widgets('main')).filter(widget =>
      widget.id.startsWith('jp-airlock-install-')
    ) as MainAreaWidget<InstallWidget>[];
    expect(tabs).toHaveLength(1);
    expect(app.shell.currentWidget).toBe(tabs[0]);
    const { model } = tabs[0].content;
    expect(model.kernel).toBe('echo');
    expect(model.requirements).toBe('pandas>=2\npyarrow');
    expect(model.request?.requirements).toEqual(['pandas>=2', 'pyarrow']);
  });
});
