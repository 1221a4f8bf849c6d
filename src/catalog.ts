import { ISignal, Signal } from '@lumino/signaling';

import {
  AirlockClient,
  IArtifactEntry,
  IArtifactPage,
  ICopyJob,
  IPreview
} from './api';
import { AirlockRequestError, messageOf } from './request';

/**
 * A copy that landed in the workspace, and whether a manifest vouched for every file.
 */
export interface ICopied {
  path: string;
  verified: boolean;
}

/**
 * A row of the artifact list: a folder to open or a file.
 */
export type ArtifactRow =
  | { type: 'folder'; prefix: string; name: string }
  | { type: 'file'; entry: IArtifactEntry };

// The first page is small, to show rows at once; the next ones are as large as the server
// serves (a bucket's 1,000, read ahead; a mounted folder's 5,000, from its kept listing), so
// that scrolling to the end of a large folder takes few requests.
const FIRST_PAGE_SIZE = 200;
const PAGE_SIZE = 5000;

/**
 * The artifact-browser journey (the server's catalog): one folder of the active source,
 * loaded page by page as the user scrolls, the selected file's preview, and its copy
 * into the workspace.
 */
export class CatalogModel {
  constructor(readonly client: AirlockClient) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted with each copy that landed in the workspace (its path, and whether verified).
   */
  get copied(): ISignal<this, ICopied> {
    return this._copied;
  }

  /**
   * Emitted with each copy the server accepted (the job list follows it and hands its
   * end to `copyEnded`).
   */
  get copyStarted(): ISignal<this, ICopyJob> {
    return this._copyStarted;
  }

  get prefix(): string {
    return this._prefix;
  }

  get source(): string | null {
    return this._source;
  }

  /**
   * The rows loaded so far, narrowed by the filter.
   */
  get rows(): ArtifactRow[] {
    if (this._shown === null) {
      const needle = this._filter.toLocaleLowerCase();
      this._shown = needle
        ? this._rows.filter(row =>
            (row.type === 'folder' ? row.name : row.entry.name)
              .toLocaleLowerCase()
              .includes(needle)
          )
        : this._rows;
    }
    return this._shown;
  }

  get hasMore(): boolean {
    return this._nextToken !== null;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): string | null {
    return this._error;
  }

  get filter(): string {
    return this._filter;
  }

  get kernel(): string | null {
    return this._kernel;
  }

  get selected(): IArtifactEntry | null {
    return this._selected;
  }

  get preview(): IPreview | null {
    return this._preview;
  }

  /**
   * The last copy of the selected file started here, as the server accepted it (the
   * job list has its progress).
   */
  get copyJob(): ICopyJob | null {
    const key = this._selected?.key;
    return (key !== undefined && this._lastCopies.get(key)) || null;
  }

  /**
   * The packages ticked for install, by key: one selection, shared by the sidebar and the
   * Artifacts tab, kept across the folders of a source and cleared when the source changes.
   */
  get ticked(): ReadonlySet<string> {
    return this._ticked;
  }

  /**
   * Tick a package for install, or untick it.
   */
  toggle(key: string): void {
    const next = new Set(this._ticked);
    if (!next.delete(key)) {
      next.add(key);
    }
    this._ticked = next;
    this._changed.emit();
  }

  clearTicked(): void {
    if (this._ticked.size > 0) {
      this._ticked = new Set();
      this._changed.emit();
    }
  }

  /**
   * Open a folder (a prefix ending in '/', or '' for the root) at its first page.
   */
  async open(prefix = ''): Promise<void> {
    this._prefix = prefix;
    this._rows = [];
    this._shown = null;
    this._nextToken = null;
    this._selected = null;
    this._preview = null;
    this._generation += 1;
    await this._load(null);
  }

  /**
   * Load the next page, if any (the list asks when its last rows become visible).
   */
  async loadMore(): Promise<void> {
    if (this._nextToken !== null && !this._loading) {
      await this._load(this._nextToken);
    }
  }

  /**
   * Narrow the listing to names that contain `text`, whatever their case. The rows are
   * narrowed here (a bucket can narrow only by the start of a name), and while a filter is
   * on, the rest of the folder is loaded page after page, so that no match is left out.
   */
  async setFilter(text: string): Promise<void> {
    this._filter = text;
    this._shown = null;
    this._changed.emit();
    await this._loadTheRestWhileFiltering();
  }

  /**
   * Judge wheels and conda packages against this kernel's interpreter.
   */
  async setKernel(name: string | null): Promise<void> {
    this._kernel = name;
    await this.open(this._prefix);
  }

  async select(entry: IArtifactEntry | null): Promise<void> {
    this._selected = entry;
    this._preview = null;
    this._changed.emit();
    if (entry?.artifact.kind !== 'dataset') {
      return;
    }
    try {
      this._preview = await this.client.previewArtifact(entry.key);
      this._error = null;
    } catch (reason) {
      this._error = messageOf(reason);
    }
    this._changed.emit();
  }

