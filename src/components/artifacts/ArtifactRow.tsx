import { TranslationBundle } from '@jupyterlab/translation';
import { folderIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { RowComponentProps } from 'react-window';

import { IArtifactEntry } from '../../api';
import { ArtifactRow, CatalogModel } from '../../catalog';
import { formatSize } from '../format';
import { AdvisoriesBadge, TrustBadge } from '../Trust';
import { FitBadge, NotAllowedBadge } from './FitBadge';

/**
 * Kinds of artifacts that can be installed into a kernel.
 */
const INSTALLABLE_KINDS = ['wheel', 'sdist', 'conda'];

/**
 * The row's id, which the list names as its active descendant.
 */
export function rowId(listId: string, index: number): string {
  return `${listId}-row-${index}`;
}

/**
 * Whether the row can be ticked for install (a package the policy allows).
 */
export function isTickable(row: ArtifactRow): boolean {
  return (
    row.type === 'file' &&
    INSTALLABLE_KINDS.includes(row.entry.artifact.kind) &&
    (!row.entry.policy || row.entry.policy.allowed)
  );
}

export interface IRowProps {
  rows: ArtifactRow[];
  model: CatalogModel;
  trans: TranslationBundle;
  ticked: ReadonlySet<string>;
  /**
   * The row the keyboard is on.
   */
  active: number;
  listId: string;
  /**
   * A click: open the folder or show the file, or (with Ctrl or Cmd, or on the tick)
   * tick a package for install.
   */
  onActivate: (index: number, tick: boolean) => void;
}

export interface IFileState {
  entry: IArtifactEntry;
  selected: boolean;
  /**
   * The policy's refusal: such a package cannot be ticked, the server would refuse it.
   */
  refused: { reason?: string | null } | null;
  tickable: boolean;
  ticked: boolean;
}

/**
 * A row of the list or of the table: an option of its listbox (`jp-mod-active` where the
 * keyboard is, `jp-mod-selected` for the file shown), a folder's icon or a file's tick
 * box, then what the view shows of it.
 */
export function ArtifactOption(props: {
  row: RowComponentProps<IRowProps>;
  className: string;
  testId: string;
  folder: (name: string) => React.ReactNode;
  file: (file: IFileState) => React.ReactNode;
}): JSX.Element {
  const { index, style, ariaAttributes, rows, model, trans, ticked, active } =
    props.row;
  const { listId, onActivate } = props.row;
  const row = rows[index];
  const classes = [props.className];
  if (index === active) {
    classes.push('jp-mod-active');
  }
  const common = {
    ...ariaAttributes,
    role: 'option',
    id: rowId(listId, index),
    style,
    'data-testid': props.testId,
    onClick: (event: React.MouseEvent) =>
      onActivate(index, event.ctrlKey || event.metaKey)
  };
  if (row.type === 'folder') {
    return (
      <div
        {...common}
        aria-selected={false}
        className={classes.join(' ')}
        title={trans.__('Open %1', row.prefix)}
      >
        <folderIcon.react className="jp-Airlock-rowIcon" tag="span" />
        {props.folder(row.name)}
      </div>
    );
  }
  const entry = row.entry;
  const tickable = isTickable(row);
  const file: IFileState = {
    entry,
    selected: model.selected?.key === entry.key,
    refused: entry.policy && !entry.policy.allowed ? entry.policy : null,
    tickable,
    ticked: tickable && ticked.has(entry.key)
  };
  if (file.selected) {
    classes.push('jp-mod-selected');
  }
  return (
    <div
      {...common}
      aria-selected={file.selected}
      aria-checked={tickable ? file.ticked : undefined}
      className={classes.join(' ')}
      title={entry.key}
    >
      {/* The option carries the state (aria-checked); the box only shows it and takes
          the mouse's click: no control inside an option (axe: nested-interactive). */}
      <span
        className={[
          'jp-Airlock-tick',
          file.ticked ? 'jp-mod-checked' : '',
          tickable ? '' : 'jp-mod-disabled'
        ].join(' ')}
        aria-hidden="true"
        style={tickable || file.refused ? undefined : { visibility: 'hidden' }}
        title={
          file.refused?.reason ?? trans.__('Select %1 for install', entry.name)
        }
        onClick={event => {
          event.stopPropagation();
          if (tickable) {
            onActivate(index, true);
          }
        }}
      />
      {props.file(file)}
    </div>
  );
}

/**
 * One row of the compact artifact list, high enough to read at the panel's default
 * width: the whole name (on two lines when it must), then what it is, its size, its
 * checksum and whether it fits the chosen kernel.
 */
export function ArtifactRowView(
  props: RowComponentProps<IRowProps>
): JSX.Element {
  const { trans } = props;
  return (
    <ArtifactOption
      row={props}
      className="jp-Airlock-artifactRow"
      testId="airlock-artifact-row"
      folder={name => (
        <div className="jp-Airlock-artifactMain">
          <WrappedName text={name} />
          <div className="jp-Airlock-artifactFacts jp-Airlock-muted">
            {trans.__('folder')}
          </div>
        </div>
      )}
      file={({ entry, refused }) => (
        <div className="jp-Airlock-artifactMain">
          <WrappedName text={entry.name} />
          <div className="jp-Airlock-artifactFacts">
            <span className="jp-Airlock-kind">{entry.artifact.kind}</span>
            <span className="jp-Airlock-muted">{formatSize(entry.size)}</span>
            {refused && <NotAllowedBadge refused={refused} trans={trans} />}
            {/* A signer speaks for the checksum too: one badge, so the row fits 250 px. */}
            {entry.artifact.kind !== 'manifest' &&
              (entry.trust.state === 'signed' ||
              entry.trust.state === 'bad-signature' ? (
                <TrustBadge trust={entry.trust} trans={trans} quiet />
              ) : (
                <ChecksumBadge status={entry.checksum} trans={trans} />
              ))}
            <AdvisoriesBadge advisories={entry.advisories} trans={trans} />
            {/* A refused package is not installed anywhere: whether it fits is moot. */}
            {!refused && <FitBadge fit={entry.fit} trans={trans} />}
          </div>
        </div>
      )}
    />
  );
}

/**
 * A whole name, wrapped onto a second line where it must be, preferably after the
 * separators of a package file name (`-`, `_`, `.`).
 */
export function WrappedName(props: { text: string }): JSX.Element {
  const parts = props.text.split(/(?<=[-_.])/);
  return (
    <span className="jp-Airlock-artifactName">
      {parts.map((part, index) => (
        <React.Fragment key={index}>
          {index > 0 && <wbr />}
          {part}
        </React.Fragment>
      ))}
    </span>
  );
}

export function ChecksumBadge(props: {
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
    <span className={label[1]} title={label[2]}>
      {label[0]}
    </span>
  ) : null;
}
