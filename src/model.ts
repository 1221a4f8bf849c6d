import { KernelSpec } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { AuditModel } from './audit';
import {
  AirlockClient,
  IArtifactEntry,
  IBundleInfo,
  ICreateKernelRequest,
  IJob,
  IKernelEnvironment,
  IRule,
  IStatus
} from './api';
import { CatalogModel } from './catalog';
import { IInstallOptions } from './install';
import { JobsModel } from './jobs';
import { ProfilesModel } from './profiles';
import { messageOf } from './request';

/**
 * The description a transfer bundle folder holds.
 */
const BUNDLE_JSON = 'bundle.json';

/**
 * A kernel as the panel lists it.
 */
export interface IKernelEntry {
  name: string;
  displayName: string;
  language: string;
  /**
   * Airlock made it (from a bundle or an archive): Airlock may remove it.
   */
  madeByAirlock: boolean;
}

/**
 * The state behind the Airlock panel: the server's status, the kernels, and the last
 * error as a message for the user. No rendering here.
 */
export class AirlockModel {
  constructor(
    readonly client: AirlockClient,
    private readonly _kernelSpecs: KernelSpec.IManager | null = null
  ) {
    this.profiles = new ProfilesModel(client);
    this.profiles.changed.connect(this._emitChanged, this);
    this.artifacts = new CatalogModel(client);
    this.jobs = new JobsModel(client);
    this.activity = new AuditModel(client);
    this.artifacts.changed.connect(this._onArtifactsChanged, this);
    // A copy started in the Artifacts section shows in the job list at once, and its
    // end comes back to the section (which marks the file verified).
    this.artifacts.copyStarted.connect((_, job) => this.jobs.add(job));
    this.jobs.finished.connect((_, job) => {
      if (job.kind === 'copy') {
        this.artifacts.copyEnded(job);
      }
    });
    // A switch may change the artifact source: show the new one from its root, with
    // nothing ticked (a selection names the files of one source).
    this.profiles.activeChanged.connect(() => {
      this.artifacts.clearTicked();
      void this.artifacts.open('');
    });
    // The source is back: show the folder again rather than the old failure.
    this.profiles.recovered.connect(() => {
      if (this.artifacts.error) {
        void this.artifacts.open(this.artifacts.prefix);
      }
    });
    // Switches and every job (copies, installs, kernel creations) append to the trail.
    this.profiles.activeChanged.connect(() => void this.activity.refresh());
    this.jobs.finished.connect(() => void this.activity.refresh());
    this._kernelSpecs?.specsChanged.connect(this._emitChanged, this);
  }

  /**
   * The mirror-profiles part of the panel.
   */
  readonly profiles: ProfilesModel;

  /**
   * The artifact browser (it re-renders on its own signal: its rows change often).
   */
  readonly artifacts: CatalogModel;

  /**
   * Every job of the server: copies, installs, roll backs (it re-renders on its own
   * signal).
   */
  readonly jobs: JobsModel;

  /**
   * The audit trail (it re-renders on its own signal).
   */
  readonly activity: AuditModel;

  /**
   * The transfer bundle the Artifacts section has open, if the open folder is one (null
   * too when the server is older than bundles).
   */
  get bundle(): IBundleInfo | null {
    return this._bundle;
  }

  /**
   * Start making a kernel from a bundle or an environment archive; the job list follows
   * the job. Throws the server's refusal (a 409 when the name is taken).
   */
  async createKernel(request: ICreateKernelRequest): Promise<IJob> {
    const job = await this.client.createKernel(request);
    this.jobs.add(job);
    return job;
  }

  /**
   * Start removing a kernel Airlock made; the job list follows the job.
   */
  async removeKernel(name: string): Promise<IJob> {
    const job = await this.client.removeKernel(name);
    this.jobs.add(job);
    return job;
  }

  /**
   * Emitted when a part of the panel asks for the install dialog.
   */
  get installRequested(): ISignal<this, IInstallOptions> {
    return this._installRequested;
  }

  /**
   * Ask for the install dialog (the application opens it).
   */
  requestInstall(options: IInstallOptions): void {
    this._installRequested.emit(options);
  }

  /**
   * Emitted whenever anything the panel shows changes.
   */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  get status(): IStatus | null {
    return this._status;
  }

  /**
   * The last failure, ready to show; null after a successful refresh.
   */
  get error(): string | null {
    return this._error;
  }

  get loading(): boolean {
    return this._loading;
  }

  /**
   * The environments behind the kernels, as the server resolved them (null until known).
   */
  get environments(): IKernelEnvironment[] | null {
    return this._environments;
  }

  get kernels(): IKernelEntry[] {
    const specs = this._kernelSpecs?.specs?.kernelspecs ?? {};
    return Object.values(specs)
      .filter((spec): spec is KernelSpec.ISpecModel => !!spec)
      .map(spec => ({
        name: spec.name,
        displayName: spec.display_name,
        language: spec.language,
        madeByAirlock: !!spec.metadata?.airlock
      }))
      .sort((a, b) => a.displayName.localeCompare(b.displayName));
  }

  /**
   * Ask the server for its status (and the profiles) again. Never throws: a failure lands
   * in `error`.
   */
  async refresh(): Promise<void> {
    this._loading = true;
    this._emitChanged();
    try {
      this._status = await this.client.getStatus();
      this._error = null;
      await this.profiles.refresh();
      // Health is part of what Refresh renews: the status bar and the Mirror section.
      void this.profiles.check();
      void this.refreshEnvironments();
      void this.jobs.refresh();
      void this.activity.refresh();
      if (this.profiles.state?.active?.source) {
        this._bundleFolder = ''; // look again: a bundle may have arrived since
        void this.artifacts.open(this.artifacts.prefix);
      }
    } catch (reason) {
      this._error = messageOf(reason);
    } finally {
      this._loading = false;
      this._emitChanged();
    }
  }

