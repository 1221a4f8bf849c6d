import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IBundleInfo } from '../../api';
import { CatalogModel } from '../../catalog';
import { JobsModel } from '../../jobs';
import { IKernelEntry, IKernelOrigin } from '../../model';
import { ArtifactList } from './ArtifactList';
import { ArtifactTable } from './ArtifactTable';
import { Breadcrumbs } from './Breadcrumbs';
import { BundleBox } from './BundleBox';
import { FilterBox } from './FilterBox';
import { SelectedArtifact } from './SelectedArtifact';

/**
 * The Artifacts section: one folder of the read bucket (or mounted folder), virtualized so
 * only visible rows are in the DOM, with a filter, the kernel to judge packages against,
 * the selected file's preview and copy into the workspace, packages ticked for install
 * (across folders), and new kernels from a bundle folder or an environment archive.
 */
export function ArtifactsSection(props: {
  model: CatalogModel;
  /**
   * The job list, which follows copies.
   */
  jobs: JobsModel;
  kernels: IKernelEntry[];
  /**
   * The transfer bundle the open folder is, if it is one.
   */
  bundle: IBundleInfo | null;
  trans: TranslationBundle;
  onOpen: (path: string) => void;
  /**
   * Open the install dialog for these keys.
   */
  onInstall: (keys: string[]) => void;
  /**
   * Open the dialog that makes a kernel from a bundle or an archive.
   */
  onCreateKernel: (origin: IKernelOrigin) => void;
  /**
   * In the main area: a sortable table instead of the compact list.
   */
  wide?: boolean;
}): JSX.Element {
  const {
    model,
    jobs,
    kernels,
    bundle,
    trans,
    onOpen,
    onInstall,
    onCreateKernel,
    wide
  } = props;
  const toggle = (key: string) => model.toggle(key);
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <div className="jp-Airlock-artifacts">
          <Selection model={model} trans={trans} onInstall={onInstall} />
          {model.source && (
            <div
              className="jp-Airlock-url jp-Airlock-muted"
              data-testid="airlock-source"
            >
              {model.source}
            </div>
          )}
          <Breadcrumbs model={model} trans={trans} />
          <FilterBox model={model} trans={trans} />
          <HTMLSelect
            aria-label={trans.__('Kernel to check packages against')}
            value={model.kernel ?? ''}
            onChange={event =>
              void model.setKernel(event.currentTarget.value || null)
            }
            options={[
              { label: trans.__('Any kernel'), value: '' },
              ...kernels.map(kernel => ({
                label: kernel.displayName,
                value: kernel.name
              }))
            ]}
          />
          {model.error && (
            <div className="jp-Airlock-error" role="alert">
              {model.error}
            </div>
          )}
          {bundle && (
            <BundleBox
              bundle={bundle}
              trans={trans}
              onCreateKernel={onCreateKernel}
            />
          )}
          {wide ? (
            <ArtifactTable
              model={model}
              trans={trans}
              ticked={model.ticked}
              onToggle={toggle}
            />
          ) : (
            <ArtifactList
              model={model}
              trans={trans}
              ticked={model.ticked}
              onToggle={toggle}
            />
          )}
          {model.selected && (
            <SelectedArtifact
              model={model}
              jobs={jobs}
              entry={model.selected}
              trans={trans}
              onOpen={onOpen}
              onCreateKernel={onCreateKernel}
            />
          )}
        </div>
      )}
    </UseSignal>
  );
}

/**
 * The packages ticked for install, wherever they are: how many (and which, on demand),
 * Install and Clear. The same selection shows in the sidebar and the Artifacts tab.
 */
function Selection(props: {
  model: CatalogModel;
  trans: TranslationBundle;
  onInstall: (keys: string[]) => void;
}): JSX.Element | null {
  const { model, trans, onInstall } = props;
  const keys = [...model.ticked];
  if (keys.length === 0) {
    return null;
  }
  return (
    <div className="jp-Airlock-ticked" data-testid="airlock-ticked">
      <details>
        <summary>{trans._n('%1 selected', '%1 selected', keys.length)}</summary>
        <ul className="jp-Airlock-tickedList">
          {keys.map(key => (
            <li key={key} className="jp-Airlock-url">
              {key}
            </li>
          ))}
        </ul>
      </details>
      <div className="jp-Airlock-row">
        <Button
          small
          className="jp-mod-styled jp-mod-accept"
          onClick={() => onInstall(keys)}
        >
          {trans._n('Install %1 package…', 'Install %1 packages…', keys.length)}
        </Button>
        <Button
          small
          className="jp-Airlock-secondary"
          onClick={() => model.clearTicked()}
        >
          {trans.__('Clear')}
        </Button>
      </div>
    </div>
  );
}
