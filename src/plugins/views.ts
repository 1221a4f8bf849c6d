import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { airlockIcon } from '../icons';
import { AirlockModel } from '../model';
import { AirlockViewName, CommandIDs, IAirlockModel } from '../tokens';
import type { AirlockView } from '../widget';

const VIEWS: AirlockViewName[] = [
  'artifacts',
  'environments',
  'jobs',
  'activity'
];

/**
 * The main-area views (Artifacts, Environments, Jobs, Activity), one of each, brought to
 * the front when asked for again.
 */
export const viewsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-airlock:views',
  description:
    'The Airlock main-area views: artifacts, environments, jobs and activity.',
  autoStart: true,
  requires: [IAirlockModel],
  optional: [ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    model: AirlockModel,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_airlock');
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
      const { viewContent } = await import('../views');
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
              enum: VIEWS
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
    const category = trans.__('Airlock');
    for (const view of VIEWS) {
      palette?.addItem({
        command: CommandIDs.openView,
        args: { view },
        category
      });
    }
  }
};
