import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { AirlockModel } from '../model';
import { IAirlockModel } from '../tokens';

/**
 * What Airlock tells in JupyterLab's notifications: a switch of profile, a copy into the
 * workspace (which the file browser then shows), how an install, a roll back or a new
 * kernel ended.
 */
export const notificationsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-airlock:notifications',
  description:
    'Notifications of profile switches, copies, installs and new kernels.',
  autoStart: true,
  requires: [IAirlockModel],
  optional: [ITranslator, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    model: AirlockModel,
    translator: ITranslator | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_airlock');
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
    model.jobs.finished.connect(async (_, job) => {
      if (job.kind === 'install' || job.kind === 'rollback') {
        const { notifyInstallEnded } = await import('../notifications');
        notifyInstallEnded(app, model, job, trans);
      } else if (job.kind === 'create-kernel') {
        const { notifyKernelCreated } = await import('../notifications');
        await notifyKernelCreated(app, model, job, trans);
      }
    });
  }
};