  /**
   * Ask the server again what each kernel's environment holds.
   */
  async refreshEnvironments(): Promise<void> {
    try {
      this._environments = await this.client.listKernels();
    } catch (reason) {
      this._error = messageOf(reason);
    }
    this._emitChanged();
  }

  private _emitChanged(): void {
    this._stateChanged.emit();
  }

  private _onArtifactsChanged(): void {
    // A listing that failed may be the source going away: probe, so that the status bar
    // and the Mirror section say so too (and the probe keeps trying until it is back).
    const error = this.artifacts.error;
    if (error && error !== this._artifactsError && !this.profiles.checking) {
      void this.profiles.check();
    }
    this._artifactsError = error;
    const source = this.artifacts.source;
    if (source === null) {
      return; // nothing listed yet
    }
    const folder = `${source} ${this.artifacts.prefix}`;
    if (folder !== this._bundleFolder) {
      this._bundleFolder = folder;
      if (this._bundle && this._bundle.key !== this.artifacts.prefix) {
        this._bundle = null; // it was another folder's
        this._emitChanged();
      }
      void this._lookUpBundle();
    }
  }

  /**
   * Whether the open folder is a bundle. Its `bundle.json` is asked for by name, so that
   * neither the filter the user typed nor a long folder hides it.
   */
  private async _lookUpBundle(): Promise<void> {
    const folder = this._bundleFolder;
    let bundle: IBundleInfo | null = null;
    try {
      const page = await this.client.listArtifacts({
        prefix: this.artifacts.prefix,
        filter: BUNDLE_JSON,
        limit: 1
      });
      bundle = page.bundle ?? null;
    } catch {
      // The artifact list shows why the folder cannot be read.
    }
    if (
      folder === this._bundleFolder &&
      JSON.stringify(bundle) !== JSON.stringify(this._bundle)
    ) {
      this._bundle = bundle;
      this._emitChanged();
    }
  }

  private _status: IStatus | null = null;
  private _bundle: IBundleInfo | null = null;
  private _bundleFolder = '';
  private _artifactsError: string | null = null;
  private _environments: IKernelEnvironment[] | null = null;
  private _error: string | null = null;
  private _loading = false;
  private _stateChanged = new Signal<this, void>(this);
  private _installRequested = new Signal<this, IInstallOptions>(this);
}

/**
 * What a new kernel is made from, and the names the dialog suggests.
 */
export interface IKernelOrigin {
  /**
   * A bundle folder (ending in '/') or an environment archive.
   */
  key: string;
  /**
   * How the dialog names it.
   */
  label: string;
  /**
   * A line about it (its Python and platform), if known.
   */
  details: string | null;
  /**
   * The base of the suggested names.
   */
  base: string;
}

/**
 * A transfer bundle as a kernel's origin.
 */
export function bundleOrigin(
  bundle: IBundleInfo,
  trans: TranslationBundle
): IKernelOrigin {
  const folder =
    bundle.key
      .split('/')
      .filter(part => part)
      .pop() ?? '';
  const facts = [
    bundle.python_version ? trans.__('Python %1', bundle.python_version) : '',
    // A conda bundle's platform is a conda subdir: say so, so that it reads as conda's.
    bundle.kind === 'conda'
      ? trans.__('conda %1', bundle.platform ?? '')
      : (bundle.platform ?? ''),
    bundle.files !== undefined
      ? trans._n('%1 file', '%1 files', bundle.files)
      : ''
  ].filter(fact => fact);
  return {
    key: bundle.key,
    label: bundle.name || folder,
    details: facts.length > 0 ? facts.join(' · ') : null,
    base: bundle.name || folder
  };
}

/**
 * An environment archive as a kernel's origin.
 */
export function archiveOrigin(entry: IArtifactEntry): IKernelOrigin {
  return {
    key: entry.key,
    label: entry.name,
    details: null,
    // The server's format is the ending it recognised the archive by.
    base: entry.artifact.format
      ? entry.name.slice(0, -entry.artifact.format.length - 1)
      : entry.name
  };
}

/**
 * A valid kernel name made of `base` that no kernel has yet.
 */
export function suggestKernelName(
  base: string,
  taken: readonly string[]
): string {
  const stem =
    base
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, 56)
      .replace(/[-._]+$/, '') || 'kernel';
  return unique(stem, taken, count => `${stem}-${count}`);
}

/**
 * A name for the launcher made of `base` that no kernel shows yet.
 */
export function suggestDisplayName(
  base: string,
  taken: readonly string[]
): string {
  return unique(base, taken, count => `${base} (${count})`);
}

function unique(
  first: string,
  taken: readonly string[],
  numbered: (count: number) => string
): string {
  let name = first;
  for (let count = 2; taken.includes(name); count++) {
    name = numbered(count);
  }
  return name;
}

/**
 * Why the server would refuse these names, or null. `rule` is the server's own rule
 * for kernel names (`status.rules.kernel_name`); undefined before the status came.
 */
export function kernelNameProblem(
  name: string,
  displayName: string,
  taken: readonly string[],
  trans: TranslationBundle,
  rule: IRule | undefined
): string | null {
  if (rule && !new RegExp(rule.pattern).test(name)) {
    return rule.message;
  }
  if (taken.includes(name)) {
    return trans.__(
      'There is already a kernel named %1: choose another name.',
      name
    );
  }
  if (!displayName.trim()) {
    return trans.__('Give the kernel a name to show in the launcher.');
  }
  return null;
}
