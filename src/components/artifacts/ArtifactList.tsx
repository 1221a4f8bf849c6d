import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import { List, RowComponentProps } from 'react-window';

import { ArtifactRow, CatalogModel } from '../../catalog';
import { archiveOrigin, IKernelOrigin } from '../../model';
import { formatSize } from '../format';

const ROW_HEIGHT = 26;
const LIST_HEIGHT = 312;

/**
 * Kinds of artifacts that can be installed into a kernel.
 */
const INSTALLABLE_KINDS = ['wheel', 'sdist', 'conda'];

interface IRowProps {
  rows: ArtifactRow[];
  model: CatalogModel;
  trans: TranslationBundle;
  ticked: ReadonlySet<string>;
  onToggle: (key: string) => void;
  onCreateKernel: (origin: IKernelOrigin) => void;
}

function ArtifactRowView({
  index,
  style,
  ariaAttributes,
  rows,
  model,
  trans,
  ticked,
  onToggle,
  onCreateKernel
}: RowComponentProps<IRowProps>): JSX.Element {
  const row = rows[index];
  if (row.type === 'folder') {
    return (
      <div
        {...ariaAttributes}
        style={style}
        className="jp-Airlock-artifactRow"
        data-testid="airlock-artifact-row"
        onClick={() => void model.open(row.prefix)}
        title={trans.__('Open %1', row.prefix)}
      >
        <span className="jp-Airlock-tick" />
        <span className="jp-Airlock-kind">{trans.__('folder')}</span>
        <span className="jp-Airlock-artifactName">{row.name}</span>
      </div>
    );
  }
  const entry = row.entry;
  const selected = model.selected?.key === entry.key;
  // Packages the admin's policy refuses cannot be ticked: the server would refuse them.
  const refused = entry.policy && !entry.policy.allowed ? entry.policy : null;
  const installable =
    INSTALLABLE_KINDS.includes(entry.artifact.kind) && !refused;
  return (
    <div
      {...ariaAttributes}
      style={style}
      className={`jp-Airlock-artifactRow${selected ? ' jp-mod-selected' : ''}`}
      data-testid="airlock-artifact-row"
      onClick={event => {
        // Ctrl- or Cmd-click ticks a package for install, as in a file browser.
        if (installable && (event.ctrlKey || event.metaKey)) {
          onToggle(entry.key);
        } else {
          void model.select(entry);
        }
      }}
      title={entry.key}
    >
      {installable || refused ? (
        <input
          type="checkbox"
          className="jp-Airlock-tick"
          aria-label={trans.__('Select %1 for install', entry.name)}
          title={refused?.reason ?? undefined}
          disabled={!installable}
          checked={installable && ticked.has(entry.key)}
          onClick={event => event.stopPropagation()}
          onChange={() => onToggle(entry.key)}
        />
      ) : (
        <span className="jp-Airlock-tick" />
      )}
      <span className="jp-Airlock-kind">{entry.artifact.kind}</span>
      <span className="jp-Airlock-artifactName">{entry.name}</span>
      {/* Before the facts, which a narrow panel cuts off. */}
      {refused && (
        <span
          className="jp-Airlock-failed jp-Airlock-refused"
          data-testid="airlock-not-allowed"
          title={
            refused.reason ?? trans.__('The admin’s policy does not allow it')
          }
        >
          {trans.__('not allowed')}
        </span>
      )}
      {entry.artifact.kind === 'env-archive' && (
        <Button
          small
          minimal
          className="jp-Airlock-rowAction"
          aria-label={trans.__('Create kernel from %1', entry.name)}
          title={trans.__('Create a kernel from %1', entry.name)}
          onClick={event => {
            event.stopPropagation();
            onCreateKernel(archiveOrigin(entry));
          }}
        >
          {trans.__('Create kernel…')}
        </Button>
      )}
      <span className="jp-Airlock-muted jp-Airlock-size">
        {formatSize(entry.size)}
      </span>
      {entry.artifact.kind !== 'manifest' && (
        <ChecksumBadge status={entry.checksum} trans={trans} />
      )}
      {entry.fit && entry.fit.fits !== null && (
        <span
          className={entry.fit.fits ? 'jp-Airlock-ok' : 'jp-Airlock-failed'}
          title={entry.fit.reason ?? ''}
        >
          {entry.fit.fits ? trans.__('fits') : trans.__('does not fit')}
        </span>
      )}
    </div>
  );
}

export function ArtifactList(props: {
  model: CatalogModel;
  trans: TranslationBundle;
  ticked: ReadonlySet<string>;
  onToggle: (key: string) => void;
  onCreateKernel: (origin: IKernelOrigin) => void;
}): JSX.Element {
  const { model, trans, ticked, onToggle, onCreateKernel } = props;
  const rows = model.rows;
  if (rows.length === 0) {
    return (
      <p className="jp-Airlock-empty">
        {model.loading
          ? trans.__('Loading…')
          : trans.__('This folder is empty.')}
      </p>
    );
  }
  return (
    <List
      className="jp-Airlock-artifactList"
      data-testid="airlock-artifacts"
      style={{ height: Math.min(rows.length * ROW_HEIGHT, LIST_HEIGHT) }}
      rowComponent={ArtifactRowView}
      rowCount={rows.length}
      rowHeight={ROW_HEIGHT}
      rowProps={{ rows, model, trans, ticked, onToggle, onCreateKernel }}
      onRowsRendered={visible => {
        // Fetch the next page before the user reaches the end of this one.
        if (visible.stopIndex >= rows.length - 20) {
          void model.loadMore();
        }
      }}
    />
  );
}

function ChecksumBadge(props: {
  status: string;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { status, trans } = props;
  const labels: { [status: string]: [string, string, string] } = {
    verified: [
      trans.__('verified'),
      'jp-Airlock-ok',
      trans.__('Hashed on the way in; matches its manifest')
    ],
    mismatch: [
      trans.__('mismatch'),
      'jp-Airlock-failed',
      trans.__('Does not match its manifest: damaged or replaced on the way')
    ],
    listed: [
      trans.__('sha256'),
      'jp-Airlock-muted',
      trans.__(
        'Its manifest lists a sha256; it is checked when copied or installed'
      )
    ]
  };
  const label = labels[status];
  return label ? (
    <span className={`jp-Airlock-checksum ${label[1]}`} title={label[2]}>
      {label[0]}
    </span>
  ) : null;
}
