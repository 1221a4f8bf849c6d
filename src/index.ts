import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { AirlockClient, IProfile } from './api';
// The sidebar tab, its model and the status item must exist when the layout is restored,
// so they load at start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { MirrorStatusItem } from './components/StatusBarItem';
import { airlockIcon } from './icons';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AirlockModel } from './model';
import { CommandIDs } from './tokens';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AirlockSidebar } from './widget';

const PLUGIN_ID = 'jupyterlab-airlock:plugin';

/**
 * The Airlock side panel, its commands, the status bar item, and the profile settings.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Mirror profiles, read-bucket browsing and offline installs for air-gapped workspaces.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ITranslator,
    ISettingRegistry,
    IStatusBar,
    IDefaultFileBrowser
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    statusBar: IStatusBar | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_airlock');
    const { serviceManager } = app;
    const model = new AirlockModel(
      new AirlockClient(serviceManager.serverSettings),
      serviceManager.kernelspecs
    );
    const sidebar = new AirlockSidebar(model, trans, path =>
      app.commands.execute('docmanager:open', { path })
    );
    model.artifacts.copied.connect((_, path) => {
      void fileBrowser?.model.refresh();
      Notification.success(trans.__('Copied and verified: %1', path), {
        autoClose: 5000
      });
    });
    app.shell.add(sidebar, 'left', { rank: 850 });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Open Airlock Panel'),
      caption: trans.__('Mirror profiles, artifacts and kernels'),
      icon: airlockIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(sidebar.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Airlock'),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => model.refresh()
    });
    const category = trans.__('Airlock');
    palette?.addItem({ command: CommandIDs.openPanel, category });
    palette?.addItem({ command: CommandIDs.refresh, category });

    statusBar?.registerStatusItem(`${PLUGIN_ID}:mirror`, {
      item: new MirrorStatusItem(model.profiles, trans, () =>
        app.commands.execute(CommandIDs.openPanel)
      ),
      align: 'left',
      rank: 50
    });

    model.profiles.activeChanged.connect((_, name) => {
      Notification.success(
        name
          ? trans.__(
              'Mirror profile %1 is active: pip, conda and npm use it.',
              name
            )
          : trans.__('No mirror profile is active any more.'),
        { autoClose: 5000 }
      );
    });

    const ready = model.refresh().then(() => model.profiles.check());
    if (settingRegistry) {
      void Promise.all([settingRegistry.load(PLUGIN_ID), ready]).then(
        ([settings]) => syncSettings(settings, model)
      );
    }
  }
};

/**
 * Keep JupyterLab's settings and the server's active profile in step: the user's own
 * profiles come from the settings, and choosing `activeProfile` in the Settings Editor
 * switches, as the panel's picker does.
 */
function syncSettings(
  settings: ISettingRegistry.ISettings,
  model: AirlockModel
): void {
  const profiles = model.profiles;
  const onSettingsChanged = () => {
    profiles.setUserProfiles(
      (settings.composite.profiles as unknown as IProfile[] | undefined) ?? []
    );
    const wanted = settings.composite.activeProfile as string | undefined;
    if (wanted && wanted !== profiles.activeName && !profiles.busy) {
      void profiles.switchTo(wanted);
    }
  };
  settings.changed.connect(onSettingsChanged);
  onSettingsChanged();
  profiles.activeChanged.connect((_, name) => {
    if ((settings.composite.activeProfile ?? '') !== (name ?? '')) {
      void settings.set('activeProfile', name ?? '');
    }
  });
}

export default plugin;
