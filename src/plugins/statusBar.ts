import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// The status item is drawn with the status bar, at start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { MirrorStatusItem } from '../components/StatusBarItem';
import { AirlockModel } from '../model';
import { CommandIDs, IAirlockModel, PLUGIN_ID } from '../tokens';

/**
 * The status bar item: the active mirror profile and whether its endpoints answered; a
 * click opens the panel.
 */
export const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-airlock:status-bar',
  description: 'The active mirror profile and its health in the status bar.',
  autoStart: true,
  requires: [IAirlockModel, IStatusBar],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: AirlockModel,
    statusBar: IStatusBar,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_airlock');
    // The item's id is the one it always had: the status bar's settings refer to it.
    statusBar.registerStatusItem(`${PLUGIN_ID}:mirror`, {
      item: new MirrorStatusItem(model.profiles, trans, () =>
        app.commands.execute(CommandIDs.openPanel)
      ),
      align: 'left',
      rank: 50
    });
  }
};
