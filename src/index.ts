import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  Notification
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IFormRendererRegistry } from '@jupyterlab/ui-components';

// The model needs the client as soon as the plugin activates.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AirlockClient } from './api';
// The sidebar tab, its model and the status item must exist when the layout is restored,
// so they load at start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { MirrorStatusItem } from './components/StatusBarItem';
// The panel shows the same check, and it runs as the plugin activates.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { handshake } from './handshake';
import { airlockIcon } from './icons';
// `isVisible` needs `isInstallable` at once.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { IInstallOptions, InstallModel, isInstallable } from './install';
import { currentKernel } from './kernels';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AirlockModel } from './model';
import type { InstallWidget } from './components/InstallDialog';
// The model loads it at start anyway.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { syncSettings } from './profiles';
// The Settings Editor may draw the field before the panel is first shown.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  ActiveProfileField,
  IActiveProfileFieldProps
} from './components/ActiveProfileField';
import { AirlockViewName, CommandIDs } from './tokens';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AirlockSidebar, AirlockView } from './widget';

const PLUGIN_ID = 'jupyterlab-airlock:plugin';

/**
 * The Airlock side panel, its commands, the status bar item, and the profile settings.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Mirror profiles, artifact browsing and offline installs for air-gapped workspaces.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ITranslator,
    ISettingRegistry,
    IStatusBar,
    IDefaultFileBrowser,
    IFormRendererRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    statusBar: IStatusBar | null,
    fileBrowser: IDefaultFileBrowser | null,
    formRegistry: IFormRendererRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_airlock');
    const { serviceManager } = app;
    const model = new AirlockModel(
      new AirlockClient(serviceManager.serverSettings),
      serviceManager.kernelspecs
    );
    const sidebar = new AirlockSidebar(
      model,
      trans,
      path => app.commands.execute('docmanager:open', { path }),
      (view, kernel) =>
        app.commands.execute(CommandIDs.openView, { view, kernel })
    );
    model.artifacts.copied.connect((_, { path, verified }) => {
      void fileBrowser?.model.refresh();
      Notification.success(
        verified
          ? trans.__('Copied and verified: %1', path)
          : trans.__(
              'Copied: %1 (no manifest lists its sha256: not verified)',
              path
            ),
        { autoClose: 5000 }
      );
    });
    // The first-run guide shows until the user says "Got it" (the setting showGuide, which
    // brings it back too).
    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(settings => {
        const follow = () =>
          sidebar.showGuide(settings.composite.showGuide !== false);
        settings.changed.connect(follow);
        follow();
        sidebar.guideDismissed.connect(
          () => void settings.set('showGuide', false)
        );
      });
    } else {
      sidebar.showGuide(true);
    }
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

    // One Install tab per kernel: another request for the same kernel takes it over while
    // it is idle, afresh (no old text stays) when it asks for something, as it was when it
    // asks for nothing (the palette's command); while it installs, a tab of its own.
    const installTabs = new Set<MainAreaWidget<InstallWidget>>();
    // The main-area views, one of each, brought to the front when asked for again.
    const views = new Map<AirlockViewName, MainAreaWidget>();
    const openView = async (name: AirlockViewName, kernel: string | null) => {
      const open = views.get(name);
      if (open) {
        if (name === 'environments') {
          (open.content as AirlockView<{ kernel: string | null }>).setProps({
            kernel
          });
        }
        app.shell.activateById(open.id);
        return;
      }
      const { viewContent } = await import('./views');
      const { label, content } = viewContent(name, model, trans, kernel, path =>
        app.commands.execute('docmanager:open', { path })
      );
      const widget = new MainAreaWidget({ content });
      widget.id = `jp-airlock-${name}`;
      widget.title.label = label;
      widget.title.icon = airlockIcon;
      widget.title.closable = true;
      views.set(name, widget);
      widget.disposed.connect(() => views.delete(name));
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
    };
    app.commands.addCommand(CommandIDs.openView, {
      label: args =>
        ({
          artifacts: trans.__('Open Airlock Artifacts'),
          environments: trans.__('Open Airlock Environments'),
          jobs: trans.__('Open Airlock Jobs'),
          activity: trans.__('Open Airlock Activity')
        })[args.view as AirlockViewName] ?? trans.__('Open Airlock View'),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            view: {
              type: 'string',
              enum: ['environments', 'jobs', 'activity']
            },
            kernel: {
              type: 'string',
              description: trans.__('The kernel the Environments view shows')
            }
          },
          required: ['view']
        }
      },
      execute: args =>
        openView(
          args.view as AirlockViewName,
          (args.kernel as string | undefined) ?? null
        )
    });

    let installDialogs = 0;
    const openInstall = async (options: IInstallOptions) => {
      const kernel = options.kernel ?? null;
      const open = [...installTabs].find(
        tab => tab.content.model.kernel === kernel && !tab.content.model.busy
      );
      if (open) {
        const asks = [options.keys, options.paths, options.requirements].some(
          items => (items?.length ?? 0) > 0
        );
        if (asks) {
          open.content.model.replace(options);
        }
        app.shell.activateById(open.id);
        return;
      }
      const { InstallWidget } = await import('./components/InstallDialog');
      const content = new InstallWidget(
        new InstallModel(model.client, model.jobs, options),
        model,
        trans
      );
      const widget = new MainAreaWidget({ content });
      widget.id = `jp-airlock-install-${++installDialogs}`;
      widget.title.icon = airlockIcon;
      widget.title.closable = true;
      const label = () => {
        const chosen = model.kernels.find(
          entry => entry.name === content.model.kernel
        );
        widget.title.label = chosen
          ? trans.__('Install into %1', chosen.displayName)
          : trans.__('Install packages');
      };
      label();
      content.model.changed.connect(label);
      // Each plan is appended to the audit trail: Activity shows it at once.
      let shownPlan = content.model.plan;
      content.model.changed.connect(() => {
        if (content.model.plan !== shownPlan) {
          shownPlan = content.model.plan;
          if (shownPlan) {
            void model.activity.refresh();
          }
        }
      });
      installTabs.add(widget);
      widget.disposed.connect(() => installTabs.delete(widget));
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
        'Install packages from the artifact source into a kernel, offline, after a plan'
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
    model.jobs.finished.connect(async (_, job) => {
      if (job.kind === 'install' || job.kind === 'rollback') {
        void model.refreshEnvironments();
        const { notifyInstallEnded } = await import('./notifications');
        notifyInstallEnded(app, model, job, trans);
      } else if (job.kind === 'remove-kernel') {
        await serviceManager.kernelspecs.refreshSpecs();
        void model.refreshEnvironments();
      } else if (job.kind === 'create-kernel') {
        const { notifyKernelCreated } = await import('./notifications');
        await notifyKernelCreated(app, model, job, trans);
      }
    });

    const category = trans.__('Airlock');
    palette?.addItem({ command: CommandIDs.openPanel, category });
    palette?.addItem({ command: CommandIDs.refresh, category });
    palette?.addItem({ command: CommandIDs.install, category });
    for (const view of ['artifacts', 'environments', 'jobs', 'activity']) {
      palette?.addItem({
        command: CommandIDs.openView,
        args: { view },
        category
      });
    }

    // The audit trail records user ids; this page's user is shown by name.
    void serviceManager.user.ready.then(() => {
      const identity = serviceManager.user.identity;
      if (identity) {
        model.activity.setName(
          identity.username,
          identity.display_name || identity.name
        );
      }
    });

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

    // Say at once when the server part is missing or another version: after an upgrade,
    // the most common reason why nothing works.
    void handshake(model.client, trans);
    // The first refresh also probes the active profile's endpoints.
    const ready = model.refresh();
    // In the Settings Editor, `activeProfile` offers the profiles there are now.
    formRegistry?.addRenderer(`${PLUGIN_ID}.activeProfile`, {
      fieldRenderer: (props: IActiveProfileFieldProps) =>
        ActiveProfileField({ ...props, model: model.profiles, trans })
    });
    if (settingRegistry) {
      void Promise.all([settingRegistry.load(PLUGIN_ID), ready]).then(
        ([settings]) =>
          syncSettings(settings, model.profiles, message =>
            Notification.error(
              trans.__('The active profile was not switched: %1', message),
              { autoClose: false }
            )
          )
      );
    }
  }
};

export default plugin;
