import { JupyterFrontEnd } from '@jupyterlab/application';
import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

/**
 * The running kernels that use an environment an install changed (`result.kernels`
 * names the kernelspecs that share it).
 */
export function kernelsToRestart(
  running: Iterable<Kernel.IModel>,
  kernelNames: readonly string[]
): Kernel.IModel[] {
  return Array.from(running).filter(kernel =>
    kernelNames.includes(kernel.name)
  );
}

/**
 * The kernel of the notebook (or console) in front of the user, if any.
 */
export function currentKernel(app: JupyterFrontEnd): string | null {
  const widget = app.shell.currentWidget as {
    sessionContext?: ISessionContext;
  } | null;
  const context = widget?.sessionContext;
  return (
    context?.session?.kernel?.name || context?.kernelPreference.name || null
  );
}

/**
 * What kind of environment a kernel runs in, in words; a kind this version does not
 * know keeps its name.
 */
export function environmentKind(
  kind: string | null | undefined,
  trans: TranslationBundle
): string {
  const kinds: { [kind: string]: string } = {
    venv: trans.__('virtual environment'),
    conda: trans.__('conda environment'),
    system: trans.__('system Python')
  };
  return kinds[kind ?? ''] ?? kind ?? '';
}
