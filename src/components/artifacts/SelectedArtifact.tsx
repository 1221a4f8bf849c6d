import { Clipboard } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IArtifactEntry } from '../../api';
import { CatalogModel } from '../../catalog';
import { JobsModel } from '../../jobs';
import { archiveOrigin, IKernelOrigin } from '../../model';
import { formatSize } from '../format';
import { CopyBox } from './CopyBox';
import { PreviewTable } from './PreviewTable';

/**
 * The selected file: what it is, its preview, its copy into the workspace, and a kernel
 * made from it when it is an environment archive.
 */
export function SelectedArtifact(props: {
  model: CatalogModel;
  jobs: JobsModel;
  entry: IArtifactEntry;
  trans: TranslationBundle;
  onOpen: (path: string) => void;
  onCreateKernel: (origin: IKernelOrigin) => void;
}): JSX.Element {
  const { model, jobs, entry, trans, onOpen, onCreateKernel } = props;
  return (
    <div className="jp-Airlock-selected" data-testid="airlock-selected">
      <h3 className="jp-Airlock-subtitle">{entry.name}</h3>
      <dl className="jp-Airlock-facts">
        <dt>{trans.__('Kind')}</dt>
        <dd>
          {entry.artifact.kind}
          {entry.artifact.version && ` ${entry.artifact.version}`}
        </dd>
        <dt>{trans.__('Size')}</dt>
        <dd>{formatSize(entry.size)}</dd>
        {entry.sha256 && (
          <>
            <dt>{trans.__('sha256')}</dt>
            <dd className="jp-Airlock-url">{entry.sha256}</dd>
          </>
        )}
        {entry.fit?.reason && (
          <>
            <dt>{trans.__('Kernel')}</dt>
            <dd>{entry.fit.reason}</dd>
          </>
        )}
        {entry.policy && !entry.policy.allowed && (
          <>
            <dt>{trans.__('Policy')}</dt>
            <dd className="jp-Airlock-failed">
              {entry.policy.reason ?? trans.__('not allowed')}
            </dd>
          </>
        )}
        {entry.artifact.problem && (
          <>
            <dt>{trans.__('Problem')}</dt>
            <dd>{entry.artifact.problem}</dd>
          </>
        )}
      </dl>
      {model.preview && <PreviewTable preview={model.preview} trans={trans} />}
      <CopyBox
        model={model}
        jobs={jobs}
        entry={entry}
        trans={trans}
        onOpen={onOpen}
      />
      {model.preview && (
        <SnippetButton snippet={model.preview.snippet} trans={trans} />
      )}
      {entry.artifact.kind === 'env-archive' && (
        <Button
          small
          className="jp-mod-styled jp-mod-accept"
          onClick={() => onCreateKernel(archiveOrigin(entry))}
        >
          {trans.__('Create kernel from this archive…')}
        </Button>
      )}
    </div>
  );
}

/**
 * Copy the code that reads the whole dataset, and say that it was copied.
 */
function SnippetButton(props: {
  snippet: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { snippet, trans } = props;
  const [copied, setCopied] = React.useState(false);
  React.useEffect(() => {
    if (!copied) {
      return;
    }
    const timer = setTimeout(() => setCopied(false), 4000);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <div className="jp-Airlock-row">
      <Button
        small
        className="jp-Airlock-secondary"
        onClick={() => {
          Clipboard.copyToSystem(snippet);
          setCopied(true);
        }}
      >
        {trans.__('Copy code snippet')}
      </Button>
      <span role="status" className="jp-Airlock-muted">
        {copied ? trans.__('Copied: paste it into a cell') : ''}
      </span>
    </div>
  );
}
