import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IKernelEnvironment } from '../api';
import { environmentKind } from '../kernels';
import { AirlockModel, IKernelEntry } from '../model';
import { messageOf } from '../request';
import { EnvironmentFacts } from './EnvironmentsView';

/**
 * The Kernels section: each kernel with the environment behind it and whether packages
 * can be installed there (and why not); its packages open in the Environments view.
 */
export function KernelsSection(props: {
  environments: IKernelEnvironment[] | null;
  kernels: IKernelEntry[];
  trans: TranslationBundle;
  /**
   * Open the Environments view at this kernel.
   */
  onOpen: (kernel: string) => void;
  /**
   * Remove this kernel, which Airlock made.
   */
  onRemove: (kernel: IKernelEntry) => void;
}): JSX.Element {
  const { environments, kernels, trans, onOpen, onRemove } = props;
  if (environments === null) {
    // Until the server has looked inside each environment, list the kernelspecs.
    return kernels.length === 0 ? (
      <p className="jp-Airlock-empty">{trans.__('No kernels found.')}</p>
    ) : (
      <ul className="jp-Airlock-kernels">
        {kernels.map(kernel => (
          <li key={kernel.name}>{kernel.displayName}</li>
        ))}
      </ul>
    );
  }
  return (
    <div className="jp-Airlock-kernelList" data-testid="airlock-kernels">
      {environments.map(environment => (
        <KernelEnvironment
          key={environment.name}
          environment={environment}
          entry={kernels.find(kernel => kernel.name === environment.name)}
          trans={trans}
          onOpen={onOpen}
          onRemove={onRemove}
        />
      ))}
    </div>
  );
}

function KernelEnvironment(props: {
  environment: IKernelEnvironment;
  entry: IKernelEntry | undefined;
  trans: TranslationBundle;
  onOpen: (kernel: string) => void;
  onRemove: (kernel: IKernelEntry) => void;
}): JSX.Element {
  const { environment, entry, trans, onOpen, onRemove } = props;
  return (
    <details className="jp-Airlock-kernel" data-kernel={environment.name}>
      <summary>
        <strong>{environment.display_name}</strong>
        {environment.error ? (
          <span className="jp-Airlock-failed">
            {' '}
            {trans.__('cannot be used')}
          </span>
        ) : (
          <span className="jp-Airlock-muted">
            {' '}
            {trans.__(
              '%1 · Python %2',
              environmentKind(environment.kind, trans),
              environment.version
            )}
            {environment.writable ? '' : ` · ${trans.__('read-only')}`}
          </span>
        )}
      </summary>
      <EnvironmentFacts environment={environment} trans={trans} />
      {environment.packages && (
        <Button
          small
          className="jp-Airlock-secondary"
          onClick={() => onOpen(environment.name)}
        >
          {trans._n(
            'Show %1 package…',
            'Show %1 packages…',
            environment.packages.length
          )}
        </Button>
      )}
      {entry?.madeByAirlock && (
        <Button
          small
          className="jp-Airlock-secondary"
          onClick={() => onRemove(entry)}
        >
          {trans.__('Remove kernel…')}
        </Button>
      )}
    </details>
  );
}

/**
 * Ask, then remove a kernel Airlock made: its kernelspec and its environment.
 */
export async function removeKernelAsking(
  model: AirlockModel,
  kernel: IKernelEntry,
  trans: TranslationBundle
): Promise<void> {
  const answer = await showDialog({
    title: trans.__('Remove %1?', kernel.displayName),
    body: trans.__(
      'The kernel leaves the launcher and its environment is deleted, with every package installed there. Notebooks using it need another kernel. Its bundle or archive stays in the source: the kernel can be made again.'
    ),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: trans.__('Remove') })
    ]
  });
  if (!answer.button.accept) {
    return;
  }
  try {
    await model.removeKernel(kernel.name);
  } catch (reason) {
    await showErrorMessage(
      trans.__('The kernel was not removed'),
      messageOf(reason)
    );
  }
}
