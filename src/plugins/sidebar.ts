import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { airlockIcon } from '../icons';
import { AirlockModel } from '../model';
import { CommandIDs, IAirlockModel, PLUGIN_ID } from '../tokens';
// The sidebar tab must exist when the layout is restored, so it loads at start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AirlockSidebar } from '../widget';

/**
 * The Airlock side panel, with the first-run guide, and the command that opens it.
 */
export const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-airlock:sidebar',
  description:
    'The Airlock side panel: mirror profiles, artifacts, kernels, jobs and policy.',
  autoStart: true,
  requires: [IAirlockModel],
  optional: [ITranslator, ILayoutRestorer, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    model: AirlockModel,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_airlock');
    const sidebar = new AirlockSidebar(
      model,
      trans,
      path => app.commands.execute('docmanager:open', { path }),
      (view, kernel) =>
        app.commands.execute(CommandIDs.openView, { view, kernel })
    );
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
    const category = trans.__('Airlock');
    palette?.addItem({ command: CommandIDs.openPanel, category });
    palette?.addItem({ command: CommandIDs.refresh, category });
  }
};
