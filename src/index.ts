import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  ISessionContext,
  MainAreaWidget,
  Notification
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { KernelAPI } from '@jupyterlab/services';
import { IStatusBar } from '@jupyterlab/statusbar';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

// The model needs the client as soon as the plugin activates.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  AirlockClient,
  ICreateKernelResult,
  IInstallResult,
  IJob,
  IProfile
} from './api';
// The sidebar tab, its model and the status item must exist when the layout is restored,
// so they load at start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { MirrorStatusItem } from './components/StatusBarItem';
import { airlockIcon } from './icons';
// The model's job list loads this module at start anyway, and `isVisible` needs it at once.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  IInstallOptions,
  InstallModel,
  installResult,
  isInstallable,
  kernelsToRestart
} from './install';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AirlockModel } from './model';
import { messageOf } from './request';
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

    let installDialogs = 0;
    const openInstall = async (options: IInstallOptions) => {
      const { InstallWidget } = await import('./components/InstallDialog');
      const content = new InstallWidget(
        new InstallModel(model.client, model.jobs, options),
        model,
        trans
      );
      const widget = new MainAreaWidget({ content });
      widget.id = `jp-airlock-install-${++installDialogs}`;
      widget.title.label = trans.__('Install packages');
      widget.title.icon = airlockIcon;
      widget.title.closable = true;
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
    };
    const selectedFiles = () =>
      Array.from(fileBrowser?.selectedItems() ?? []).filter(
        item => item.type !== 'directory'
      );
    app.commands.addCommand(CommandIDs.install, {
      label: trans.__('Install packages into kernel…'),
      caption: trans.__(
        'Install packages from the read bucket into a kernel, offline, after a plan'
      ),
      icon: airlockIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            kernel: {
              type: 'string',
              description: trans.__(
                'Kernelspec to install into (default: the current notebook’s)'
              )
            },
            keys: {
              type: 'array',
              items: { type: 'string' },
              description: trans.__('Artifacts of the active source, by key')
            },
            paths: {
              type: 'array',
              items: { type: 'string' },
              description: trans.__(
                'Files relative to the Jupyter root (wheels, sdists, conda packages)'
              )
            },
            requirements: {
              type: 'array',
              items: { type: 'string' },
              description: trans.__('Requirements such as pandas>=2')
            }
          }
        }
      },
      execute: args =>
        openInstall({
          kernel: (args.kernel as string | undefined) ?? currentKernel(app),
          keys: args.keys as string[] | undefined,
          paths: args.paths as string[] | undefined,
          requirements: args.requirements as string[] | undefined
        })
    });
    app.commands.addCommand(CommandIDs.installFile, {
      label: trans.__('Install into kernel…'),
      caption: trans.__(
        'Install the selected wheels, sdists or conda packages into a kernel, offline'
      ),
      icon: airlockIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      isVisible: () => {
        const files = selectedFiles();
        return (
          files.length > 0 && files.every(file => isInstallable(file.path))
        );
      },
      execute: () =>
        app.commands.execute(CommandIDs.install, {
          paths: selectedFiles().map(file => file.path)
        })
    });
    model.installRequested.connect(
      (_, options) =>
        void openInstall({
          ...options,
          kernel: options.kernel ?? currentKernel(app)
        })
    );
    model.jobs.finished.connect((_, job) => {
      if (job.kind === 'install' || job.kind === 'rollback') {
        void model.refreshEnvironments();
        notifyInstallEnded(app, model, job, trans);
      } else if (job.kind === 'create-kernel') {
        void notifyKernelCreated(app, model, job, trans);
      }
    });

    const category = trans.__('Airlock');
    palette?.addItem({ command: CommandIDs.openPanel, category });
    palette?.addItem({ command: CommandIDs.refresh, category });
    palette?.addItem({ command: CommandIDs.install, category });

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
 * The kernel of the notebook (or console) in front of the user, if any.
 */
function currentKernel(app: JupyterFrontEnd): string | null {
  const widget = app.shell.currentWidget as {
    sessionContext?: ISessionContext;
  } | null;
  const context = widget?.sessionContext;
  return (
    context?.session?.kernel?.name || context?.kernelPreference.name || null
  );
}

/**
 * Whether a finished job succeeded with a result; if it failed or a server restart cut it
 * short, say so (a cancelled job was the user's own doing: nothing to say).
 */
function succeeded(job: IJob, trans: TranslationBundle): boolean {
  if (job.state === 'succeeded' && job.result) {
    return true;
  }
  if (job.state === 'failed' || job.state === 'interrupted') {
    Notification.error(
      job.error?.message ??
        trans.__('%1: interrupted by a server restart.', job.title),
      { autoClose: false }
    );
  }
  return false;
}

/**
 * Say how an install or roll back ended; after a change, offer to restart the running
 * kernels of that environment so they import the new versions.
 */
function notifyInstallEnded(
  app: JupyterFrontEnd,
  model: AirlockModel,
  job: IJob,
  trans: TranslationBundle
): void {
  if (!succeeded(job, trans)) {
    return;
  }
  // Both an install and a roll back name the kernel and the kernels sharing its environment.
  const result = job.result as Pick<IInstallResult, 'kernel' | 'kernels'>;
  const displayName =
    model.kernels.find(kernel => kernel.name === result.kernel)?.displayName ??
    result.kernel;
  const installed = installResult(job);
  const message = installed
    ? trans._n(
        'Installed %1 package into %2',
        'Installed %1 packages into %2',
        installed.changes.length,
        displayName
      )
    : trans.__('Rolled back the install into %1', displayName);
  const { kernels, serverSettings } = app.serviceManager;
  const running = kernelsToRestart(kernels.running(), result.kernels);
  Notification.success(message, {
    autoClose: running.length > 0 ? false : 5000,
    actions:
      running.length > 0
        ? [
            {
              label: trans._n(
                'Restart kernel',
                'Restart %1 kernels',
                running.length
              ),
              caption: trans.__(
                'Restart the running kernels of this environment so they use the new versions'
              ),
              displayType: 'accent',
              callback: () =>
                void Promise.all(
                  running.map(kernel =>
                    KernelAPI.restartKernel(kernel.id, serverSettings)
                  )
                ).catch(reason =>
                  Notification.error(messageOf(reason), { autoClose: false })
                )
            }
          ]
        : []
  });
}

/**
 * Say how making a kernel ended. A new kernel is loaded into the launcher (and the
 * panel) first, so that it is there, without a reload, when the user reads the message.
 */
async function notifyKernelCreated(
  app: JupyterFrontEnd,
  model: AirlockModel,
  job: IJob,
  trans: TranslationBundle
): Promise<void> {
  if (!succeeded(job, trans)) {
    return;
  }
  const result = job.result as ICreateKernelResult;
  try {
    await app.serviceManager.kernelspecs.refreshSpecs();
  } catch (reason) {
    Notification.error(messageOf(reason), { autoClose: false });
  }
  void model.refreshEnvironments();
  Notification.success(
    trans.__(
      'The kernel %1 is ready: it is in the launcher.',
      result.display_name
    ),
    {
      autoClose: 10000,
      actions: app.commands.hasCommand('notebook:create-new')
        ? [
            {
              label: trans.__('New notebook'),
              caption: trans.__('Open a new notebook with this kernel'),
              displayType: 'accent',
              callback: () =>
                void app.commands.execute('notebook:create-new', {
                  kernelName: result.kernel
                })
            }
          ]
        : []
    }
  );
}

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
