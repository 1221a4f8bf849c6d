import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { AirlockClient } from './api';
import { airlockIcon } from './icons';
import { AirlockModel } from './model';
import { CommandIDs } from './tokens';
// The sidebar tab must exist when the layout is restored, so the widget loads at start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AirlockSidebar } from './widget';

/**
 * The Airlock side panel, its commands and their place in the palette.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-airlock:plugin',
  description:
    'Mirror profiles, read-bucket browsing and offline installs for air-gapped workspaces.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_airlock');
    const { serviceManager } = app;
    const model = new AirlockModel(
      new AirlockClient(serviceManager.serverSettings),
      serviceManager.kernelspecs
    );
    const sidebar = new AirlockSidebar(model, trans);
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

    void model.refresh();
  }
};

export default plugin;
