import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

// The other plugins need the model as they activate.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AirlockClient } from '../api';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { AirlockModel } from '../model';
import { IAirlockModel } from '../tokens';

/**
 * The state behind the panel, the views, the status bar and IAirlock: one for the page.
 */
export const modelPlugin: JupyterFrontEndPlugin<AirlockModel> = {
  id: 'jupyterlab-airlock:model',
  description: 'The state behind the Airlock panel, shared by its plugins.',
  autoStart: true,
  provides: IAirlockModel,
  activate: (app: JupyterFrontEnd): AirlockModel => {
    const { serviceManager } = app;
    return new AirlockModel(
      new AirlockClient(serviceManager.serverSettings),
      serviceManager.kernelspecs
    );
  }
};
