import {
  Clipboard,
  Dialog,
  InputDialog,
  showDialog
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { List, RowComponentProps } from 'react-window';

import { IArtifactEntry, IBundleInfo, IPreview } from '../api';
import { ArtifactRow, ArtifactsModel } from '../artifacts';
import {
  archiveOrigin,
  bundleOrigin,
  IKernelEntry,
  IKernelOrigin
} from '../model';

const ROW_HEIGHT = 26;
const LIST_HEIGHT = 312;

/**
 * Kinds of artifacts that can be installed into a kernel.
 */
const INSTALLABLE_KINDS = ['wheel', 'sdist', 'conda'];

/**
 * The Artifacts section: one folder of the read bucket (or mounted folder), virtualized so
 * only visible rows are in the DOM, with a filter, the kernel to judge packages against,
 * the selected file's preview and copy into the workspace, packages ticked for install
 * (across folders), and new kernels from a bundle folder or an environment archive.
 */
export function ArtifactsSection(props: {
  model: ArtifactsModel;
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
}): JSX.Element {
  const { model, kernels, bundle, trans, onOpen, onInstall, onCreateKernel } =
    props;
  const [ticked, setTicked] = React.useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) =>
    setTicked(previous => {
      const next = new Set(previous);
      if (!next.delete(key)) {
        next.add(key);
      }
      return next;
    });
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <div className="jp-Airlock-artifacts">
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
          <ArtifactList
            model={model}
            trans={trans}
            ticked={ticked}
            onToggle={toggle}
            onCreateKernel={onCreateKernel}
          />
          {ticked.size > 0 && (
            <div
              className="jp-Airlock-row jp-Airlock-ticked"
              data-testid="airlock-ticked"
            >
              <Button small onClick={() => onInstall([...ticked])}>
                {trans._n(
                  'Install %1 package…',
                  'Install %1 packages…',
                  ticked.size
                )}
              </Button>
              <Button small minimal onClick={() => setTicked(new Set())}>
                {trans.__('Clear selection')}
              </Button>
            </div>
          )}
          {model.selected && (
            <SelectedArtifact
              model={model}
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

function Breadcrumbs(props: {
  model: ArtifactsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const parts = model.prefix.split('/').filter(part => part);
  return (
    <nav className="jp-Airlock-breadcrumbs" aria-label={trans.__('Folder')}>
      {parts.length > 0 && (
        <Button
          small
          minimal
          className="jp-Airlock-copyFolder"
          onClick={() => void copyFolder(model, trans)}
        >
          {trans.__('Copy folder…')}
        </Button>
      )}
      <button className="jp-Airlock-link" onClick={() => void model.open('')}>
        {trans.__('root')}
      </button>
      {parts.map((part, index) => (
        <React.Fragment key={index}>
          {' / '}
          <button
            className="jp-Airlock-link"
            onClick={() =>
              void model.open(parts.slice(0, index + 1).join('/') + '/')
            }
          >
            {part}
          </button>
        </React.Fragment>
      ))}
    </nav>
  );
}

function FilterBox(props: {
  model: ArtifactsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const [text, setText] = React.useState(model.filter);
  React.useEffect(() => {
    if (text === model.filter) {
      return;
    }
    // Ask the server once typing pauses, not for every keystroke.
    const timer = setTimeout(() => void model.setFilter(text), 250);
    return () => clearTimeout(timer);
  }, [text]);
  return (
    <input
      className="jp-Airlock-filter jp-mod-styled"
      type="search"
      placeholder={trans.__('Filter by name')}
      aria-label={trans.__('Filter by name')}
      value={text}
      onChange={event => setText(event.currentTarget.value)}
    />
  );
}

/**
 * The open folder is a transfer bundle: what it is for, and a kernel made from it.
 */
function BundleBox(props: {
  bundle: IBundleInfo;
  trans: TranslationBundle;
  onCreateKernel: (origin: IKernelOrigin) => void;
}): JSX.Element {
  const { bundle, trans, onCreateKernel } = props;
  if (bundle.problem) {
    return (
      <div className="jp-Airlock-warning" role="status">
        {trans.__(
          'This folder looks like a transfer bundle, but its bundle.json cannot be read: %1',
          bundle.problem
        )}
      </div>
    );
  }
  const origin = bundleOrigin(bundle, trans);
  return (
    <div className="jp-Airlock-bundle" data-testid="airlock-bundle">
      <div>
        <strong>{trans.__('Transfer bundle %1', origin.label)}</strong>
        {origin.details && (
          <span className="jp-Airlock-muted"> · {origin.details}</span>
        )}
      </div>
      {bundle.requirements && bundle.requirements.length > 0 && (
        <div className="jp-Airlock-url" title={trans.__('Requirements')}>
          {bundle.requirements.join(', ')}
        </div>
      )}
      <Button
        small
        className="jp-Airlock-primary"
        onClick={() => onCreateKernel(origin)}
      >
        {trans.__('Create kernel from bundle…')}
      </Button>
    </div>
  );
}

interface IRowProps {
  rows: ArtifactRow[];
  model: ArtifactsModel;
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

function ArtifactList(props: {
  model: ArtifactsModel;
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

function SelectedArtifact(props: {
  model: ArtifactsModel;
  entry: IArtifactEntry;
  trans: TranslationBundle;
  onOpen: (path: string) => void;
  onCreateKernel: (origin: IKernelOrigin) => void;
}): JSX.Element {
  const { model, entry, trans, onOpen, onCreateKernel } = props;
  const [destination, setDestination] = React.useState(entry.name);
  React.useEffect(() => setDestination(entry.name), [entry.key]);
  const job = model.copyJob;
  const running = job !== null && !job.finished;
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
      <div className="jp-Airlock-row">
        <input
          className="jp-mod-styled jp-Airlock-destination"
          aria-label={trans.__('Copy to (path in the workspace)')}
          value={destination}
          onChange={event => setDestination(event.currentTarget.value)}
        />
        {running ? (
          <Button small onClick={() => void model.cancelCopy()}>
            {trans.__('Cancel')}
          </Button>
        ) : (
          <Button
            small
            onClick={() => void copyAsking(model, destination, trans)}
          >
            {trans.__('Copy to workspace')}
          </Button>
        )}
      </div>
      {job && (
        <div className="jp-Airlock-job" data-testid="airlock-copy-job">
          <progress
            max={1}
            value={job.progress ?? undefined}
            aria-label={trans.__('Copy progress')}
          />
          <span>{jobStateLabel(job.state, trans)}</span>
          {job.error && (
            <div className="jp-Airlock-error">{job.error.message}</div>
          )}
          {job.state === 'succeeded' && job.result?.path && (
            <Button small minimal onClick={() => onOpen(job.result!.path)}>
              {trans.__('Open %1', job.result.path)}
            </Button>
          )}
        </div>
      )}
      {model.preview && (
        <Button
          small
          minimal
          onClick={() => Clipboard.copyToSystem(model.preview!.snippet)}
        >
          {trans.__('Copy code snippet')}
        </Button>
      )}
      {entry.artifact.kind === 'env-archive' && (
        <Button
          small
          className="jp-Airlock-primary"
          onClick={() => onCreateKernel(archiveOrigin(entry))}
        >
          {trans.__('Create kernel from this archive…')}
        </Button>
      )}
    </div>
  );
}

/**
 * Copy, and when the destination exists, ask before replacing it.
 */
async function copyAsking(
  model: ArtifactsModel,
  destination: string,
  trans: TranslationBundle,
  key?: string
): Promise<void> {
  if ((await model.copy(destination, false, key)) !== 'exists') {
    return;
  }
  const answer = await showDialog({
    title: trans.__('Replace %1?', destination),
    body: trans.__(
      '%1 already exists in the workspace. Replace it with the copy from the source?',
      destination
    ),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: trans.__('Replace') })
    ]
  });
  if (answer.button.accept) {
    await model.copy(destination, true, key);
  }
}

/**
 * Ask where the open folder goes, then copy all of it.
 */
async function copyFolder(
  model: ArtifactsModel,
  trans: TranslationBundle
): Promise<void> {
  const name =
    model.prefix
      .split('/')
      .filter(part => part)
      .pop() ?? '';
  const answer = await InputDialog.getText({
    title: trans.__('Copy the folder %1 to the workspace', model.prefix),
    label: trans.__('Path in the workspace'),
    text: name
  });
  if (answer.button.accept && answer.value) {
    await copyAsking(model, answer.value, trans, model.prefix);
  }
}

function PreviewTable(props: {
  preview: IPreview;
  trans: TranslationBundle;
}): JSX.Element {
  const { preview, trans } = props;
  return (
    <div className="jp-Airlock-preview">
      {preview.note && <p className="jp-Airlock-muted">{preview.note}</p>}
      <table data-testid="airlock-preview" aria-label={trans.__('Preview')}>
        <thead>
          <tr>
            {preview.columns.map((column, index) => (
              <th key={index}>{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row, index) => (
            <tr key={index}>
              {row.map((cell, column) => (
                <td key={column}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {preview.truncated && (
        <p className="jp-Airlock-muted">{trans.__('First rows only.')}</p>
      )}
    </div>
  );
}

function jobStateLabel(state: string, trans: TranslationBundle): string {
  const labels: { [state: string]: string } = {
    queued: trans.__('waiting'),
    running: trans.__('copying…'),
    succeeded: trans.__('copied and verified'),
    failed: trans.__('failed'),
    cancelled: trans.__('cancelled'),
    interrupted: trans.__('interrupted')
  };
  return labels[state] ?? state;
}

export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
