import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { KernelAPI } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { ICreateKernelJob, IInstallJob, IJob, IRollbackJob } from './api';
import { installResult } from './install';
import { kernelsToRestart } from './kernels';
import { AirlockModel } from './model';
import { messageOf } from './request';

/**
 * The result of a finished job that succeeded; if it failed or a server restart cut it
 * short, say so (a cancelled job was the user's own doing: nothing to say) and answer null.
 */
function succeededResult<J extends IJob>(
  job: J,
  trans: TranslationBundle
): NonNullable<J['result']> | null {
  if (job.state === 'succeeded' && job.result) {
    return job.result;
  }
  if (job.state === 'failed' || job.state === 'interrupted') {
    Notification.error(
      job.error?.message ??
        trans.__('%1: interrupted by a server restart.', job.title),
      { autoClose: false }
    );
  }
  return null;
}

/**
 * Say how an install or roll back ended; after a change, offer to restart the running
 * kernels of that environment so they import the new versions.
 */
export function notifyInstallEnded(
  app: JupyterFrontEnd,
  model: AirlockModel,
  job: IInstallJob | IRollbackJob,
  trans: TranslationBundle
): void {
  // Both an install and a roll back name the kernel and the kernels sharing its environment.
  const result = succeededResult(job, trans);
  if (!result) {
    return;
  }
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
export async function notifyKernelCreated(
  app: JupyterFrontEnd,
  model: AirlockModel,
  job: ICreateKernelJob,
  trans: TranslationBundle
): Promise<void> {
  const result = succeededResult(job, trans);
  if (!result) {
    return;
  }
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