  /**
   * Start copying `key` (the selected file by default, or a folder ending in '/') to
   * `destination` (relative to the Jupyter root). Resolves to the started job, or to
   * 'exists' when the destination exists and `overwrite` was not given (the caller asks
   * the user).
   */
  async copy(
    destination: string,
    overwrite = false,
    key: string | undefined = this._selected?.key
  ): Promise<ICopyJob | 'exists' | null> {
    if (!key) {
      return null;
    }
    let job: ICopyJob;
    try {
      job = await this.client.copyArtifact(key, destination, overwrite);
      this._error = null;
    } catch (reason) {
      if (
        reason instanceof AirlockRequestError &&
        reason.code === 'destination-exists'
      ) {
        return 'exists';
      }
      this._error = messageOf(reason);
      this._changed.emit();
      return null;
    }
    this._lastCopies.set(key, job);
    this._copies.set(job.id, key);
    this._copyStarted.emit(job);
    this._changed.emit();
    if (job.finished) {
      this.copyEnded(job); // too quick for the job list to see it going
    }
    return job;
  }

  /**
   * Take in the end of a copy started here: mark the file verified when the copy
   * hashed it, and emit `copied`. Other jobs are ignored.
   */
  copyEnded(job: ICopyJob): void {
    const key = this._copies.get(job.id);
    if (key === undefined) {
      return;
    }
    this._copies.delete(job.id);
    if (this._lastCopies.get(key)?.id === job.id) {
      this._lastCopies.set(key, job);
    }
    if (job.state === 'succeeded' && job.result?.path) {
      if (job.result.verified && job.result.sha256) {
        this._markVerified(key, job.result.sha256);
      }
      this._copied.emit({
        path: job.result.path,
        verified: !!job.result.verified
      });
    }
    this._changed.emit();
  }

  /**
   * Show what the server now knows too: the copy hashed the file and it matched.
   */
  private _markVerified(key: string, sha256: string): void {
    this._shown = null;
    this._rows = this._rows.map(row =>
      row.type === 'file' && row.entry.key === key
        ? {
            type: 'file',
            entry: { ...row.entry, checksum: 'verified', sha256 }
          }
        : row
    );
    if (this._selected?.key === key) {
      this._selected = { ...this._selected, checksum: 'verified', sha256 };
    }
    this._changed.emit();
  }

  private async _load(token: string | null): Promise<void> {
    const generation = this._generation;
    this._loading = true;
    this._changed.emit();
    try {
      const page: IArtifactPage = await this.client.listArtifacts({
        prefix: this._prefix,
        cursor: token ?? undefined,
        kernel: this._kernel ?? undefined,
        limit: token === null ? FIRST_PAGE_SIZE : PAGE_SIZE
      });
      if (generation !== this._generation) {
        return; // the user moved on while this page was on its way
      }
      if (this._source !== null && page.source !== this._source) {
        this._ticked = new Set(); // the keys were the other source's
      }
      this._source = page.source;
      const folders: ArtifactRow[] = page.folders.map(prefix => ({
        type: 'folder',
        prefix,
        name: prefix.slice(this._prefix.length)
      }));
      const files: ArtifactRow[] = page.entries.map(entry => ({
        type: 'file',
        entry
      }));
      this._rows = [...this._rows, ...folders, ...files];
      this._shown = null;
      this._nextToken = page.next_token;
      this._error = null;
    } catch (reason) {
      if (generation === this._generation) {
        this._error = messageOf(reason);
      }
    } finally {
      if (generation === this._generation) {
        this._loading = false;
        this._changed.emit();
      }
    }
    if (generation === this._generation && !this._error) {
      await this._loadTheRestWhileFiltering();
    }
  }

  private async _loadTheRestWhileFiltering(): Promise<void> {
    if (this._filter) {
      await this.loadMore();
    }
  }

  private _prefix = '';
  private _source: string | null = null;
  private _rows: ArtifactRow[] = [];
  /**
   * The rows narrowed by the filter, computed once per change (null: to compute).
   */
  private _shown: ArtifactRow[] | null = null;
  private _nextToken: string | null = null;
  private _loading = false;
  private _error: string | null = null;
  private _filter = '';
  private _ticked: ReadonlySet<string> = new Set();
  private _kernel: string | null = null;
  private _selected: IArtifactEntry | null = null;
  private _preview: IPreview | null = null;
  /**
   * The last copy started here of each file, by key.
   */
  private _lastCopies = new Map<string, ICopyJob>();
  /**
   * The copies started here and not ended yet, with the key each copies.
   */
  private _copies = new Map<string, string>();
  private _generation = 0;
  private _changed = new Signal<this, void>(this);
  private _copied = new Signal<this, ICopied>(this);
  private _copyStarted = new Signal<this, ICopyJob>(this);
}
