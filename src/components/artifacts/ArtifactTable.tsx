import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { RowComponentProps } from 'react-window';

import { IArtifactEntry } from '../../api';
import { ArtifactRow, CatalogModel } from '../../catalog';
import { formatSize } from '../format';
import { AdvisoriesBadge, TrustBadge } from '../Trust';
import {
  ArtifactOption,
  ChecksumBadge,
  IRowProps,
  WrappedName
} from './ArtifactRow';
import { ArtifactList } from './ArtifactList';
import { FitBadge, NotAllowedBadge } from './FitBadge';

type Column =
  'name' | 'kind' | 'size' | 'modified' | 'fit' | 'trust' | 'advisories';

/**
 * How a column orders files: a number or a string, smaller first.
 */
const SORT_VALUES: {
  [column in Column]: (entry: IArtifactEntry) => number | string;
} = {
  name: entry => entry.name.toLowerCase(),
  kind: entry => entry.artifact.kind,
  size: entry => entry.size,
  modified: entry => entry.modified ?? '',
  // Fits first, then does not fit, then not judged.
  fit: entry =>
    entry.fit?.fits === true ? 0 : entry.fit?.fits === false ? 1 : 2,
  // The strongest assurance first: signed, checksum, unverified, then problems.
  trust: entry =>
    ['signed', 'checksum', 'unverified', 'mismatch', 'bad-signature'].indexOf(
      entry.trust.state
    ),
  advisories: entry => -(entry.advisories?.length ?? 0)
};

/**
 * The open folder as a table for the main area: a column for each fact of a file, each
 * sortable (folders stay first), over the listbox of `ArtifactList` with rows of its own.
 *
 * Sorting orders the rows loaded so far; the caption says so while more pages remain.
 */
export function ArtifactTable(props: {
  model: CatalogModel;
  trans: TranslationBundle;
  ticked: ReadonlySet<string>;
  onToggle: (key: string) => void;
}): JSX.Element {
  const { model, trans, ticked, onToggle } = props;
  const [sort, setSort] = React.useState<{ column: Column; up: boolean }>({
    column: 'name',
    up: true
  });
  const rows = React.useMemo(
    () => sortedRows(model.rows, sort.column, sort.up),
    [model.rows, sort.column, sort.up]
  );
  const columns: [Column, string][] = [
    ['name', trans.__('Name')],
    ['kind', trans.__('Kind')],
    ['size', trans.__('Size')],
    ['modified', trans.__('Modified')],
    ['fit', trans.__('Fits the kernel')],
    ['trust', trans.__('Verification')],
    ['advisories', trans.__('Advisories')]
  ];
  if (rows.length === 0 && !model.loading) {
    // No header for nothing: the list says the folder is empty.
    return (
      <ArtifactList
        model={model}
        trans={trans}
        ticked={ticked}
        onToggle={onToggle}
      />
    );
  }
  return (
    <div className="jp-Airlock-artifactTable" data-testid="airlock-table">
      <div
        className="jp-Airlock-tableRow jp-Airlock-tableHead"
        role="presentation"
      >
        <span aria-hidden="true" />
        {columns.map(([column, label]) => (
          <span key={column}>
            <button
              className="jp-Airlock-sortButton"
              aria-label={
                sort.column === column
                  ? sort.up
                    ? trans.__('%1, sorted ascending', label)
                    : trans.__('%1, sorted descending', label)
                  : trans.__('Sort by %1', label)
              }
              onClick={() =>
                setSort({
                  column,
                  up: sort.column === column ? !sort.up : true
                })
              }
            >
              {label}
              {sort.column === column ? (sort.up ? ' ▲' : ' ▼') : ''}
            </button>
          </span>
        ))}
      </div>
      <ArtifactList
        model={model}
        trans={trans}
        ticked={ticked}
        onToggle={onToggle}
        rows={rows}
        order={`${sort.column}-${sort.up}`}
        look={{
          rowComponent: TableRow,
          rowHeight: 32,
          maxHeight: 480,
          className: 'jp-Airlock-tableBody',
          testId: 'airlock-table-body',
          label: trans.__(
            'Files and folders, sorted by %1',
            columns.find(([column]) => column === sort.column)?.[1] ?? ''
          )
        }}
      />
      {model.hasMore && (
        <p className="jp-Airlock-muted">
          {trans.__(
            'Sorted: the %1 rows loaded so far. Scroll down to load the rest.',
            rows.length
          )}
        </p>
      )}
    </div>
  );
}

/**
 * Folders first, by name; then files by the column, ties by name.
 */
function sortedRows(
  rows: ArtifactRow[],
  column: Column,
  up: boolean
): ArtifactRow[] {
  const folders = rows.filter(row => row.type === 'folder');
  const files = rows.filter(
    (row): row is Extract<ArtifactRow, { type: 'file' }> => row.type === 'file'
  );
  const value = SORT_VALUES[column];
  const byName = SORT_VALUES.name;
  files.sort((a, b) => {
    const [x, y] = [value(a.entry), value(b.entry)];
    const order =
      x < y ? -1 : x > y ? 1 : byName(a.entry) < byName(b.entry) ? -1 : 1;
    return up ? order : -order;
  });
  return [...folders, ...files];
}

function TableRow(props: RowComponentProps<IRowProps>): JSX.Element {
  const { trans } = props;
  return (
    <ArtifactOption
      row={props}
      className="jp-Airlock-tableRow"
      testId="airlock-table-row"
      folder={name => (
        <>
          <span className="jp-Airlock-tableName">{name}</span>
          <span className="jp-Airlock-muted">{trans.__('folder')}</span>
        </>
      )}
      file={({ entry, refused }) => (
        <>
          <span className="jp-Airlock-tableName">
            <WrappedName text={entry.name} />
          </span>
          <span className="jp-Airlock-kind">{entry.artifact.kind}</span>
          <span>{formatSize(entry.size)}</span>
          <span className="jp-Airlock-muted jp-Airlock-modified">
            {entry.modified
              ? new Date(entry.modified).toLocaleString(undefined, {
                  dateStyle: 'medium',
                  timeStyle: 'short'
                })
              : ''}
          </span>
          <span>
            {refused ? (
              <NotAllowedBadge refused={refused} trans={trans} />
            ) : (
              <FitBadge fit={entry.fit} trans={trans} />
            )}
          </span>
          <span>
            {entry.trust.state === 'signed' ||
            entry.trust.state === 'bad-signature' ? (
              <TrustBadge trust={entry.trust} trans={trans} />
            ) : (
              <ChecksumBadge status={entry.checksum} trans={trans} />
            )}
          </span>
          <span>
            <AdvisoriesBadge advisories={entry.advisories} trans={trans} />
          </span>
        </>
      )}
    />
  );
}
