import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IKernelEnvironment } from '../api';
import { environmentKind } from '../kernels';
import { AirlockModel } from '../model';
import { messageOf } from '../request';

type Package = NonNullable<IKernelEnvironment['packages']>[number];
type SortKey = 'name' | 'version' | 'installer' | 'ecosystem';

/**
 * The Environments view, in the main area: one kernel's environment (interpreter, prefix,
 * whether packages can go in) and its packages in a table to filter and sort.
 */
export function EnvironmentsView(props: {
  model: AirlockModel;
  trans: TranslationBundle;
  /**
   * The kernel shown first.
   */
  kernel: string | null;
}): JSX.Element {
  const { model, trans } = props;
  const [kernel, setKernel] = React.useState(props.kernel);
  React.useEffect(() => setKernel(props.kernel), [props.kernel]);
  return (
    <UseSignal signal={model.stateChanged}>
      {() => {
        const environments = model.environments ?? [];
        const shown =
          environments.find(env => env.name === kernel) ?? environments[0];
        return (
          <div
            className="jp-Airlock-view jp-Airlock-environments"
            data-testid="airlock-environments"
          >
            <h2 className="jp-Airlock-title">{trans.__('Environments')}</h2>
            {model.environments === null ? (
              <p className="jp-Airlock-empty">{trans.__('Loading…')}</p>
            ) : environments.length === 0 ? (
              <p className="jp-Airlock-empty">
                {trans.__('No kernels found.')}
              </p>
            ) : (
              <>
                <div className="jp-Airlock-field">
                  <label
                    className="jp-Airlock-label"
                    htmlFor="jp-airlock-environment-picker"
                  >
                    {trans.__('Kernel')}
                  </label>
                  <HTMLSelect
                    id="jp-airlock-environment-picker"
                    value={shown.name}
                    onChange={event => setKernel(event.currentTarget.value)}
                    options={environments.map(env => ({
                      label: env.display_name,
                      value: env.name
                    }))}
                  />
                </div>
                <EnvironmentFacts environment={shown} trans={trans} />
                {!shown.error && (
                  <SbomButton model={model} kernel={shown.name} trans={trans} />
                )}
                {shown.packages && (
                  <PackageTable
                    key={shown.name}
                    packages={shown.packages}
                    trans={trans}
                  />
                )}
              </>
            )}
          </div>
        );
      }}
    </UseSignal>
  );
}

/**
 * What the sidebar and the view say of an environment: its kind and Python, where it is,
 * and whether packages can be installed there (and why not).
 */
export function EnvironmentFacts(props: {
  environment: IKernelEnvironment;
  trans: TranslationBundle;
}): JSX.Element {
  const { environment, trans } = props;
  if (environment.error) {
    return <div className="jp-Airlock-error">{environment.error.message}</div>;
  }
  return (
    <dl className="jp-Airlock-facts">
      <dt>{trans.__('Environment')}</dt>
      <dd>
        {trans.__(
          '%1 · Python %2',
          environmentKind(environment.kind, trans),
          environment.version
        )}
        {environment.writable ? '' : ` · ${trans.__('read-only')}`}
      </dd>
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
      {environment.advisories && (
        <>
          <dt>{trans.__('Advisories')}</dt>
          <dd data-testid="airlock-environment-advisories">
            {environment.advisories.problem ??
              trans.__(
                '%1 with %2; data of %3',
                trans._n(
                  '%1 package',
                  '%1 packages',
                  environment.advisories.packages
                ),
                trans._n(
                  '%1 known advisory',
                  '%1 known advisories',
                  environment.advisories.advisories
                ),
                (environment.advisories.date ?? '').slice(0, 10) ||
                  trans.__('unknown date')
              )}
          </dd>
        </>
      )}
    </dl>
  );
}

function PackageTable(props: {
  packages: Package[];
  trans: TranslationBundle;
}): JSX.Element {
  const { packages, trans } = props;
  const [filter, setFilter] = React.useState('');
  const [sort, setSort] = React.useState<{ key: SortKey; up: boolean }>({
    key: 'name',
    up: true
  });
  const needle = filter.trim().toLowerCase();
  const rows = packages
    .filter(item => !needle || item.name.toLowerCase().includes(needle))
    .sort((a, b) => {
      const order = (a[sort.key] ?? '').localeCompare(
        b[sort.key] ?? '',
        undefined,
        {
          numeric: true,
          sensitivity: 'base'
        }
      );
      return sort.up ? order : -order;
    });
  const columns: [SortKey, string][] = [
    ['name', trans.__('Package')],
    ['version', trans.__('Version')],
    ['installer', trans.__('Installed by')],
    ['ecosystem', trans.__('Kind')]
  ];
  return (
    <section className="jp-Airlock-packageView">
      <div className="jp-Airlock-row">
        <input
          className="jp-mod-styled jp-Airlock-filter"
          type="search"
          placeholder={trans.__('Filter packages')}
          aria-label={trans.__('Filter packages')}
          value={filter}
          onChange={event => setFilter(event.currentTarget.value)}
        />
        <span className="jp-Airlock-muted" role="status">
          {trans.__('%1 of %2 packages', rows.length, packages.length)}
        </span>
      </div>
      <table className="jp-Airlock-table" aria-label={trans.__('Packages')}>
        <thead>
          <tr>
            {columns.map(([key, label]) => (
              <th
                key={key}
                aria-sort={
                  sort.key === key
                    ? sort.up
                      ? 'ascending'
                      : 'descending'
                    : 'none'
                }
              >
                <button
                  className="jp-Airlock-sortButton"
                  onClick={() =>
                    setSort({ key, up: sort.key === key ? !sort.up : true })
                  }
                >
                  {label}
                  <span aria-hidden="true">
                    {sort.key === key ? (sort.up ? ' ▲' : ' ▼') : ''}
                  </span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(item => (
            <tr key={item.name}>
              <td>{item.name}</td>
              <td className="jp-Airlock-packageVersion">{item.version}</td>
              <td className="jp-Airlock-muted">{item.installer ?? ''}</td>
              <td className="jp-Airlock-muted">
                {item.ecosystem === 'conda'
                  ? trans.__('conda package')
                  : trans.__('Python package')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * Saves the CycloneDX SBOM of a kernel's environment as a file of the browser's.
 */
function SbomButton(props: {
  model: AirlockModel;
  kernel: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, kernel, trans } = props;
  const [error, setError] = React.useState<string | null>(null);
  const save = async (): Promise<void> => {
    setError(null);
    try {
      const sbom = await model.client.kernelSbom(kernel);
      const blob = new Blob([JSON.stringify(sbom, null, 2)], {
        type: 'application/vnd.cyclonedx+json'
      });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `${kernel}.cdx.json`;
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (reason) {
      setError(messageOf(reason));
    }
  };
  return (
    <div className="jp-Airlock-row">
      <Button
        small
        className="jp-Airlock-secondary"
        data-testid="airlock-sbom"
        onClick={() => void save()}
        title={trans.__(
          'A CycloneDX list of what this environment holds, with the advisories known for it'
        )}
      >
        {trans.__('Download SBOM')}
      </Button>
      {error && (
        <div className="jp-Airlock-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
