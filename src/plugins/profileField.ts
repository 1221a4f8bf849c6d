import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { IFormRendererRegistry } from '@jupyterlab/ui-components';

// The Settings Editor may draw the field before the panel is first shown.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  ActiveProfileField,
  IActiveProfileFieldProps
} from '../components/ActiveProfileField';
import { AirlockModel } from '../model';
import { IAirlockModel, PLUGIN_ID } from '../tokens';

/**
 * `activeProfile` in the Settings Editor: a picker of the profiles there are now.
 */
export const profileFieldPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-airlock:profile-field',
  description:
    'The active profile picker of the Airlock settings in the Settings Editor.',
  autoStart: true,
  requires: [IAirlockModel, IFormRendererRegistry],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    model: AirlockModel,
    formRegistry: IFormRendererRegistry,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_airlock');
    formRegistry.addRenderer(`${PLUGIN_ID}.activeProfile`, {
      fieldRenderer: (props: IActiveProfileFieldProps) =>
        ActiveProfileField({ ...props, model: model.profiles, trans })
    });
  }
};
