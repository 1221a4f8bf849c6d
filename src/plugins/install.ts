import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import type { InstallWidget } from '../components/InstallDialog';
import { airlockIcon } from '../icons';
// `isVisible` needs `isInstallable` at once.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { IInstallOptions, InstallModel, isInstallable } from '../install';
import { currentKernel } from '../kernels';
import { AirlockModel } from '../model';
import { CommandIDs, IAirlockModel } from '../tokens';

/**
 * The install dialog (a main-area tab per kernel), its commands, and the file browser's
 * "Install into kernel…".
 */
export const installPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-airlock:install',
  description:
    'Plan and install packages from the artifact source into a kernel, offline.',
  autoStart: true,
  requires: [IAirlockModel],
  optional: [ITranslator, ICommandPalette, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    model: AirlockModel,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_airlock');
    // One Install tab per kernel: another request for the same kernel takes it over while
    // it is idle, afresh (no old text stays) when it asks for something, as it was when it
    // asks for nothing (the palette's command); while it installs, a tab of its own.
    const installTabs = new Set<MainAreaWidget<InstallWidget>>();
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
      const { InstallWidget } = await import('../components/InstallDialog');
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
    // The panel's Install buttons.
    model.installRequested.connect(
      (_, options) =>
        void openInstall({
          ...options,
          kernel: options.kernel ?? currentKernel(app)
        })
    );
    palette?.addItem({
      command: CommandIDs.install,
      category: trans.__('Airlock')
    });
  }
};
