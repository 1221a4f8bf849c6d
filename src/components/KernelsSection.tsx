import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IKernelEnvironment } from '../api';
import { environmentKind } from '../kernels';
import { IKernelEntry } from '../model';
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
}): JSX.Element {
  const { environments, kernels, trans, onOpen } = props;
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
          trans={trans}
          onOpen={onOpen}
        />
      ))}
    </div>
  );
}

function KernelEnvironment(props: {
  environment: IKernelEnvironment;
  trans: TranslationBundle;
  onOpen: (kernel: string) => void;
}): JSX.Element {
  const { environment, trans, onOpen } = props;
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
    </details>
  );
}
