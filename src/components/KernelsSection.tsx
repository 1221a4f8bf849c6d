import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IKernelEnvironment } from '../api';
import { environmentKind } from '../kernels';
import { IKernelEntry } from '../model';

/**
 * The Kernels section: each kernel with the environment behind it, whether packages can
 * be installed there (and why not), and what is installed.
 */
export function KernelsSection(props: {
  environments: IKernelEnvironment[] | null;
  kernels: IKernelEntry[];
  trans: TranslationBundle;
}): JSX.Element {
  const { environments, kernels, trans } = props;
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
        />
      ))}
    </div>
  );
}

function KernelEnvironment(props: {
  environment: IKernelEnvironment;
  trans: TranslationBundle;
}): JSX.Element {
  const { environment, trans } = props;
  const [open, setOpen] = React.useState(false);
  return (
    <details
      className="jp-Airlock-kernel"
      data-kernel={environment.name}
      onToggle={event => setOpen(event.currentTarget.open)}
    >
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
      {environment.error && (
        <div className="jp-Airlock-error">{environment.error.message}</div>
      )}
      {!environment.error && (
        <dl className="jp-Airlock-facts">
          <dt>{trans.__('Interpreter')}</dt>
          <dd className="jp-Airlock-url">{environment.python}</dd>
          <dt>{trans.__('Prefix')}</dt>
          <dd className="jp-Airlock-url">{environment.prefix}</dd>
          {environment.why_not_writable && (
            <>
              <dt>{trans.__('Installs')}</dt>
              <dd>{environment.why_not_writable}</dd>
            </>
          )}
          {environment.advice && (
            <>
              <dt>{trans.__('Advice')}</dt>
              <dd>{environment.advice}</dd>
            </>
          )}
        </dl>
      )}
      {open && environment.packages && (
        <table
          className="jp-Airlock-packages"
          aria-label={trans.__('Packages')}
        >
          <tbody>
            {environment.packages.map(item => (
              <tr key={item.name}>
                <td>{item.name}</td>
                <td>{item.version}</td>
                <td className="jp-Airlock-muted">{item.installer ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
